// ViT checkpoints trained and saved by tfkit, loaded the way Hugging Face transformers loads them
// (test/vit_reference.py: transformers' ViTForImageClassification module tree in plain PyTorch,
// strict state_dict loading, Conv2d patch projection) and run in PyTorch: the logits must match
// tfkit's. Needs Debian's python3-torch, which .ci/run installs; outside CI, without it, skipped.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@tfkit/core-tensor';
import { expectAllClose, expectNoLeaks, fixturePath, readFixtureJson } from '@tfkit/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { ViTForImageClassification } from './vit-heads.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = path.resolve(import.meta.dirname, '../test/vit_reference.py');
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
// In CI torch is installed by .ci/run, so a missing torch fails there instead of skipping.
const run = hasTorch || process.env['CI'] ? it : it.skip;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-vit-reference-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function referenceLogits(dir: string, pixelValues: number[][][][]): number[][] {
  const inputs = path.join(tmp, 'inputs.json');
  fs.writeFileSync(inputs, JSON.stringify({ pixel_values: pixelValues }));
  const out = spawnSync(PYTHON, [SCRIPT, dir, inputs], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`vit_reference.py failed (${out.status}): ${out.stderr}${out.stdout}`);
  return (JSON.parse(out.stdout) as { logits: number[][] }).logits;
}

function randomPixels(n: number, channels: number, size: number, seed: number): number[][][][] {
  const rng = new Random(seed);
  return Array.from({ length: n }, () => Array.from({ length: channels }, () => Array.from({ length: size }, () => Array.from({ length: size }, () => rng.normal()))));
}

/** Adam steps on random labels, so every weight moves away from where it started. */
async function trainSteps(model: ViTForImageClassification, pixelValues: number[][][][], steps: number): Promise<void> {
  const px = tf.tensor4d(pixelValues);
  const labels = pixelValues.map((_, i) => i % model.classifier.outFeatures);
  const optimizer = tf.train.adam(0.01);
  model.train();
  for (let i = 0; i < steps; i++) optimizer.minimize(() => model.forward({ pixelValues: px, labels }).loss!, false, model.trainableVariables());
  model.eval();
  optimizer.dispose();
  px.dispose();
}

function logits(model: ViTForImageClassification, pixelValues: number[][][][]): number[][] {
  return tf.tidy(() => model.forward({ pixelValues }).logits.arraySync() as number[][]);
}

describe('tfkit-saved ViT checkpoints in PyTorch', () => {
  run('the reference reproduces Hugging Face on the fixture, and a fine-tuned, saved fixture model gives tfkit\'s logits', async () => {
    const name = 'vit-image-classification';
    const inputs = readFixtureJson<{ forward: { pixel_values: number[][][][] } }>('models', name, 'inputs.json').forward.pixel_values;
    const model = await ViTForImageClassification.fromPretrained(fixturePath('models', name));
    expectAllClose(referenceLogits(fixturePath('models', name), inputs), logits(model, inputs), { atol: 1e-4, label: 'fixture' });
    const before = logits(model, inputs);
    await expectNoLeaks(() => trainSteps(model, randomPixels(6, 3, 32, 1), 5), 'training');
    const after = logits(model, inputs);
    expect(Math.max(...after.flat().map((v, i) => Math.abs(v - before.flat()[i]!)))).toBeGreaterThan(0.05);
    const dir = path.join(tmp, 'fine-tuned');
    await model.savePretrained(dir);
    expectAllClose(referenceLogits(dir, inputs), after, { atol: 1e-4, label: 'fine-tuned' });
    model.dispose();
  });

  run('a fresh model with another config (no qkv bias, tanh GELU, 6×6 patches, 1 channel, 4 labels)', async () => {
    const model = new ViTForImageClassification({
      hiddenSize: 24, numHiddenLayers: 3, numAttentionHeads: 3, intermediateSize: 40, hiddenAct: 'gelu_new', qkvBias: false,
      imageSize: 24, patchSize: 6, numChannels: 1, id2label: { 0: 'a', 1: 'b', 2: 'c', 3: 'd' }, initializerRange: 0.2,
    }, { seed: 7 });
    await trainSteps(model, randomPixels(8, 1, 24, 2), 4);
    const dir = path.join(tmp, 'fresh');
    await model.savePretrained(dir);
    const inputs = randomPixels(3, 1, 24, 3);
    expectAllClose(referenceLogits(dir, inputs), logits(model, inputs), { atol: 1e-4, label: 'fresh' });
    model.dispose();
  });
});
