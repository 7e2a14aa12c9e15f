/** Gradient clipping by global norm (torch.nn.utils.clip_grad_norm_). */
import * as tf from '@tensorflow/tfjs-core';

/**
 * The factor `clipGradNorm` scales the gradients by for a global norm `norm`: `maxNorm / (norm +
 * 1e-6)` when the norm exceeds `maxNorm` and is finite, else undefined (no scaling). For
 * `Optimizer.step(grads, { gradScale })`, which scales without making copies.
 */
export function clipCoefficient(norm: number, maxNorm: number): number | undefined {
  return norm > maxNorm && Number.isFinite(norm) ? maxNorm / (norm + 1e-6) : undefined;
}

/**
 * The global L2 norm of `grads` and, when it exceeds `maxNorm`, the gradients scaled by
 * `maxNorm / (norm + 1e-6)` (PyTorch's formula). Returns new tensors in a new map when it
 * clips (the caller disposes both maps' tensors as it owns them), or the same map otherwise.
 */
export function clipGradNorm(grads: Map<string, tf.Tensor>, maxNorm: number): { grads: Map<string, tf.Tensor>; norm: number } {
  const norm = globalNorm(grads);
  const coef = clipCoefficient(norm, maxNorm);
  if (coef === undefined) return { grads, norm };
  const clipped = new Map<string, tf.Tensor>();
  for (const [k, g] of grads) clipped.set(k, tf.mul(g, coef));
  return { grads: clipped, norm };
}

/** √(Σ‖g‖²) over every gradient, as a number. Makes one gradient-sized temporary at a time. */
export function globalNorm(grads: Map<string, tf.Tensor>): number {
  if (grads.size === 0) return 0;
  const sums = [...grads.values()].map((g) => tf.tidy(() => tf.sum(tf.mul(g, g))));
  const sq = tf.addN(sums);
  for (const s of sums) s.dispose();
  const value = Math.sqrt(sq.dataSync()[0] as number);
  sq.dispose();
  return value;
}
