/**
 * Inverted dropout: in training, zeroes each element with probability p and scales the rest by
 * 1/(1−p); in eval, the identity. Masks come from a seeded generator, so training is reproducible.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_DROPOUT_MASK, Random, skippedGradient } from '@tfkit/core-tensor';
import { Module } from './module.js';

/**
 * `x · mask`, keeping only the mask for the backward pass (tfjs's Multiply keeps both operands:
 * here x, a sublayer's output no other op keeps). The mask has no gradient path: it is drawn here.
 */
const applyMask = tf.customGrad(((x: tf.Tensor, mask: tf.Tensor, save: tf.GradSaveFunc) => {
  save([mask]);
  return {
    value: tf.mul(x, mask),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], [m]: tf.Tensor[]) => [tf.mul(dy as tf.Tensor, m as tf.Tensor), skippedGradient()],
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor, mask: tf.Tensor) => tf.Tensor;

export class Dropout extends Module {
  readonly p: number;
  /** The generator masks are drawn from; replace it (or call `reseed`) to control randomness. */
  rng: Random;

  constructor(p = 0.1, options: { rng?: Random; seed?: number } = {}) {
    super();
    if (!(p >= 0 && p < 1)) throw new RangeError(`Dropout: p must be in [0, 1), got ${p}`);
    this.p = p;
    this.rng = options.rng ?? new Random(options.seed ?? 0);
  }

  reseed(seed: number): void {
    this.rng = new Random(seed);
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (!this.training || this.p === 0) return x;
    const seed = this.rng.nextUint32();
    const { shape } = x;
    const p = this.p;
    // One `TfkitDropoutMask` kernel where the backend has it (the same bits), else the composite.
    const mask = () => (tf.getKernel(FUSED_DROPOUT_MASK, tf.getBackend())
      ? (tf.engine().runKernel(FUSED_DROPOUT_MASK, {}, { shape, p, seed }) as tf.Tensor)
      : tf.mul(tf.cast(tf.greaterEqual(tf.randomUniform(shape, 0, 1, 'float32', seed), p), 'float32'), 1 / (1 - p)));
    return tf.tidy(() => applyMask(x, mask()));
  }
}
