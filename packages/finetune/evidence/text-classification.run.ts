/**
 * Evidence for the README: fine-tuning a small BERT and a small GPT-2, pretrained from scratch
 * here (evidence/common.ts), on author attribution with full fine-tuning, LoRA and prefix tuning.
 * Settings were chosen with select.run.ts on a validation split of the training sentences; the
 * evaluation sentences are used only here, once per method.
 *
 *   cd packages/finetune && npx vitest run --config evidence/vitest.config.ts evidence/text-classification.run.ts
 *
 * Writes evidence/results.json (`PART=bert` or `PART=gpt` runs one family and merges its rows).
 */
import fs from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { it } from 'vitest';
import { loadGradients } from '@tfkit/core-tensor';
import { BASE, buildData, EVAL_PER_CLASS, finetune, LABELS, MAX_LEN, pretrainedBert, pretrainedGpt, TRAIN_PER_CLASS, trainTokenizer, VOCAB_SIZE, type MethodConfig } from './common.js';

/** The chosen settings (see the selection table in the README). */
export const METHODS: Record<'bert' | 'gpt', Record<string, MethodConfig>> = {
  bert: {
    full: { method: 'full', lr: 5e-3, epochs: 8 },
    lora: { method: 'lora', lr: 5e-3, epochs: 8, r: 8, alpha: 16, targets: ['query', 'key', 'value', 'dense', 'word_embeddings'] },
    prefix: { method: 'prefix', lr: 1e-2, epochs: 15, numVirtualTokens: 8, prefixProjection: true },
  },
  gpt: {
    full: { method: 'full', lr: 3e-3, epochs: 5 },
    lora: { method: 'lora', lr: 5e-3, epochs: 8, r: 8, alpha: 16, targets: ['c_attn', 'c_proj', 'c_fc', 'wte'] },
    prefix: { method: 'prefix', lr: 1e-2, epochs: 15, numVirtualTokens: 8, prefixProjection: true },
  },
};

async function main() {
  await tf.setBackend('wasm');
  await tf.ready();
  await loadGradients();
  const part = process.env['PART'] ?? 'all';
  const data = buildData();
  const tokenizer = await trainTokenizer(data);
  const results: Record<string, unknown> = {
    task: `author attribution (${LABELS.join(' / ')}), 3 balanced classes`,
    train: data.train.length, eval: data.evalSet.length, trainPerClass: TRAIN_PER_CLASS, evalPerClass: EVAL_PER_CLASS, majorityBaseline: 1 / 3,
    maxLength: MAX_LEN, vocabSize: VOCAB_SIZE, base: BASE, backend: tf.getBackend(),
  };
  for (const family of ['bert', 'gpt'] as const) {
    if (part !== 'all' && part !== family) continue;
    const t0 = Date.now();
    const base = family === 'bert' ? await pretrainedBert(data, tokenizer) : await pretrainedGpt(data, tokenizer);
    const rows: Record<string, unknown> = { pretraining: { loss: base.loss, steps: base.steps } };
    for (const [name, config] of Object.entries(METHODS[family])) {
      const r = await finetune(family, base.dir, tokenizer, data.train, data.evalSet, config);
      rows[name] = { ...r, config };
      console.log(family, name, JSON.stringify(rows[name]));
    }
    rows['seconds'] = (Date.now() - t0) / 1000;
    results[family] = rows;
  }
  const file = new URL('./results.json', import.meta.url);
  const previous = await fs.readFile(file, 'utf8').then((t) => JSON.parse(t) as Record<string, unknown>, () => ({}));
  await fs.writeFile(file, `${JSON.stringify({ ...previous, ...results }, null, 2)}\n`);
  console.log(JSON.stringify(results, null, 2));
}

it('fine-tunes BERT and GPT-2 with full FT, LoRA and prefix tuning', main);
