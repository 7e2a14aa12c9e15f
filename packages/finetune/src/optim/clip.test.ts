import * as tf from '@tensorflow/tfjs-core';
import { withBackend } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { clipGradNorm, globalNorm } from './clip.js';

/** Seeded values over several orders of magnitude, so that the order and rounding of a sum show. */
function spread(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = s / 2 ** 32;
    out[i] = (u - 0.5) * 10 ** ((i % 7) - 3);
  }
  return out;
}

/** The gradients of a small model: a large table, matrices, a vector, a scalar. */
function gradients(): Map<string, tf.Tensor> {
  return new Map<string, tf.Tensor>([
    ['embeddings', tf.tensor2d(spread(1_000_003, 1), [1_000_003, 1])],
    ['dense.weight', tf.tensor2d(spread(96 * 40, 2), [96, 40])],
    ['dense.bias', tf.tensor1d(spread(40, 3))],
    ['scale', tf.scalar(spread(1, 4)[0]!)],
    ['norm.weight', tf.tensor1d(spread(7, 5))],
  ]);
}

describe('globalNorm', () => {
  it.each(['wasm', 'cpu'])('on %s: the tensor ops’ value bit for bit (Σ tf.sum(g·g) by tf.addN), leaving no tensor', async (backend) => {
    await withBackend(backend, async () => {
      const grads = gradients();
      // The reference: the ops themselves, as globalNorm ran them before it summed in place.
      const reference = tf.tidy(() => Math.sqrt(tf.addN([...grads.values()].map((g) => tf.sum(tf.mul(g, g)))).dataSync()[0]!));
      let norm = 0;
      const tensors = tf.memory().numTensors;
      const profile = await tf.profile(() => {
        norm = globalNorm(grads);
      });
      expect(tf.memory().numTensors).toBe(tensors);
      expect(norm).toBe(reference);
      if (backend === 'wasm') {
        // In place: no kernel ran and nothing was allocated, so no square was stored.
        expect(profile.kernels).toHaveLength(0);
        expect(profile.newBytes).toBe(0);
        // Summed in float64, or in another order, the same squares give another value.
        let f64 = 0;
        for (const g of grads.values()) for (const v of g.dataSync()) f64 += Math.fround(v * v);
        expect(Math.sqrt(f64)).not.toBe(norm);
      }
      grads.forEach((g) => g.dispose());
    });
  });

  it('is 0 without gradients, and clipGradNorm scales by maxNorm / (norm + 1e-6) only above maxNorm', async () => {
    await withBackend('wasm', () => {
      expect(globalNorm(new Map())).toBe(0);
      const g = new Map([['w', tf.tensor1d([3, 4])]]);
      expect(globalNorm(g)).toBe(5);
      const kept = clipGradNorm(g, 10);
      expect(kept.grads).toBe(g);
      const clipped = clipGradNorm(g, 1);
      expect(clipped.norm).toBe(5);
      const scaled = clipped.grads.get('w')!.dataSync();
      expect(scaled[0]).toBeCloseTo((3 * 1) / (5 + 1e-6), 6);
      expect(scaled[1]).toBeCloseTo((4 * 1) / (5 + 1e-6), 6);
      clipped.grads.forEach((t) => t.dispose());
      g.forEach((t) => t.dispose());
    });
  });
});
