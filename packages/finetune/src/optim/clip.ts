/** Gradient clipping by global norm (torch.nn.utils.clip_grad_norm_). */
import * as tf from '@tensorflow/tfjs-core';

/**
 * The global L2 norm of `grads` and, when it exceeds `maxNorm`, the gradients scaled by
 * `maxNorm / (norm + 1e-6)` (PyTorch's formula). Returns new tensors in a new map when it
 * clips (the caller disposes both maps' tensors as it owns them), or the same map otherwise.
 */
export function clipGradNorm(grads: Map<string, tf.Tensor>, maxNorm: number): { grads: Map<string, tf.Tensor>; norm: number } {
  const norm = globalNorm(grads);
  if (!(norm > maxNorm) || !Number.isFinite(norm)) return { grads, norm };
  const coef = maxNorm / (norm + 1e-6);
  const clipped = new Map<string, tf.Tensor>();
  for (const [k, g] of grads) clipped.set(k, tf.mul(g, coef));
  return { grads: clipped, norm };
}

/** √(Σ‖g‖²) over every gradient, as a number. */
export function globalNorm(grads: Map<string, tf.Tensor>): number {
  if (grads.size === 0) return 0;
  const sq = tf.tidy(() => tf.addN([...grads.values()].map((g) => tf.sum(tf.mul(g, g)))));
  const value = Math.sqrt(sq.dataSync()[0] as number);
  sq.dispose();
  return value;
}
