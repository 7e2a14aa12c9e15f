/**
 * int8 against float16 for every embedded model (packages/all/assets): each float16 checkpoint is
 * converted with `tfkit quantize` (int8, one scale per output channel, the axis with the smaller
 * error; 1-D and small tensors stay float32), both are scored on the held-out set of the model's
 * card in the same run, and the table gives each metric, the file sizes and whether int8 is within
 * the bound. From the repository root:
 *
 *   nice -n 5 node --import ./tooling/embedded/hooks.mjs tooling/embedded/quantize/eval-embedded.ts [--rev <git rev>] [--ship] [--json <file>] [name...]
 *
 * `--rev`: read the float16 files from that commit (`git show <rev>:packages/all/assets/<name>/…`),
 * so the table can be remade after int8 has replaced them (the cards name the commit). `--ship`:
 * write the int8 model.safetensors into the asset folder of every model within the bound (the card
 * is edited by hand). Data: the tiny BERT family's test sets are made by
 * tooling/embedded/tiny-bert/prepare-*.mjs into `$TINY_BERT_DATA` (default /tmp/tiny-bert-data);
 * Fashion-MNIST from Debian's `dataset-fashion-mnist`; the rest from tooling/corpus and
 * tooling/embedded/data.
 *
 * The bound (the same for every model): each headline metric of the card within 0.5 points absolute
 * (accuracy, F1, exact match, chrF, ROUGE-L — all on a 0–100 scale) of the float16 model's, or for
 * perplexity within 1% relative; and the outputs the tests check unchanged (the tests run on the
 * shipped file, so a change fails them).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { defaultRegistry, registerAll, useBackend } from '@tfkit/all';
import { AutoModel, createRegistry, type Registry } from '@tfkit/core-tensor';
import { generate, type GenerationModel } from '@tfkit/generation';
import { ViTForImageClassification, ViTImageProcessor } from '@tfkit/models-vit';
import { Tokenizer } from '@tfkit/tokenizers';
import { runTfkit } from '../../../apps/cli/src/testing.js';
import { loadKeySentenceExamples, loadPhrasePairs } from '../data/index.js';
import { chrF, exactMatchRate, meanRougeL } from '../metrics.js';
import { pipelineOutputs } from '../pipeline-outputs.js';
import { FASHION_MNIST_DIR, loadSplit } from '../vit-fashion/data.js';
import { heldOutWindows, lmLoss } from './eval-lm.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const assets = path.join(root, 'packages/all/assets');
const bertData = process.env['TINY_BERT_DATA'] ?? '/tmp/tiny-bert-data';
const log = (s: string) => process.stderr.write(`[quantize] ${s}\n`);

/** A metric the bound applies to: `abs` points (0–100 scale) or `rel` (fraction of the float16 value). */
interface Metric { name: string; bound: { abs: number } | { rel: number } }
interface Spec { metrics: Metric[]; evaluate(dir: string): Promise<Record<string, number>> }

const points = (name: string): Metric => ({ name, bound: { abs: 0.5 } });
const pct = (x: number) => 100 * x;

let registry: Registry | undefined;
async function wasm(): Promise<Registry> {
  if (!registry) {
    registry = registerAll(createRegistry());
    await useBackend(registry, 'wasm', { threads: 1 });
    await useBackend(defaultRegistry(), 'wasm', { threads: 1 });
  }
  return registry;
}

/** `tfkit eval` in this process, on wasm: its JSON metrics. */
async function tfkitEval(args: string[]): Promise<Record<string, number>> {
  const run = await runTfkit(['eval', ...args, '--backend', 'wasm', '--json'], root);
  if (run.code !== 0) throw new Error(`tfkit eval ${args.join(' ')}: exit ${run.code}\n${run.stderr}`);
  return JSON.parse(run.stdout) as Record<string, number>;
}

/** Outputs of a text-to-text pipeline on wasm (greedy unless `numBeams`), as build.ts scores the tiny BARTs. */
async function wasmPipelineOutputs(task: 'translation' | 'summarization', dir: string, texts: string[], maxNewTokens: number, batch: number, numBeams = 1): Promise<string[]> {
  await wasm();
  return pipelineOutputs(task, dir, texts, maxNewTokens, batch, numBeams);
}

