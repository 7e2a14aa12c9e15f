// Checkpoints fine-tuned and saved by tfkit, loaded the way Hugging Face transformers and PEFT load
// them (test/hf_reference.py: transformers' module trees and PEFT's LoRA in plain PyTorch, strict
// state_dict loading) and run in PyTorch: the logits must match tfkit's. Needs Debian's
// python3-torch, which .ci/run installs; without it (outside CI) the tests are skipped.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { safetensorsToTensors } from '@tfkit/core-tensor';
import { BertForSequenceClassification } from '@tfkit/models-bert';
import { GPT2ForSequenceClassification } from '@tfkit/models-gpt';
import { expectAllClose, fixturePath, readFixtureJson } from '@tfkit/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dataset } from './data/dataset.js';
import { padSequences } from './data/collator.js';
import { LoraModel } from './methods/lora.js';
import { saveLoraAdapter } from './methods/lora-io.js';
import { Trainer } from './train/trainer.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = path.resolve(import.meta.dirname, '../test/hf_reference.py');
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
// In CI torch is installed by .ci/run, so a missing torch fails there instead of skipping.
const run = hasTorch || process.env['CI'] ? it : it.skip;

const rows = [[2, 15, 27, 99, 3, 0, 0], [2, 8, 41, 77, 120, 9, 3], [2, 500, 3, 0, 0, 0, 0]];
const masks = rows.map((r) => r.map((id, i) => (id !== 0 || i === 0 ? 1 : 0)));

let tmp = '';
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'tfkit-hf-reference-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

/** A few full training steps on random sentences, so every weight moves away from the fixture. */
async function finetuneSteps(model: object, options: { lr: number; steps: number }): Promise<void> {
  const data = Dataset.fromArray(Array.from({ length: 16 }, (_, i) => ({ ids: [2, ...Array.from({ length: 5 + (i % 3) }, (_, j) => 5 + ((i * 37 + j * 11) % 900)), 3], label: i % 3 })));
  const trainer = new Trainer<{ ids: number[]; label: number }>({
    model: model as never, trainDataset: data, batchSize: 4, maxSteps: options.steps, learningRate: options.lr, warmupSteps: 0, seed: 5,
    collator: (b) => ({ inputIds: padSequences(b.map((x) => x.ids), 0), attentionMask: padSequences(b.map((x) => x.ids.map(() => 1)), 0), labels: tf.tensor1d(b.map((x) => x.label), 'int32') }),
  });
  await trainer.train();
  trainer.optimizer.dispose();
}

/** Logits from test/hf_reference.py for `family` loaded from `dir` (and a PEFT adapter). */
type Family = 'bert' | 'gpt2' | 'gpt2-lm';
async function referenceLogits(family: Family, dir: string, adapterDir?: string, batch: { input_ids: number[][]; attention_mask: number[][] } = { input_ids: rows, attention_mask: masks }): Promise<number[][]> {
  const inputs = path.join(tmp, 'inputs.json');
  await fs.writeFile(inputs, JSON.stringify(batch));
  const out = spawnSync(PYTHON, [SCRIPT, family, dir, inputs, ...(adapterDir ? [adapterDir] : [])], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`hf_reference.py failed (${out.status}): ${out.stderr}${out.stdout}`);
  return (JSON.parse(out.stdout) as { logits: number[][] }).logits;
}

function logitsOf(model: { forward(i: object): unknown; eval(): void }): tf.Tensor {
  model.eval();
  return tf.tidy(() => (model.forward({ inputIds: tf.tensor2d(rows, undefined, 'int32'), attentionMask: tf.tensor2d(masks, undefined, 'int32') }) as { logits: tf.Tensor }).logits);
}

describe('tfkit checkpoints load as Hugging Face loads them (PyTorch reference)', () => {
  run('the reference itself reproduces the logits transformers wrote for the BERT fixture', async () => {
    const dir = fixturePath('models', 'bert-sequence-classification');
    const { forward } = readFixtureJson<{ forward: { input_ids: number[][]; attention_mask: number[][] } }>('models', 'bert-sequence-classification', 'inputs.json');
    const { tensors } = safetensorsToTensors(new Uint8Array(await fs.readFile(path.join(dir, 'expected.safetensors'))));
    expectAllClose(tensors.get('logits') as tf.Tensor, await referenceLogits('bert', dir, undefined, forward), { atol: 1e-5 });
    tensors.forEach((t) => t.dispose());
  });

  run('… and the logits transformers wrote for the GPT-2 fixture (its transformer, with the tied LM head)', async () => {
    const dir = fixturePath('models', 'gpt2-lm');
    const { forward } = readFixtureJson<{ forward: { input_ids: number[][]; attention_mask: number[][] } }>('models', 'gpt2-lm', 'inputs.json');
    const { tensors } = safetensorsToTensors(new Uint8Array(await fs.readFile(path.join(dir, 'expected.safetensors'))));
    expectAllClose(tensors.get('logits') as tf.Tensor, await referenceLogits('gpt2-lm', dir, undefined, forward), { atol: 1e-4 });
    tensors.forEach((t) => t.dispose());
  });

  run('a fully fine-tuned BertForSequenceClassification: strict state_dict load, same logits', async () => {
    const model = await BertForSequenceClassification.fromPretrained(fixturePath('models', 'bert-sequence-classification'));
    const before = logitsOf(model);
    model.train();
    await finetuneSteps(model, { lr: 1e-2, steps: 3 });
    const dir = path.join(tmp, 'bert-full');
    await model.savePretrained(dir);
    const ours = logitsOf(model);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(ours, before))).dataSync()[0])).toBeGreaterThan(1e-2);
    expectAllClose(ours, await referenceLogits('bert', dir), { atol: 1e-4 });
    tf.dispose([before, ours]);
    model.dispose();
  });

  run('a LoRA adapter (PEFT files, Linear and Embedding targets) on the base checkpoint: same logits as tfkit with the adapter', async () => {
    const model = await BertForSequenceClassification.fromPretrained(fixturePath('models', 'bert-sequence-classification'));
    const lora = LoraModel.apply(model, { r: 4, loraAlpha: 8, targetModules: ['query', 'value', 'intermediate.dense', 'word_embeddings'], modulesToSave: ['classifier'], taskType: 'SEQ_CLS', seed: 1 });
    model.train();
    await finetuneSteps(model, { lr: 5e-2, steps: 4 });
    const dir = path.join(tmp, 'bert-lora');
    await saveLoraAdapter(lora, dir);
    const ours = logitsOf(model);
    const plain = await lora.withAdaptersDisabled(() => logitsOf(model));
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(ours, plain))).dataSync()[0])).toBeGreaterThan(1e-2);
    expectAllClose(ours, await referenceLogits('bert', fixturePath('models', 'bert-sequence-classification'), dir), { atol: 1e-4 });
    tf.dispose([ours, plain]);
    lora.dispose();
    model.dispose();
  });

  run('a fully fine-tuned GPT2ForSequenceClassification (new 3-label head, padding): same logits', async () => {
    const model = await GPT2ForSequenceClassification.fromPretrained(fixturePath('models', 'gpt2-lm'), { configOverrides: { num_labels: 3, pad_token_id: 0 }, strict: false } as never);
    model.train();
    await finetuneSteps(model, { lr: 1e-2, steps: 3 });
    const dir = path.join(tmp, 'gpt2-full');
    await model.savePretrained(dir);
    const ours = logitsOf(model);
    expect(ours.shape).toEqual([3, 3]);
    expectAllClose(ours, await referenceLogits('gpt2', dir), { atol: 1e-4 });
    ours.dispose();
    model.dispose();
  });
});
