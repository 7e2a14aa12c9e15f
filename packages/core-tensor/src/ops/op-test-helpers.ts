/**
 * Shared by the ops' tests (not exported from the package): seeded inputs, a per-backend suite
 * and gradients read back as plain arrays, so tests compare numbers and hold no tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll } from 'vitest';
import { Random } from '../random.js';

/** The backends every op is tested on in Node. */
export const NODE_BACKENDS = ['cpu', 'wasm'] as const;

/** Activates `backend` for the enclosing `describe`, restoring the previous one afterwards. */
export function onBackend(backend: string): void {
  let previous = 'cpu';
  beforeAll(async () => {
    previous = tf.getBackend();
    await tf.setBackend(backend);
  });
  afterAll(async () => {
    await tf.setBackend(previous);
  });
}

/** A seeded `N(0, std²)` tensor. */
export function randn(rng: Random, shape: number[], std = 1): tf.Tensor {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = rng.normal(0, std);
  return tf.tensor(data, shape);
}

export function seeded(seed = 1234): Random {
  return new Random(seed);
}

/** Value and gradients of the scalar `f` at `xs`, read back as arrays. */
export function valueAndGrads(f: (...xs: tf.Tensor[]) => tf.Scalar, xs: tf.Tensor[]): { value: number; grads: Float32Array[] } {
  let result: { value: number; grads: Float32Array[] } | undefined;
  // Typed arrays are assigned out rather than returned: tidy would walk every element of a returned array.
  tf.tidy(() => {
    const { value, grads } = tf.valueAndGrads((...args: tf.Tensor[]) => f(...args))(xs);
    result = { value: value.dataSync()[0] as number, grads: grads.map((g) => g.dataSync() as Float32Array) };
  });
  return result!;
}

/** A fixed random projection, so a loss depends on every output element with a different weight. */
export function projectionLoss(rng: Random, shape: number[]): (y: tf.Tensor) => tf.Scalar {
  const weights = randn(rng, shape).dataSync().slice();
  return (y) => tf.sum(tf.mul(y, tf.tensor(weights, shape))) as tf.Scalar;
}
