/**
 * Optional fused kernels. A composite op (layer norm, GELU) runs about ten tfjs kernels; for
 * small tensors — a decoding step — each kernel's fixed cost outweighs its arithmetic. A backend
 * plugin may register one kernel per op under the names below (`tf.registerKernel`); the ops
 * then call it when the active backend has it and fall back to the composite otherwise. The
 * gradients stay here, written in tfjs ops, so a fused kernel is a forward pass only.
 *
 * Contracts (float32 only; the ops never call a fused kernel for other dtypes):
 * - `TfkitLayerNorm`: inputs `x` (…, C) and optionally `gamma` (C) and `beta` (C); attrs
 *   `{ epsilon }`. Outputs `[y, mean, rstd]`: y like x, mean and rstd = 1/√(σ² + ε) of shape (…, 1),
 *   with σ² the biased variance of each row.
 * - `TfkitGelu`: input `x`; attrs `{ approximate: 'none' | 'tanh' }`. Output `y` like x:
 *   x·Φ(x) with Φ through tfjs's erf approximation, or ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
 */
import * as tf from '@tensorflow/tfjs-core';

export const FUSED_LAYER_NORM = 'TfkitLayerNorm';
export const FUSED_GELU = 'TfkitGelu';

/**
 * Elementwise work above this many values goes to the composite op even where a fused kernel
 * exists: a fused kernel saves a fixed cost per kernel, while a backend's own kernels may be
 * vectorised (wasm SIMD) and win on large tensors. Layer norm is fused at any size (its kernel
 * is as fast as the composite there and keeps less for the backward pass).
 */
export const FUSED_ELEMENTWISE_MAX_SIZE = 65_536;

/** True when the active backend registered `kernel` and every tensor is float32. */
export function hasFusedKernel(kernel: string, ...tensors: (tf.Tensor | null | undefined)[]): boolean {
  if (tf.getKernel(kernel, tf.getBackend()) === undefined) return false;
  return tensors.every((t) => t == null || t.dtype === 'float32');
}
