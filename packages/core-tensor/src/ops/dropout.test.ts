import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, onTestFinished } from 'vitest';
import { dropoutMask, fillDropoutMask } from './dropout.js';
import { FUSED_DROPOUT_MASK } from './fused-kernels.js';
import { NODE_BACKENDS, onBackend } from './op-test-helpers.js';

/** The mask as tfjs composes it (what Dropout drew before `dropoutMask`), as raw bits. */
function composedBits(shape: number[], p: number, seed: number): number[] {
  return tf.tidy(() => {
    const mask = tf.mul(tf.cast(tf.greaterEqual(tf.randomUniform(shape, 0, 1, 'float32', seed), p), 'float32'), 1 / (1 - p));
    return Array.from(new Uint32Array((mask.dataSync() as Float32Array).slice().buffer));
  });
}

const bits = (t: tf.Tensor) => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));

// p near the float32 rounding of common rates, rates near 0 and 1, seeds up to 2^32 − 1 (Random.nextUint32's range).
const CASES: [number, number, number[]][] = [
  [0.1, 0, [4099]], [0.25, 3, [10, 100]], [0.5, 123456789, [7, 111]], [0.3, 4294967295, [2, 1024]],
  [0.999, 7, [500]], [1e-3, 42, [500]], [1 / 3, 99, [1031]], [0, 5, [64]],
];

describe.each(NODE_BACKENDS)('dropoutMask on %s', (backend) => {
  onBackend(backend);

  // On wasm the test setup registers tfkit's kernels, TfkitDropoutMask among them: both routes run.
  it.each([true, false])('equals randomUniform → greaterEqual → cast → ·1/(1−p), bit for bit (kernel where registered: %s)', (useKernel) => {
    const kernel = tf.getKernel(FUSED_DROPOUT_MASK, backend);
    expect(kernel !== undefined).toBe(backend === 'wasm');
    if (kernel && !useKernel) {
      tf.unregisterKernel(FUSED_DROPOUT_MASK, backend);
      onTestFinished(() => tf.registerKernel(kernel));
    }
    const before = tf.memory().numTensors;
    for (const [p, seed, shape] of CASES) {
      const want = composedBits(shape, p, seed);
      const mask = dropoutMask(shape, p, seed);
      expect(mask.shape).toEqual(shape);
      expect(bits(mask), `p ${p}, seed ${seed}`).toEqual(want);
      mask.dispose();
      const filled = new Float32Array(want.length).fill(Number.NaN); // every value written
      fillDropoutMask(filled, p, seed);
      expect(Array.from(new Uint32Array(filled.buffer))).toEqual(want);
      const kept = filled.filter((v) => v !== 0).length / filled.length;
      if (filled.length >= 1000) expect(Math.abs(kept - (1 - p))).toBeLessThan(0.05);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a probability outside [0, 1) and a fractional seed', () => {
    expect(() => dropoutMask([3], 1, 0)).toThrow(/p must be in \[0, 1\), got 1/);
    expect(() => dropoutMask([3], -0.1, 0)).toThrow(/p must be in/);
    expect(() => dropoutMask([3], Number.NaN, 0)).toThrow(/p must be in/);
    expect(() => dropoutMask([3], 0.1, 0.5)).toThrow(/seed must be an integer, got 0.5/);
  });
});
