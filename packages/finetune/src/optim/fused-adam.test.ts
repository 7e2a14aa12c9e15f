import * as tf from '@tensorflow/tfjs-core';
import { Parameter } from '@tfkit/layers';
import { expectNoLeaks, withBackend } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { ToyClassifier, toyCollator, toyDataset } from '../testing/toy.js';
import { Trainer } from '../train/trainer.js';
import { Adam, AdamW } from './adam.js';
import { groupParameters } from './param-groups.js';

/** Trains the toy classifier for `steps` steps (clipping on, decay and no-decay groups); returns losses, norms, weights and state. */
async function trainToy(fused: boolean, steps: number, extra: { accumulation?: number; adam?: boolean } = {}) {
  const model = new ToyClassifier({ dim: 16, layers: 2, dropout: 0.1, seed: 3 });
  const groups = groupParameters(model, { lr: 0.05, weightDecay: 0.1 });
  const trainer = new Trainer({
    model,
    trainDataset: toyDataset(48, 4),
    collator: toyCollator,
    batchSize: 4,
    gradientAccumulationSteps: extra.accumulation ?? 1,
    maxSteps: steps,
    // A small max norm, so that most steps clip and the scale goes through the fused update.
    maxGradNorm: 0.5,
    warmupSteps: 2,
    seed: 5,
    optimizer: () => (extra.adam ? new Adam(groups, { lr: 0.05, eps: 1e-7, fused }) : new AdamW(groups, { lr: 0.05, betas: [0.85, 0.995], fused })),
    logEvery: 1,
  });
  const result = await trainer.train();
  const weights = model.namedParameters().map(([n, p]) => [n, Array.from(p.value.dataSync())] as const);
  const state = trainer.optimizer.stateDict();
  const slots = [...state.tensors].map(([k, t]) => [k, Array.from(t.dataSync())] as const);
  state.tensors.forEach((t) => t.dispose());
  trainer.optimizer.dispose();
  model.dispose();
  const log = result.logHistory.map((e) => [e.loss, e.gradNorm]);
  return { log, weights, slots, steps: state.meta.steps };
}

describe.each(['cpu', 'wasm'])('fused AdamW on %s', (backend) => {
  it('gives the op-by-op update bit for bit, step for step, and leaks nothing', async () => {
    await withBackend(backend, async () => {
      for (const extra of [{}, { accumulation: 2 }, { adam: true }]) {
        const fused = await expectNoLeaks(() => trainToy(true, 6, extra));
        const plain = await trainToy(false, 6, extra);
        expect(fused.log.length).toBe(6);
        expect(fused.log).toEqual(plain.log);
        expect(fused.weights).toEqual(plain.weights);
        expect(fused.slots).toEqual(plain.slots);
        expect(fused.steps).toEqual(plain.steps);
        // Clipping took part: the norms exceed the max of 0.5.
        expect(fused.log.some(([, norm]) => (norm as number) > 0.5)).toBe(true);
      }
    });
  });

  it('keeps the tensor count and the memory flat over steps', async () => {
    await withBackend(backend, async () => {
      const model = new ToyClassifier({ dim: 32, layers: 2, seed: 1 });
      const counts: number[] = [];
      const bytes: number[] = [];
      await expectNoLeaks(async () => {
        const trainer = new Trainer({
          model, trainDataset: toyDataset(40, 2), collator: toyCollator, batchSize: 4, maxSteps: 8, seed: 1, logEvery: 100,
          callbacks: [{ onStepEnd: () => { counts.push(tf.memory().numTensors); bytes.push(tf.memory().numBytes); } }],
        });
        await trainer.train();
        trainer.optimizer.dispose();
      });
      // After each step: the same tensors (the parameters and what the backend keeps for
      // itself; the moments are arrays outside the tensors), holding the same bytes.
      const paramBytes = model.parameters().reduce((n, p) => n + 4 * p.value.size, 0);
      expect(counts).toHaveLength(8);
      expect(new Set(counts).size).toBe(1);
      expect(counts[0]).toBeLessThan(2 * model.parameters().length);
      expect(new Set(bytes).size).toBe(1);
      expect(bytes[0]).toBeLessThan(2 * paramBytes);
      model.dispose();
    });
  });

  it('leaves gradients it was not handed, a saved state and gradients shared by two parameters intact', async () => {
    await withBackend(backend, async () => {
      const a = new Parameter(tf.tensor1d([0.5, -1, 2]));
      const b = new Parameter(tf.tensor1d([1, 1, 1]));
      const run = (fused: boolean) => {
        for (const [p, values] of [[a, [0.5, -1, 2]], [b, [1, 1, 1]]] as const) {
          const t = tf.tensor1d(values as unknown as number[]);
          p.value.assign(t);
          t.dispose();
        }
        const opt = new AdamW([['a', a], ['b', b]], { lr: 0.1, fused });
        const g = tf.tensor1d([0.1, -0.2, 0.3]);
        opt.step(new Map([['a', g], ['b', g]])); // not handed over
        expect(Array.from(g.dataSync())).toEqual([0.1, -0.2, 0.3].map(Math.fround));
        const saved = opt.stateDict();
        const savedValues = [...saved.tensors.values()].map((t) => Array.from(t.dataSync()));
        // One tensor under two names, handed over: read twice, so its memory may not be reused.
        const shared = tf.tensor1d([0.3, 0.2, -0.1]);
        opt.step(new Map([['a', shared], ['b', shared]]), { disposeGrads: true, gradScale: 0.5 });
        expect(shared.isDisposed).toBe(true);
        expect([...saved.tensors.values()].map((t) => Array.from(t.dataSync()))).toEqual(savedValues);
        saved.tensors.forEach((t) => t.dispose());
        g.dispose();
        opt.dispose();
        return [Array.from(a.value.dataSync()), Array.from(b.value.dataSync())];
      };
      const fused = await expectNoLeaks(() => run(true));
      const plain = run(false);
      expect(fused).toEqual(plain);
      a.dispose();
      b.dispose();
    });
  });
});

describe('fused AdamW on wasm', () => {
  it('a matMul after the update sees the new weights (no stale XNNPACK packing)', async () => {
    await withBackend('wasm', async () => {
      const w = new Parameter(tf.tensor2d([1, 2, 3, 4], [2, 2]));
      const x = tf.tensor2d([1, 0, 0, 1], [2, 2]);
      const grad = tf.tensor2d([0.5, -0.5, 0.25, 1], [2, 2]);
      // The gradient is a matMul's right operand first, so XNNPACK packs it under its id; after
      // the step the weight lives in that memory, under that id.
      tf.matMul(x, grad).dispose();
      const opt = new AdamW([['w', w]], { lr: 0.1, weightDecay: 0 });
      tf.matMul(x, w.value).dispose();
      opt.step(new Map([['w', grad]]), { disposeGrads: true });
      const product = tf.matMul(x, w.value);
      const expected = tf.tensor2d(Array.from(w.value.dataSync()), [2, 2]);
      expect(Array.from(product.dataSync())).toEqual(Array.from(expected.dataSync()));
      expect(Array.from(product.dataSync())).not.toEqual([1, 2, 3, 4]);
      [product, expected, x].forEach((t) => t.dispose());
      opt.dispose();
      w.dispose();
    });
  });
});
