// The Trainer against a real PyTorch run, step for step: tfkit fine-tunes the BERT
// sequence-classification fixture with AdamW (weight decay, no decay on biases and LayerNorm), a
// linear warm-up schedule, gradient clipping and gradient accumulation (with a shorter last
// step), records every micro-batch it trained on and saves the initial weights; then
// test/train_reference.py trains the same model on the same micro-batches with torch.optim.AdamW,
// LambdaLR, clip_grad_norm_ and backward() accumulation. Losses must agree within 1e-4 relative and
// the final weights within 1e-4. With left padding the pad token sits at position 0, where the
// pooler reads it, so its embedding row reaches the loss: PyTorch's padding_idx keeps that row from
// learning, and so must tfkit. Needs Debian's python3-torch (installed by .ci/run); without it,
// outside CI, the tests are skipped with a message.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Random, safetensorsToTensors } from '@tfkit/core-tensor';
import { BertForSequenceClassification } from '@tfkit/models-bert';
import { fixturePath } from '@tfkit/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Batch } from '../data/collator.js';
import { Dataset } from '../data/dataset.js';
import { AdamW } from '../optim/adam.js';
import { groupParameters } from '../optim/param-groups.js';
import type { TrainerCallback } from './callbacks.js';
import { Trainer } from './trainer.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = path.resolve(import.meta.dirname, '../../test/train_reference.py');
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
// In CI torch is installed by .ci/run, so a missing torch fails there instead of skipping.
const enabled = hasTorch || Boolean(process.env['CI']);
if (!enabled) console.warn(`trainer-pytorch.slow.test.ts: skipped — ${PYTHON} cannot import torch (install Debian's python3-torch to run the PyTorch comparison)`);

const PAD = 0;
// eps 1e-6 (the original BERT's Adam epsilon) rather than torch's 1e-8: the attention key biases
// have a gradient of exactly zero (softmax ignores a shift shared by all keys; 3e-17 in float64),
// which float32 computes as rounding noise of ~2e-8 that differs between any two implementations.
// Adam divides by √v + eps, so with eps 1e-8 that noise becomes steps of up to the learning rate
// and the comparison would measure noise (5e-4 apart after 6 steps); with 1e-6 it stays ~1e-5.
const HYPER = { lr: 1e-3, eps: 1e-6, weightDecay: 0.01, warmupSteps: 2, maxGradNorm: 1.0, batchSize: 4, accumulation: 2, epochs: 2 };

interface Example { ids: number[]; label: number }
interface MicroBatch { input_ids: number[][]; attention_mask: number[][]; labels: number[] }

// 20 sentences of 2–9 tokens after a CLS-like id 2: 5 batches of 4 an epoch, so each epoch is
// steps of 2, 2 and 1 micro-batches.
const rng = new Random(11);
const examples: Example[] = Array.from({ length: 20 }, (_, i) => ({ ids: [2, ...Array.from({ length: 2 + rng.int(8) }, () => 5 + rng.int(990))], label: i % 3 }));

let tmp = '';
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'tfkit-trainer-pytorch-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

/** Pads to the longest sequence on `side`; every batch goes into `record` as plain arrays. */
function collator(side: 'left' | 'right', record: MicroBatch[]) {
  return (batch: Example[]): Batch => {
    const len = Math.max(...batch.map((e) => e.ids.length));
    const pad = (row: number[], value: number) => {
      const fill = Array<number>(len - row.length).fill(value);
      return side === 'left' ? [...fill, ...row] : [...row, ...fill];
    };
    const mb: MicroBatch = { input_ids: batch.map((e) => pad(e.ids, PAD)), attention_mask: batch.map((e) => pad(e.ids.map(() => 1), 0)), labels: batch.map((e) => e.label) };
    record.push(mb);
    return { inputIds: tf.tensor2d(mb.input_ids, undefined, 'int32'), attentionMask: tf.tensor2d(mb.attention_mask, undefined, 'int32'), labels: tf.tensor1d(mb.labels, 'int32') };
  };
}

interface Reference { losses: number[]; learning_rates: number[]; grad_norms: number[]; weights: Record<string, number[]> }

