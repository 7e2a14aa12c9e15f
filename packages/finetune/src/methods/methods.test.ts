import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { expectAllClose, expectNoLeaks } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { AdamW } from '../optim/adam.js';
import { ToyClassifier, toyCollator, toyDataset } from '../testing/toy.js';
import type { TrainerCallback } from '../train/callbacks.js';
import { Trainer } from '../train/trainer.js';
import { freezeLayers } from './freeze.js';
import { countLayers, depthOf } from './layers.js';
import { layerwiseLrScale, layerwiseParamGroups } from './llrd.js';
import { reinitTopLayers } from './reinit.js';
import { SwaCallback } from './swa.js';

describe('layer depth from names', () => {
  it('reads the common spellings by default, and a given naming', () => {
    expect(depthOf('bert.encoder.layer.11.attention.self.query.weight')).toEqual({ kind: 'layer', index: 11 });
    expect(depthOf('bert.embeddings.word_embeddings.weight')).toEqual({ kind: 'embeddings' });
    expect(depthOf('classifier.weight')).toEqual({ kind: 'top' });
    expect(depthOf('transformer.h.3.attn.c_attn.weight')).toEqual({ kind: 'layer', index: 3 });
    expect(depthOf('transformer.wte.weight')).toEqual({ kind: 'embeddings' });
    expect(depthOf('model.decoder.layers.2.fc1.weight')).toEqual({ kind: 'layer', index: 2 });
    expect(depthOf('encoder.layer.1')).toEqual({ kind: 'layer', index: 1 });
    const naming = { layer: /(?:^|\.)stage(\d+)\./, embeddings: /(?:^|\.)stem\./ };
    expect(depthOf('net.stage4.conv.weight', naming)).toEqual({ kind: 'layer', index: 4 });
    expect(depthOf('net.stem.weight', naming)).toEqual({ kind: 'embeddings' });
    expect(depthOf('encoder.layer.1.dense.weight', naming)).toEqual({ kind: 'top' });
  });
});

describe('layer-wise learning-rate decay', () => {
  it('top layer and head at the base rate, decaying downwards, embeddings lowest', () => {
    const m = new ToyClassifier({ layers: 3 });
    const scale = layerwiseLrScale(m, { decay: 0.5 });
    expect(['classifier.weight', 'encoder.layer.2.dense.weight', 'encoder.layer.1.dense.weight', 'encoder.layer.0.LayerNorm.bias', 'embeddings.weight'].map(scale)).toEqual([1, 1, 0.5, 0.25, 0.125]);
    const groups = layerwiseParamGroups(m, { decay: 0.5, lr: 1e-3, weightDecay: 0.01 });
    const emb = groups.find((g) => g.params.some(([n]) => n === 'embeddings.weight'));
    expect(emb).toMatchObject({ lr: 1.25e-4, weightDecay: 0.01 });
    const ln0 = groups.find((g) => g.params.some(([n]) => n === 'encoder.layer.0.LayerNorm.weight'));
    expect(ln0).toMatchObject({ lr: 2.5e-4, weightDecay: 0 });
    expect(() => layerwiseLrScale(m, { decay: 0.9, naming: { layer: /(?:^|\.)h\.(\d+)\./, embeddings: /wte/ } })).toThrow(/no layer index/);
    m.dispose();
  });
});

describe('freezing', () => {
  it('freezes embeddings and the bottom N layers', () => {
    const m = new ToyClassifier({ layers: 3 });
    const frozen = freezeLayers(m, { embeddings: true, bottomLayers: 2 });
    expect(frozen).toContain('embeddings.weight');
    expect(frozen).toContain('encoder.layer.1.dense.weight');
    expect(m.namedParameters({ trainableOnly: true }).map(([n]) => n)).toEqual([
      'encoder.layer.2.dense.weight', 'encoder.layer.2.dense.bias', 'encoder.layer.2.LayerNorm.weight', 'encoder.layer.2.LayerNorm.bias', 'classifier.weight', 'classifier.bias',
    ]);
    m.dispose();
  });
});

describe('re-initialising the top layers', () => {
  it('only the top N layers change, to HF init statistics', async () => {
    const m = new ToyClassifier({ layers: 3, dim: 64 });
    const snapshot = () => new Map(m.namedParameters().map(([n, p]) => [n, Array.from(p.value.dataSync())]));
    const before = snapshot();
    tf.tidy(() => m.getModule('encoder.layer.2.LayerNorm').namedParameters().forEach(([, p]) => p.value.assign(tf.fill(p.shape, 3))));
    const paths = await expectNoLeaks(() => reinitTopLayers(m, { topLayers: 1, initializerRange: 0.05, seed: 1 }));
    expect(paths).toEqual(['encoder.layer.2.dense', 'encoder.layer.2.LayerNorm']);
    const after = snapshot();
    expect(after.get('encoder.layer.1.dense.weight')).toEqual(before.get('encoder.layer.1.dense.weight'));
    const w = after.get('encoder.layer.2.dense.weight') as number[];
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    const std = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length);
    expect(Math.abs(mean)).toBeLessThan(0.005);
    expect(std).toBeGreaterThan(0.045);
    expect(std).toBeLessThan(0.055);
    expect(after.get('encoder.layer.2.dense.bias')?.every((v) => v === 0)).toBe(true);
    expect(after.get('encoder.layer.2.LayerNorm.weight')?.every((v) => v === 1)).toBe(true);
    expect(() => reinitTopLayers(m, { topLayers: 4 })).toThrow(/has 3 layers/);
    expect(countLayers(m)).toBe(3);
    m.dispose();
  });
});

