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
 *   The ops call it for at most `FUSED_ELEMENTWISE_MAX_SIZE` values unless the backend registered
 *   it as a `FusedKernelConfig` with `vectorized: true` (then at any size).
 * - `TfkitGeluGrad` (optional; the GELU's backward pass where registered, its composite
 *   otherwise): inputs `dy` and `x` of one shape, attrs as `TfkitGelu`'s. Output dy·GELU′(x):
 *   Φ(x) + x·φ(x), or ½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²) with t the tanh above.
 * - `TfkitDense`: inputs `x` (…, in) with at least one row, `weight` (in, out) and optionally
 *   `bias` (out), rank 1; attrs `{ transientWeight? }`. Output (…, out) = x·weight + bias: the
 *   reshapes to and from 2-D, the product and the bias in one kernel (a composite dense layer is
 *   four). A backend may keep what it derives from the weight for the next call (XNNPACK's packed
 *   copy on wasm, for as long as the weight lives); with `transientWeight: true` it keeps nothing.
 *   The ops ask for that while a gradient is recorded (`denseWeightTransient`). Optional attr
 *   `activation: 'gelu' | 'gelu_tanh'` (forward only: the ops pass it only while no gradient is
 *   recorded, for outputs `TfkitGelu` would take, by the rule above): the output is then
 *   `TfkitGelu`'s of x·weight + bias, the same values, in the one kernel.
 * - `TfkitAddLayerNorm`: inputs `x` (…, C), `residual` (shape of x), `gamma` (C), `beta` (C);
 *   attrs `{ epsilon }`. Outputs `[sum, y, mean, rstd]`: sum = x + residual (rounded to float32),
 *   then layer norm of sum as `TfkitLayerNorm` gives it. A pre-norm transformer adds each
 *   sublayer's output to the residual stream and normalises the result for the next sublayer:
 *   one kernel instead of two. Optional attr `withStats: false` (the ops pass it while no gradient
 *   is recorded, when nothing needs the row statistics): outputs `[sum, y]` only.
 * - `TfkitCachedAttention` (forward only: the ops call it only while no gradient is being
 *   recorded): one new query per row against cached keys/values, a decoding step's attention.
 *   Inputs `qkv` (B, 1, 3·C): the query, key and value projections side by side, each C = H·d
 *   wide with heads in order (GPT-2's `c_attn` output); optionally `pastKey` and `pastValue`
 *   (B, H, P, d); optionally `mask` (B|1, 1, 1, P + 1), additive. Attrs `{ numHeads, scale }`.
 *   Outputs `[output, key, value]`: output (B, 1, C) = softmax(scale·q·kᵀ + mask)·v with the
 *   heads merged back; key and value (B, H, P + 1, d), the past with this step's appended. A
 *   masked score rounds to float32 as the composite's does, so a row masked everywhere is
 *   uniform in both.
 * - `TfkitCachedAttentionInPlace` (forward only, likewise): the same step against a preallocated
 *   cache that the kernel writes in place. Inputs `qkv` (B, 1, 3·C) as above, `cacheKey` and
 *   `cacheValue` (B, H, capacity, d) whose first `length` positions hold the past, optionally
 *   `mask` (B|1, 1, 1, length + 1). Attrs `{ numHeads, scale, length }`, length < capacity.
 *   Writes this step's key and value rows at position `length` of `cacheKey` and `cacheValue`
 *   (their buffers change: the caller must own them alone, as `KvCache` does) and attends over
 *   positions 0…length only; positions after `length` are neither read nor written. Output
 *   (B, 1, C), equal to `TfkitCachedAttention`'s for the same past. No copy of the past per step.
 * - `TfkitBatchMatMul`: inputs `a` (N, m, k) — (N, k, m) with attr `transposeA: true` — and `b`
 *   (N, k, n) — (N, n, k) with `transposeB: true`; output (N, m, n) = op(a)·op(b) per slice, each
 *   value summed over k in order in float32. `batchedMatMul` calls it (forward and backward) for
 *   slices of at least 4 rows and 8 columns, and `linear` / `matMul2d` for their backward
 *   products (N = 1, one operand transposed). A backend registers it only where it runs faster
 *   than its own products.
 * - `TfkitSoftmaxCrossEntropy`: inputs `logits` (rows, classes ≥ 1) and `labels` (rows) int32, each
 *   in [0, classes). Outputs `[nll, lse]`, each (rows): lse = max + log Σ exp(x − max) over the
 *   row, nll = lse − x[label] (float32). `softmaxCrossEntropy` calls it, and
 * - `TfkitSoftmaxCrossEntropyGrad` for its gradient: inputs `logits`, `lse`, `labels` as above and
 *   `scale` (rows); output (rows, classes) = exp(x − lse)·scale − scale·[j = label]. The two let
 *   the loss keep no [rows, classes] tensor of its own for the backward pass (it saves the logits).
 * - `TfkitDropoutMask`: attrs `{ shape, p, seed }`; output: Dropout's composite mask, bit for bit.
 */
import * as tf from '@tensorflow/tfjs-core';

export const FUSED_LAYER_NORM = 'TfkitLayerNorm';
export const FUSED_GELU = 'TfkitGelu';
export const FUSED_GELU_GRAD = 'TfkitGeluGrad';
export const FUSED_DENSE = 'TfkitDense';
export const FUSED_ADD_LAYER_NORM = 'TfkitAddLayerNorm';
export const FUSED_CACHED_ATTENTION = 'TfkitCachedAttention';
export const FUSED_CACHED_ATTENTION_IN_PLACE = 'TfkitCachedAttentionInPlace';
export const FUSED_BATCH_MATMUL = 'TfkitBatchMatMul';
export const FUSED_SOFTMAX_CROSS_ENTROPY = 'TfkitSoftmaxCrossEntropy';
export const FUSED_SOFTMAX_CROSS_ENTROPY_GRAD = 'TfkitSoftmaxCrossEntropyGrad';
export const FUSED_DROPOUT_MASK = 'TfkitDropoutMask';

/**
 * Elementwise work above this many values goes to the composite op even where a fused kernel
 * exists: a fused kernel saves a fixed cost per kernel, while a backend's own kernels may be
 * vectorised (wasm SIMD) and win on large tensors. Layer norm is fused at any size (its kernel
 * is as fast as the composite there and keeps less for the backward pass).
 */
export const FUSED_ELEMENTWISE_MAX_SIZE = 65_536;

/**
 * A fused kernel's registration (`tf.registerKernel` takes it as it is): `vectorized: true` says
 * an elementwise kernel runs vectorised, as fast as the backend's own kernels at any size, so the
 * ops call it above `FUSED_ELEMENTWISE_MAX_SIZE` values too.
 */
export interface FusedKernelConfig extends tf.KernelConfig {
  vectorized?: boolean;
}

/** True when the active backend has the elementwise fused `kernel` for `x`: float32, and small enough or vectorised (`FusedKernelConfig`). */
export function hasFusedElementwise(kernel: string, x: tf.Tensor, size = x.size): boolean {
  const config = tf.getKernel(kernel, tf.getBackend()) as FusedKernelConfig | undefined;
  return config !== undefined && x.dtype === 'float32' && (size <= FUSED_ELEMENTWISE_MAX_SIZE || config.vectorized === true);
}

/** True when the active backend registered `kernel` and every tensor is float32. */
export function hasFusedKernel(kernel: string, ...tensors: (tf.Tensor | null | undefined)[]): boolean {
  if (tf.getKernel(kernel, tf.getBackend()) === undefined) return false;
  return tensors.every((t) => t == null || t.dtype === 'float32');
}

/** True while tfjs records operations for a gradient (`tf.grad`, `tf.variableGrads`, …). */
export function recordingGradients(): boolean {
  return tf.engine().state.gradientDepth > 0;
}

let transientDenseScopes = 0;

/**
 * Runs `fn` with dense products packing their weights per call (`denseWeightTransient()` true),
 * as in a recorded pass: for inference in the middle of training (an evaluation between steps),
 * whose packed copies would otherwise stay on the heap through the next steps.
 */
export function withTransientDenseWeights<T>(fn: () => T): T {
  transientDenseScopes++;
  try {
    return fn();
  } finally {
    transientDenseScopes--;
  }
}

/**
 * The `transientWeight` attr of a `TfkitDense` forward product: true while a gradient is
 * recorded (or inside `withTransientDenseWeights`). A training step keeps its activations until
 * the backward pass, and on wasm a packed copy of every weight the forward pass multiplied by
 * would sit on the heap beside them (GPT-2 small: 490 MB for the frozen weights and the LM head
 * under LoRA); packing each weight anew per step costs a pass over it. Inference and decoding
 * (nothing recorded) keep the packed copies.
 */
export function denseWeightTransient(): boolean {
  return transientDenseScopes > 0 || recordingGradients();
}
