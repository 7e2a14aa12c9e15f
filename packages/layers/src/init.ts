/**
 * Parameter initialisers. Each takes the `Random` to draw from, so a model built with the same
 * seed has the same weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@tfkit/core-tensor';

/**
 * A `Random` that draws nothing for weights: every `normal` is its mean and every `uniform` its low
 * end. A model about to receive a checkpoint's weights is built with it in a fraction of the time
 * (the initialisers fill such tensors on the backend, with no loop over the entries); dropout
 * seeds still come from `fork()`, which draws from the real generator.
 */
export class PlaceholderInit extends Random {
  override normal(mean = 0): number {
    return mean;
  }

  override uniform(low = 0): number {
    return low;
  }
}

/** N(mean, std²) values of `shape` (Hugging Face's `normal_(0, initializer_range)`). */
export function normal(shape: number[], std: number, rng: Random, mean = 0): tf.Tensor {
  if (rng instanceof PlaceholderInit) return tf.fill(shape, mean, 'float32');
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = rng.normal(mean, std);
  return tf.tensor(data, shape);
}

/** U(low, high) values of `shape` (PyTorch's default Linear/RNN init uses ±1/√fanIn). */
export function uniform(shape: number[], low: number, high: number, rng: Random): tf.Tensor {
  if (rng instanceof PlaceholderInit) return tf.fill(shape, low, 'float32');
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = rng.uniform(low, high);
  return tf.tensor(data, shape);
}

/** A generator for modules built without an explicit one (seed 0: deterministic by default). */
export function defaultRng(rng?: Random): Random {
  return rng ?? new Random(0);
}