describe('stochastic weight averaging', () => {
  it('averages the weights of the last 25% of steps with equal weight and swaps them in', async () => {
    const m = new ToyClassifier();
    const swa = new SwaCallback(m);
    const seen: number[][] = [];
    const record = { onStepEnd: (s: { globalStep: number }) => { if (s.globalStep >= 6) seen.push(Array.from(m.classifier.bias?.value.dataSync() ?? [])); } };
    const trainer = new Trainer({
      model: m, trainDataset: toyDataset(64), collator: toyCollator, batchSize: 8, maxSteps: 8, scheduler: 'swa', learningRate: 0.05,
      optimizer: (model) => new AdamW(model.namedParameters(), { lr: 0.05 }), callbacks: [record, swa],
    });
    await trainer.train();
    expect(swa.count).toBe(3); // round(8 · 0.75) = 6: the weights after steps 6, 7 and 8
    const expected = [0, 1].map((j) => seen.reduce((a, r) => a + (r[j] as number), 0) / seen.length);
    expectAllClose(m.classifier.bias?.value as tf.Tensor, expected, { atol: 1e-6 });
    expect(trainer.lrScheduler?.getLr()[0]).toBeCloseTo(0.05 * 0.5, 10);
    trainer.optimizer.dispose();
    m.dispose();
  });

  it('checkpoints the running average: an interrupted and resumed run ends with the same averaged weights', async () => {
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'tfkit-swa-'));
    const run = async (options: { outputDir: string; crashAt?: number; resume?: boolean; seed?: number }) => {
      const m = new ToyClassifier({ seed: options.seed ?? 0 });
      const swa = new SwaCallback(m);
      const crash: TrainerCallback = { onStepEnd: (s) => { if (s.globalStep === options.crashAt) throw new Error('simulated crash'); } };
      const trainer = new Trainer({
        model: m, trainDataset: toyDataset(64), collator: toyCollator, batchSize: 8, maxSteps: 12, scheduler: 'swa', learningRate: 0.05, seed: 1,
        outputDir: options.outputDir, saveEvery: 10, callbacks: [swa, crash],
      });
      const done = trainer.train({ resumeFrom: options.resume ?? false });
      if (options.crashAt) await expect(done).rejects.toThrow('simulated crash');
      else await done;
      const weights = m.parameters().map((p) => Array.from(p.value.dataSync()));
      const count = swa.count;
      swa.dispose();
      trainer.optimizer.dispose();
      m.dispose();
      return { weights, count };
    };
    const before = tf.memory().numTensors;
    const full = await run({ outputDir: path.join(tmp, 'full') });
    // Averaging starts at step 9; the crash comes after the checkpoint at step 10, mid-average.
    await run({ outputDir: path.join(tmp, 'cut'), crashAt: 11 });
    const saved = JSON.parse(await fs.readFile(path.join(tmp, 'cut', 'checkpoint-10', 'trainer_state.json'), 'utf8')) as { callbacks: { swa: { count: number } } };
    expect(saved.callbacks.swa.count).toBe(2);
    const resumed = await run({ outputDir: path.join(tmp, 'cut'), resume: true, seed: 42 });
    expect(full.count).toBe(4);
    expect(resumed.count).toBe(4);
    expect(resumed.weights).toEqual(full.weights);
    expect(tf.memory().numTensors).toBe(before);
    await fs.rm(tmp, { recursive: true, force: true });
  });

  it('refuses to resume an SWA run from a checkpoint written without SWA', async () => {
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'tfkit-swa-'));
    const m = new ToyClassifier();
    const plain = new Trainer({ model: m, trainDataset: toyDataset(16), collator: toyCollator, batchSize: 8, maxSteps: 2, outputDir: tmp, saveEvery: 2 });
    await plain.train();
    plain.optimizer.dispose();
    const swa = new SwaCallback(m);
    const resumed = new Trainer({ model: m, trainDataset: toyDataset(16), collator: toyCollator, batchSize: 8, maxSteps: 4, outputDir: tmp, callbacks: [swa] });
    await expect(resumed.train({ resumeFrom: true })).rejects.toThrow(/no state for callback "swa"/);
    resumed.optimizer.dispose();
    m.dispose();
    await fs.rm(tmp, { recursive: true, force: true });
  });
});