async function compare(side: 'left' | 'right') {
  const dir = path.join(tmp, side);
  const model = await BertForSequenceClassification.fromPretrained(fixturePath('models', 'bert-sequence-classification'), {
    // No dropout, so both runs are deterministic (the reference has none).
    configOverrides: { hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 },
  });
  await model.savePretrained(path.join(dir, 'initial'));
  const padRow = () => Array.from(tf.tidy(() => tf.slice(model.bert.embeddings.word_embeddings.weight.value, [PAD, 0], [1, -1]).dataSync()));
  const padBefore = padRow();

  const pending: MicroBatch[] = [];
  const steps: MicroBatch[][] = [];
  const ours: { loss: number; learningRate: number; gradNorm?: number }[] = [];
  const recorder: TrainerCallback = {
    onStepEnd: (_state, info) => {
      steps.push(pending.splice(0));
      ours.push({ loss: info.loss, learningRate: info.learningRate, gradNorm: info.gradNorm });
    },
  };
  const trainer = new Trainer<Example>({
    model, trainDataset: Dataset.fromArray(examples), collator: collator(side, pending), callbacks: [recorder],
    optimizer: (m) => new AdamW(groupParameters(m, { lr: HYPER.lr, weightDecay: HYPER.weightDecay }), { lr: HYPER.lr, eps: HYPER.eps }),
    scheduler: 'linear', warmupSteps: HYPER.warmupSteps, maxGradNorm: HYPER.maxGradNorm,
    batchSize: HYPER.batchSize, gradientAccumulationSteps: HYPER.accumulation, epochs: HYPER.epochs, seed: 3,
  });
  const result = await trainer.train();
  trainer.optimizer.dispose();
  expect(result.globalStep).toBe(6);
  expect(steps.map((s) => s.length)).toEqual([2, 2, 1, 2, 2, 1]);
  // Clipping did something: the first steps' norms are above maxGradNorm.
  expect(ours.some((s) => (s.gradNorm as number) > HYPER.maxGradNorm)).toBe(true);
  if (side === 'left') {
    // The pad token is at position 0 of some rows, where the pooler reads it...
    expect(steps.flat().some((mb) => mb.input_ids.some((row) => row[0] === PAD))).toBe(true);
  }
  // ...and, as with PyTorch's padding_idx, its row (zero from Hugging Face's init) did not learn.
  expect(padBefore.every((v) => v === 0)).toBe(true);
  expect(padRow()).toEqual(padBefore);
  await model.savePretrained(path.join(dir, 'final'));
  model.dispose();

  const runFile = path.join(dir, 'run.json');
  await fs.writeFile(runFile, JSON.stringify({
    lr: HYPER.lr, weight_decay: HYPER.weightDecay, betas: [0.9, 0.999], eps: HYPER.eps, warmup_steps: HYPER.warmupSteps, total_steps: 6, max_grad_norm: HYPER.maxGradNorm, steps,
  }));
  const out = spawnSync(PYTHON, [SCRIPT, path.join(dir, 'initial'), runFile], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (out.status !== 0) throw new Error(`train_reference.py failed (${out.status}): ${out.stderr}${out.stdout}`);
  const ref = JSON.parse(out.stdout) as Reference;

  const lossRel = Math.max(...ours.map((s, i) => Math.abs(s.loss - (ref.losses[i] as number)) / Math.abs(ref.losses[i] as number)));
  const lrDiff = Math.max(...ours.map((s, i) => Math.abs(s.learningRate - (ref.learning_rates[i] as number))));
  const normRel = Math.max(...ours.map((s, i) => Math.abs((s.gradNorm as number) - (ref.grad_norms[i] as number)) / (ref.grad_norms[i] as number)));
  const { tensors } = safetensorsToTensors(new Uint8Array(await fs.readFile(path.join(dir, 'final', 'model.safetensors'))));
  let weightDiff = 0;
  let worst = '';
  let otherDiff = 0; // outside the key biases (see HYPER.eps)
  expect([...tensors.keys()].sort()).toEqual(Object.keys(ref.weights).sort());
  for (const [name, t] of tensors) {
    const a = t.dataSync();
    const b = ref.weights[name] as number[];
    expect(a.length, name).toBe(b.length);
    for (let i = 0; i < a.length; i++) {
      const d = Math.abs((a[i] as number) - (b[i] as number));
      if (d > weightDiff) [weightDiff, worst] = [d, name];
      if (!name.endsWith('key.bias')) otherDiff = Math.max(otherDiff, d);
    }
    t.dispose();
  }
  console.log(`${side} padding: losses ${ours.map((s) => s.loss.toFixed(5)).join(' ')} | max loss rel diff ${lossRel.toExponential(2)}, lr diff ${lrDiff.toExponential(2)}, grad-norm rel diff ${normRel.toExponential(2)}, max weight diff ${weightDiff.toExponential(2)} (${worst}; ${otherDiff.toExponential(2)} elsewhere)`);
  expect(lossRel).toBeLessThan(1e-4);
  expect(weightDiff).toBeLessThan(1e-4);
  expect(lrDiff).toBeLessThan(1e-9);
  expect(normRel).toBeLessThan(1e-4);
  // The run moved the weights well past the tolerance (a comparison that cannot fail proves nothing).
  const init = safetensorsToTensors(new Uint8Array(await fs.readFile(path.join(dir, 'initial', 'model.safetensors')))).tensors;
  let moved = 0;
  for (const [name, t] of init) {
    const a = t.dataSync();
    const b = ref.weights[name] as number[];
    for (let i = 0; i < a.length; i++) moved = Math.max(moved, Math.abs((a[i] as number) - (b[i] as number)));
    t.dispose();
  }
  expect(moved).toBeGreaterThan(1e-3);
}

describe('Trainer matches a PyTorch fine-tuning run step for step (AdamW, warm-up, clipping, accumulation)', () => {
  (enabled ? it : it.skip)('BERT classifier on left-padded batches (the pad token reaches the loss through the pooler)', () => compare('left'), 300_000);
  (enabled ? it : it.skip)('BERT classifier on right-padded batches', () => compare('right'), 300_000);
});
