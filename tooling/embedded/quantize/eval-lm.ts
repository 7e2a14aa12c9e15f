/**
 * What int8 weight storage costs a causal LM checkpoint: file sizes (raw and gzip) of float16 and
 * int8 (per output channel, and per row for comparison), and the mean next-token loss / perplexity
 * on a fixed held-out slice — the first `--windows` non-overlapping windows of `--context` tokens
 * of the last 5% of the Austen novels (the split `tfkit train-lm` holds out) — plus the largest
 * logit difference from the float32 weights the checkpoint loads as. From the repository root:
 *
 *   nice -n 10 node --import ./tooling/embedded/hooks.mjs tooling/embedded/quantize/eval-lm.ts packages/all/assets/tiny-gpt2
 *
 * `heldOutWindows` and `lmLoss` are what eval-embedded.ts (every embedded model, int8 against
 * float16) measures the tiny GPT-2 with.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { parseArgs } from 'node:util';
import { registerAll } from '@tfkit/all';
import { useBackend } from '@tfkit/backends';
import { AutoModel, createRegistry, loadCheckpoint, saveCheckpoint, type Registry } from '@tfkit/core-tensor';
import { loadBooks } from '../../corpus/index.js';
import { Tokenizer } from '@tfkit/tokenizers';

export const LM_BOOKS = 'austen-emma,austen-persuasion,austen-sense';

/**
 * The first `windows` non-overlapping windows of `context` tokens of the held-out 5% of `books`
 * (tokenized with the checkpoint's tokenizer in `dir`), in batches of 8; and that split's length.
 */
export async function heldOutWindows(dir: string, windows = 64, context = 128, books = LM_BOOKS): Promise<{ batches: number[][][]; heldOutTokens: number }> {
  const tokenizer = await Tokenizer.fromPretrained(dir);
  const eos = tokenizer.tokenToId('<|endoftext|>') ?? 0;
  const all = loadBooks();
  const ids: number[] = [];
  for (const id of books.split(',')) {
    const book = all.find((b) => b.id === id);
    if (!book) throw new Error(`unknown book ${id}`);
    for (const para of book.text.split(/(?<=\n\n)/)) ids.push(...tokenizer.encode(para).ids);
    ids.push(eos);
  }
  const valid = ids.slice(Math.floor(ids.length * 0.95));
  if (valid.length < windows * context) throw new Error(`held-out split has ${valid.length} tokens, fewer than ${windows} × ${context}`);
  const batches: number[][][] = [];
  for (let w = 0; w < windows; w += 8) batches.push(Array.from({ length: Math.min(8, windows - w) }, (_, j) => valid.slice((w + j) * context, (w + j + 1) * context)));
  return { batches, heldOutTokens: valid.length };
}

type T = { dataSync(): Float32Array; dispose(): void };
type Lm = { forward(inputs: { inputIds: number[][]; labels?: number[][] }): { logits: T; loss?: T }; dispose(): void };

/** Mean next-token loss of the checkpoint in `from` over `batches`, and its logits per batch. */
export async function lmLoss(from: string, batches: number[][][], registry: Registry): Promise<{ loss: number; logits: Float32Array[] }> {
  const model = (await AutoModel.fromPretrained(from, { registry })) as unknown as Lm;
  let sum = 0;
  let n = 0;
  const logits: Float32Array[] = [];
  for (const b of batches) {
    const out = model.forward({ inputIds: b, labels: b });
    sum += (out.loss!.dataSync()[0] as number) * b.length;
    n += b.length;
    out.loss!.dispose();
    logits.push(out.logits.dataSync().slice());
    out.logits.dispose();
  }
  model.dispose();
  return { loss: sum / n, logits };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { windows: { type: 'string', default: '64' }, context: { type: 'string', default: '128' }, books: { type: 'string', default: LM_BOOKS } },
  });
  const dir = positionals[0] ?? 'packages/all/assets/tiny-gpt2';
  const windows = Number(values.windows);
  const context = Number(values.context);
  const registry = registerAll(createRegistry());
  await useBackend(registry, 'wasm');
  const { batches, heldOutTokens } = await heldOutWindows(dir, windows, context, values.books);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-quantize-eval-'));
  const checkpoint = await loadCheckpoint(dir);
  const gpt2Conv1d = /(attn\.c_attn|attn\.c_proj|mlp\.c_fc|mlp\.c_proj)\.weight$/;
  type Options = Parameters<typeof saveCheckpoint>[1];
  const variants: [string, Options['dtype'], Options['int8Axis']][] = [
    ['float16', 'float16', undefined],
    ['int8, axis auto (what tfkit quantize writes)', 'int8', 'auto'],
    ['int8 per output channel', 'int8', (n) => (gpt2Conv1d.test(n) ? 1 : 0)],
    ['int8 per row', 'int8', 0],
  ];
  const copy = ['tokenizer.json', 'tokenizer_config.json'];

  const rows: string[] = ['| weights | model.safetensors | gzip | held-out loss | perplexity | Δ loss | max \\|Δ logit\\| |', '| --- | --- | --- | --- | --- | --- | --- |'];
  const reference = await lmLoss(dir, batches, registry); // the shipped file, loaded as float32
  const shipped = fs.readFileSync(path.join(dir, 'model.safetensors'));
  rows.push(`| shipped (${dir}) | ${shipped.length} | ${gzipSync(shipped).length} | ${reference.loss.toFixed(5)} | ${Math.exp(reference.loss).toFixed(3)} | — | — |`);
  for (const [label, dtype, axis] of variants) {
    const out = path.join(tmp, label.replace(/\W+/g, '-'));
    await saveCheckpoint(out, { config: checkpoint.config, weights: checkpoint.weights, dtype, ...(axis !== undefined ? { int8Axis: axis } : {}) });
    for (const f of copy) if (fs.existsSync(path.join(dir, f))) fs.copyFileSync(path.join(dir, f), path.join(out, f));
    const bytes = fs.readFileSync(path.join(out, 'model.safetensors'));
    const r = await lmLoss(out, batches, registry);
    let maxDiff = 0;
    r.logits.forEach((l, i) => {
      const ref = reference.logits[i]!;
      for (let j = 0; j < l.length; j++) maxDiff = Math.max(maxDiff, Math.abs((l[j] as number) - (ref[j] as number)));
    });
    rows.push(`| ${label} | ${bytes.length} | ${gzipSync(bytes).length} | ${r.loss.toFixed(5)} | ${Math.exp(r.loss).toFixed(3)} | ${(r.loss - reference.loss >= 0 ? '+' : '') + (r.loss - reference.loss).toFixed(5)} | ${maxDiff.toExponential(2)} |`);
  }
  checkpoint.weights.forEach((t) => t.dispose());
  fs.rmSync(tmp, { recursive: true, force: true });
  console.log(`${windows} windows × ${context} tokens from the start of the held-out 5% (${heldOutTokens} tokens) of ${values.books}\n`);
  console.log(rows.join('\n'));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