/** The recurrent / Transformer translation models, decoded as seq2seq-translation/train.ts does. */
async function seq2seqChrF(dir: string): Promise<Record<string, number>> {
  const reg = await wasm();
  const tokenizer = await Tokenizer.fromPretrained(dir);
  const model = (await AutoModel.fromPretrained(dir, { registry: reg })) as unknown as GenerationModel & { dispose(): void };
  const test = loadPhrasePairs({ split: 'test' });
  const refs = test.map((p) => p.target);
  const decode = async (numBeams: number): Promise<string[]> => {
    const outputs: string[] = [];
    for (let i = 0; i < test.length; i += 64) {
      const enc = tokenizer.encodeBatch(test.slice(i, i + 64).map((p) => p.source), { padding: 'longest', paddingSide: 'right' });
      const out = await generate(model, enc.map((e) => e.ids), { attentionMask: enc.map((e) => e.attentionMask), maxNewTokens: 16, numBeams, doSample: false, tokenizer });
      for (const ids of out.sequences) outputs.push(tokenizer.decode(ids, { skipSpecialTokens: true }).trim());
    }
    return outputs;
  };
  const beam = await decode(4);
  const greedy = await decode(1);
  model.dispose();
  return { 'chrF (beam 4)': chrF(beam, refs), 'chrF (greedy)': chrF(greedy, refs), 'exact match (beam 4)': pct(exactMatchRate(beam, refs)) };
}

