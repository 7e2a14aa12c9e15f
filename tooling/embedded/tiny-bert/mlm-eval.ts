/**
 * Held-out masked-language-modelling accuracy of the tiny-bert base model, and its baseline:
 *   node --import ./tooling/embedded/register.mjs tooling/embedded/tiny-bert/mlm-eval.ts <model dir> <data dir> [--window n] [--check "sentence with [MASK]" ...]
 *
 * The held-out text (pretrain-heldout.txt: the last 10% of each pretraining book, never trained on)
 * is cut into [CLS] … [SEP] windows of 128 tokens (`--window n`: n + 2); 15% of the other tokens (seeded) are replaced by
 * [MASK] and the model's top-1 / top-5 predictions at those positions are scored against the
 * originals. Baseline: always the training text's most frequent token (top-1) / five most frequent
 * tokens (top-5) — a unigram model. `--check` prints the top 5 for sentences (fill-mask).
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { AutoModel, createRegistry, pipeline, registerAll, Tokenizer, useBackend } from '@tfkit/all';

const [modelDir, dataDir, ...rest] = process.argv.slice(2);
if (!modelDir || !dataDir) throw new Error('usage: mlm-eval.ts <model dir> <data dir> [--check "…[MASK]…" …]');
const checks = rest.filter((_, i) => rest[i - 1] === '--check');
const windowOption = rest.find((_, i) => rest[i - 1] === '--window');
const span = windowOption === undefined ? 126 : Number(windowOption);
if (!Number.isInteger(span) || span < 1) throw new Error(`--window: expected a positive integer, got ${windowOption}`);
const registry = registerAll(createRegistry());
await useBackend(registry, 'wasm', { threads: 1 });
const tokenizer = await Tokenizer.fromPretrained(modelDir);
const id = (t: string) => tokenizer.tokenToId(t) as number;
const [cls, sep, mask] = [id('[CLS]'), id('[SEP]'), id('[MASK]')];

let state = 12345;
const random = () => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

// Unigram counts of the training text.
const counts = new Map<number, number>();
for (const line of fs.readFileSync(path.join(dataDir, 'pretrain-train.txt'), 'utf8').split('\n')) {
  if (!line.trim()) continue;
  for (const t of tokenizer.encode(line, { addSpecialTokens: false }).ids) counts.set(t, (counts.get(t) ?? 0) + 1);
}
const frequent = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([t]) => t);

// Held-out windows, every other window (a spread over all books), at most 400.
const windows: number[][] = [];
for (const doc of fs.readFileSync(path.join(dataDir, 'pretrain-heldout.txt'), 'utf8').split(/\n\s*\n/)) {
  const ids = doc.split('\n').filter(Boolean).flatMap((s) => tokenizer.encode(s, { addSpecialTokens: false }).ids);
  for (let i = 0; i + span <= ids.length; i += span) windows.push(ids.slice(i, i + span));
}
const chosen = windows.filter((_, i) => i % 2 === 0).slice(0, 400);

const model = (await AutoModel.fromPretrained(modelDir, { registry, architecture: 'BertForMaskedLM' })) as unknown as {
  forward(inputs: { inputIds: tf.Tensor2D }): { logits: tf.Tensor3D };
  dispose(): void;
  eval(): void;
};
model.eval();
let total = 0;
let top1 = 0;
let top5 = 0;
let base1 = 0;
let base5 = 0;
for (let b = 0; b < chosen.length; b += 16) {
  const batch = chosen.slice(b, b + 16);
  const targets: [number, number, number][] = [];
  const inputs = batch.map((w, r) => [cls, ...w.map((t, c) => (random() < 0.15 ? (targets.push([r, c + 1, t]), mask) : t)), sep]);
  const top = tf.tidy(() => {
    const logits = model.forward({ inputIds: tf.tensor2d(inputs, undefined, 'int32') }).logits;
    return tf.topk(logits, 5).indices;
  });
  const indices = (await top.array()) as number[][][];
  top.dispose();
  for (const [r, c, t] of targets) {
    const pred = indices[r]![c]!;
    total++;
    if (pred[0] === t) top1++;
    if (pred.includes(t)) top5++;
    if (frequent[0] === t) base1++;
    if (frequent.includes(t)) base5++;
  }
}
model.dispose();
const result = {
  windows: chosen.length, maskedTokens: total,
  model: { top1: top1 / total, top5: top5 / total },
  unigramBaseline: { top1: base1 / total, top5: base5 / total, mostFrequent: frequent.map((t) => tokenizer.idToToken(t)) },
};
console.log(JSON.stringify(result, null, 2));
if (checks.length) {
  const fill = (await pipeline('fill-mask', modelDir, { registry })) as unknown as { call(t: string, o: object): Promise<{ tokenStr: string; score: number }[]>; dispose(): void };
  for (const text of checks) console.log(text, '→', (await fill.call(text, { topK: 5 })).map((c) => `${c.tokenStr} ${c.score.toFixed(3)}`).join(', '));
  fill.dispose();
}
