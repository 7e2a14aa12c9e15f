/** Gradient clipping by global norm (torch.nn.utils.clip_grad_norm_). */
import * as tf from '@tensorflow/tfjs-core';
import { hostStorage } from './host-memory.js';

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

/**
 * √(Σ‖g‖²) over every gradient, as a number: each gradient's sum of squares (`tf.sum(tf.mul(g, g))`),
 * those sums added in order (`tf.addN`). On wasm the squares are summed where the gradients lie in
 * the heap, in the order and float32 rounding of tfjs-backend-wasm's own kernels (each square
 * rounded, then added one after another), so the value is the same bit for bit without a
 * gradient-sized temporary (BERT-base's word embeddings: 94 MB, freshly mapped memory every
 * step). Elsewhere one gradient-sized temporary at a time.
 */
export function globalNorm(grads: Map<string, tf.Tensor>): number {
  if (grads.size === 0) return 0;
  const inPlace = sumOfSquaresInHeap([...grads.values()]);
  if (inPlace !== undefined) return Math.sqrt(inPlace);
  const sums = [...grads.values()].map((g) => tf.tidy(() => tf.sum(tf.mul(g, g))));
  const sq = tf.addN(sums);
  for (const s of sums) s.dispose();
  const value = Math.sqrt(sq.dataSync()[0] as number);
  sq.dispose();
  return value;
}

/**
 * Σ‖g‖² as tfjs-backend-wasm computes `tf.addN(grads.map((g) => tf.sum(tf.mul(g, g))))`: its `Sum`
 * over every axis adds the values in memory order into a float32, and `AddN` adds the sums in
 * order into a float32 (src/optim/clip.test.ts checks the bits). Undefined unless every gradient
 * is a float32 tensor in the wasm heap.
 */
function sumOfSquaresInHeap(grads: tf.Tensor[]): number | undefined {
  const stores = grads.map(hostStorage);
  if (!stores.every((s) => s?.kind === 'wasm')) return undefined;
  const f = Math.fround;
  let total = 0;
  for (const store of stores) {
    const x = store!.view();
    let sum = 0;
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      sum = f(sum + f(v * v));
    }
    total = f(total + sum);
  }
  return total;
}