const SPECS: Record<string, Spec> = {
  'tiny-gpt2': {
    metrics: [{ name: 'perplexity', bound: { rel: 0.01 } }],
    async evaluate(dir) {
      const { batches } = await heldOutWindows(dir);
      const { loss } = await lmLoss(dir, batches, await wasm());
      return { loss, perplexity: Math.exp(loss) };
    },
  },
  'tiny-gpt2-prompts': {
    metrics: [points('<to-fr> chrF'), points('<summarize> ROUGE-L')],
    async evaluate(dir) {
      // gpt2-prompts/train.ts's evaluation: greedy, batches of 32, the test pairs and the test passages that fit 128 positions.
      const reg = await wasm();
      const tokenizer = await Tokenizer.fromPretrained(dir);
      const model = (await AutoModel.fromPretrained(dir, { registry: reg })) as unknown as GenerationModel & { dispose(): void };
      const eos = 0;
      const complete = async (prompts: string[], maxNewTokens: number): Promise<string[]> => {
        const out: string[] = [];
        for (let i = 0; i < prompts.length; i += 32) {
          const ids = prompts.slice(i, i + 32).map((p) => tokenizer.encode(p).ids);
          const longest = Math.max(...ids.map((r) => r.length));
          const gen = await generate(model, ids, { maxNewTokens: Math.min(maxNewTokens, 128 - longest), doSample: false, padTokenId: eos, eosTokenId: eos });
          out.push(...gen.sequences.map((s) => tokenizer.decode(s.slice(gen.prefixLength), { skipSpecialTokens: true }).trim()));
        }
        return out;
      };
      const pairs = loadPhrasePairs({ split: 'test' });
      const tr = await complete(pairs.map((p) => `${p.source} <to-fr>`), 16);
      const fits = (e: { source: string; target: string }) => tokenizer.encode(`${e.source} <summarize>`).ids.length + tokenizer.encode(` ${e.target}`).ids.length + 1 <= 128;
      const passages = loadKeySentenceExamples({ split: 'test' }).filter(fits);
      const su = await complete(passages.map((e) => `${e.source} <summarize>`), 64);
      model.dispose();
      const refs = pairs.map((p) => p.target);
      return {
        '<to-fr> exact match': pct(exactMatchRate(tr, refs)), '<to-fr> chrF': chrF(tr, refs),
        '<summarize> exact match': pct(exactMatchRate(su, passages.map((e) => e.target))), '<summarize> ROUGE-L': pct(meanRougeL(su, passages.map((e) => e.target))),
      };
    },
  },
  'tiny-bert': {
    metrics: [points('top-1'), points('top-5')],
    async evaluate(dir) {
      // mlm-eval.ts as the card runs it (a script of its own: run as a child process).
      const run = spawnSync(process.execPath, ['--import', './tooling/embedded/hooks.mjs', 'tooling/embedded/tiny-bert/mlm-eval.ts', dir, bertData], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
      if (run.status !== 0) throw new Error(`mlm-eval.ts ${dir}: exit ${run.status}\n${run.stderr}`);
      const result = JSON.parse(run.stdout) as { model: { top1: number; top5: number } };
      return { 'top-1': pct(result.model.top1), 'top-5': pct(result.model.top5) };
    },
  },
  'tiny-bert-authors': {
    metrics: [points('accuracy')],
    async evaluate(dir) {
      const m = await tfkitEval(['--model', dir, '--task', 'text-classification', '--data', path.join(bertData, 'classify-test.jsonl'), '--max-length', '128']);
      return { accuracy: pct(m['eval_accuracy']!), 'macro F1': pct(m['eval_f1']!) };
    },
  },
  'tiny-bert-ner': {
    metrics: [points('entity F1')],
    async evaluate(dir) {
      const m = await tfkitEval(['--model', dir, '--task', 'token-classification', '--data', path.join(bertData, 'ner-test.jsonl'), '--max-length', '96']);
      return { precision: pct(m['eval_precision']!), recall: pct(m['eval_recall']!), 'entity F1': pct(m['eval_f1']!) };
    },
  },
  'tiny-bert-qa': {
    metrics: [points('exact match'), points('F1')],
    async evaluate(dir) {
      const m = await tfkitEval(['--model', dir, '--task', 'question-answering', '--data', path.join(bertData, 'qa-test.jsonl'), '--max-length', '128']);
      return { 'exact match': pct(m['eval_exact_match']!), F1: pct(m['eval_f1']!) };
    },
  },
  'tiny-bart-translation': {
    metrics: [points('chrF (beam 4)'), points('chrF (greedy)')],
    async evaluate(dir) {
      // bart/build.ts's scoring: beam search (the setting config.json ships) and greedy (what the tests check).
      const test = loadPhrasePairs({ split: 'test' });
      const sources = test.map((p) => p.source);
      const beam = await wasmPipelineOutputs('translation', dir, sources, 16, 64, 4);
      const greedy = await wasmPipelineOutputs('translation', dir, sources, 16, 64);
      const refs = test.map((p) => p.target);
      return { 'chrF (beam 4)': chrF(beam, refs), 'chrF (greedy)': chrF(greedy, refs), 'exact match (beam 4)': pct(exactMatchRate(beam, refs)) };
    },
  },
  'tiny-bart-summarization': {
    metrics: [points('ROUGE-L (beam 4)'), points('ROUGE-L (greedy)')],
    async evaluate(dir) {
      // bart/build.ts's scoring: beam search (the setting config.json ships) and greedy (what the tests check).
      const test = loadKeySentenceExamples({ split: 'test' });
      const texts = test.map((e) => e.source);
      const beam = await wasmPipelineOutputs('summarization', dir, texts, 72, 16, 4);
      const greedy = await wasmPipelineOutputs('summarization', dir, texts, 72, 16);
      const gold = test.map((e) => e.target);
      return { 'ROUGE-L (beam 4)': pct(meanRougeL(beam, gold)), 'ROUGE-L (greedy)': pct(meanRougeL(greedy, gold)), 'exact match (beam 4)': pct(exactMatchRate(beam, gold)) };
    },
  },
  'tiny-gru-translation': { metrics: [points('chrF (beam 4)'), points('chrF (greedy)')], evaluate: seq2seqChrF },
  'tiny-transformer-translation': { metrics: [points('chrF (beam 4)'), points('chrF (greedy)')], evaluate: seq2seqChrF },
  'tiny-vit-fashion': {
    metrics: [points('test accuracy')],
    async evaluate(dir) {
      await wasm();
      const model = await ViTForImageClassification.fromPretrained(dir);
      const processor = await ViTImageProcessor.fromPretrained(dir);
      const test = loadSplit(FASHION_MNIST_DIR, 't10k');
      let correct = 0;
      for (let b = 0; b < test.length; b += 500) {
        const batch = test.slice(b, b + 500);
        const px = processor.preprocess(batch.map((i) => i.image));
        const pred = tf.tidy(() => tf.argMax(model.forward({ pixelValues: px }).logits, 1).dataSync() as Int32Array);
        px.dispose();
        batch.forEach((it, i) => (correct += pred[i] === it.label ? 1 : 0));
      }
      model.dispose();
      return { 'test accuracy': pct(correct / test.length) };
    },
  },
};

function within(m: Metric, f16: number, int8: number): boolean {
  return 'abs' in m.bound ? Math.abs(int8 - f16) <= m.bound.abs : Math.abs(int8 - f16) <= m.bound.rel * Math.abs(f16);
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { rev: { type: 'string' }, ship: { type: 'boolean', default: false }, json: { type: 'string' } } });
const names = positionals.length ? positionals : Object.keys(SPECS);
for (const n of names) if (!SPECS[n]) throw new Error(`unknown embedded model "${n}"; known: ${Object.keys(SPECS).join(', ')}`);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-quantize-embedded-'));
const rows = ['| model | metric | float16 | int8 | bound | within | model.safetensors float16 → int8 |', '| --- | --- | --- | --- | --- | --- | --- |'];
const results: Record<string, unknown> = {};
await wasm(); // tfkit quantize makes tensors on the backend in use
try {
  for (const name of names) {
    const spec = SPECS[name]!;
    const asset = path.join(assets, name);
    // The float16 folder: the asset as it is, or with model.safetensors from --rev.
    let f16 = asset;
    if (values.rev) {
      f16 = path.join(tmp, `${name}-float16`);
      fs.cpSync(asset, f16, { recursive: true });
      const show = spawnSync('git', ['show', `${values.rev}:packages/all/assets/${name}/model.safetensors`], { cwd: root, maxBuffer: 1 << 28 });
      if (show.status !== 0) throw new Error(`git show ${values.rev}: ${show.stderr}`);
      fs.writeFileSync(path.join(f16, 'model.safetensors'), show.stdout);
    }
    const header = fs.readFileSync(path.join(f16, 'model.safetensors')).subarray(8, 4096).toString('latin1');
    if (header.includes('tfkit_quantization')) throw new Error(`${f16}/model.safetensors is already int8: give --rev <the commit whose card says float16>`);
    const int8 = path.join(tmp, `${name}-int8`);
    const q = await runTfkit(['quantize', f16, int8], root);
    if (q.code !== 0) throw new Error(`tfkit quantize ${f16}: ${q.stderr}`);
    const sizes = [f16, int8].map((d) => fs.statSync(path.join(d, 'model.safetensors')).size) as [number, number];
    log(`${name}: ${sizes[0]} → ${sizes[1]} bytes; evaluating float16`);
    const a = await spec.evaluate(f16);
    log(`${name}: float16 ${JSON.stringify(a)}; evaluating int8`);
    const b = await spec.evaluate(int8);
    log(`${name}: int8 ${JSON.stringify(b)}`);
    const ok = spec.metrics.every((m) => within(m, a[m.name]!, b[m.name]!));
    for (const key of Object.keys(a)) {
      const m = spec.metrics.find((x) => x.name === key);
      const bound = m ? ('abs' in m.bound ? `±${m.bound.abs}` : `±${100 * m.bound.rel}%`) : '—';
      rows.push(`| ${name} | ${key} | ${a[key]!.toFixed(3)} | ${b[key]!.toFixed(3)} | ${bound} | ${m ? (within(m, a[key]!, b[key]!) ? 'yes' : '**no**') : ''} | ${sizes[0].toLocaleString('en')} → ${sizes[1].toLocaleString('en')} |`);
    }
    results[name] = { float16: a, int8: b, bytes: { float16: sizes[0], int8: sizes[1] }, withinBound: ok };
    if (values.ship && ok) {
      fs.copyFileSync(path.join(int8, 'model.safetensors'), path.join(asset, 'model.safetensors'));
      log(`${name}: shipped int8 (${sizes[1]} bytes)`);
    }
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
console.log(rows.join('\n'));
if (values.json) fs.writeFileSync(values.json, `${JSON.stringify(results, null, 2)}\n`);
