/**
 * Chooses fine-tuning settings on a validation split of the TRAINING sentences (70 per class);
 * the evaluation sentences are never looked at here. Bases are pretrained once and cached.
 *
 *   MODEL=bert|gpt CONFIGS='[{"method":"lora","lr":5e-3,"epochs":5,"targets":["query","value"]}]' \
 *     npx vitest run --config evidence/vitest.config.ts evidence/select.run.ts
 *
 * Prints one RESULT line per config.
 */
import * as tf from '@tensorflow/tfjs-core';
import { it } from 'vitest';
import { loadGradients } from '@tfkit/core-tensor';
import { buildData, finetune, pretrainedBert, pretrainedGpt, trainTokenizer, validationSplit, type MethodConfig } from './common.js';

async function main() {
  await tf.setBackend('wasm');
  await tf.ready();
  await loadGradients();
  const data = buildData();
  const tokenizer = await trainTokenizer(data);
  const family = process.env['MODEL'] === 'gpt' ? 'gpt' : 'bert';
  const t0 = Date.now();
  const base = family === 'gpt' ? await pretrainedGpt(data, tokenizer) : await pretrainedBert(data, tokenizer);
  console.log('BASE', family, base.dir, 'loss', base.loss, 'steps', base.steps, 's', (Date.now() - t0) / 1000);
  const { train, val } = validationSplit(data.train);
  for (const config of JSON.parse(process.env['CONFIGS'] ?? '[]') as MethodConfig[]) {
    const r = await finetune(family, base.dir, tokenizer, train, val, config);
    console.log('RESULT', JSON.stringify(config), 'val_acc', r.accuracy.toFixed(3), 'loss', r.trainingLoss.toFixed(3), 'params', r.trainableParameters, 's', r.seconds);
  }
}
it('selects settings', main);
