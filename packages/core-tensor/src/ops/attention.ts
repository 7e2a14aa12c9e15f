/**
 * Scaled dot-product attention and the masks it takes. Masks are additive: 0 where a query may
 * attend, a large negative number where it may not, so padding and causal masks combine by adding.
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchedMatMul } from './batched-matmul.js';
import { FUSED_CACHED_ATTENTION, FUSED_CACHED_ATTENTION_IN_PLACE, hasFusedKernel, recordingGradients } from './fused-kernels.js';

/** The value added to masked scores. Finite, so a fully masked row gives a uniform, not NaN, softmax. */
export const MASK_VALUE = -3.4028234663852886e38;

/**
 * `[batch, keyLen]` 0/1 attention mask → additive mask `[batch, 1, 1, keyLen]`
 * (0 for real tokens, `MASK_VALUE` for padding).
 */
export function paddingMask(attentionMask: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const [b, t] = attentionMask.shape as [number, number];
    const m = tf.reshape(tf.cast(attentionMask, 'float32'), [b, 1, 1, t]);
    return tf.mul(tf.sub(1, m), MASK_VALUE);
  });
}

/**
 * Causal additive mask `[1, 1, queryLen, keyLen]`: query i (at absolute position
 * `pastLength + i`) may attend to keys 0..pastLength+i.
 */
export function causalMask(queryLen: number, keyLen: number, pastLength = keyLen - queryLen): tf.Tensor {
  const data = new Float32Array(queryLen * keyLen);
  for (let i = 0; i < queryLen; i++) {
    for (let j = pastLength + i + 1; j < keyLen; j++) data[i * keyLen + j] = MASK_VALUE;
  }
  return tf.tensor4d(data, [1, 1, queryLen, keyLen]);
}

/** Adds masks, saturating at `MASK_VALUE` so two masked entries do not overflow to −∞. */
export function combineMasks(...masks: (tf.Tensor | null | undefined)[]): tf.Tensor | null {
  const present = masks.filter((m): m is tf.Tensor => m != null);
  if (present.length === 0) return null;
  return tf.tidy(() => present.slice(1).reduce((acc, m) => tf.maximum(tf.add(acc, m), MASK_VALUE), present[0] as tf.Tensor));
}

export interface AttentionResult {
  /** `[batch, heads, queryLen, headDim]` */
  output: tf.Tensor;
  /** `[batch, heads, queryLen, keyLen]` probabilities, when asked for. */
  probs?: tf.Tensor;
}

/**
 * softmax(q·kᵀ / √d + mask) · v for `q` `[b, h, tq, d]`, `k`/`v` `[b, h, tk, d]`, mask broadcastable
 * to `[b, h, tq, tk]`. `scale` defaults to 1/√d. Both products go through `batchedMatMul`, so
 * forward and backward take the backend's fast matMul route (per-head 2-D matMuls on wasm).
 */
export function scaledDotProductAttention(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  mask?: tf.Tensor | null,
  options: { scale?: number; returnProbs?: boolean; dropout?: (p: tf.Tensor) => tf.Tensor } = {},
): AttentionResult {
  const headDim = q.shape[3] as number;
  const scale = options.scale ?? 1 / Math.sqrt(headDim);
  // Returned from the tidy (not tf.keep'd), so a caller's enclosing tidy still owns the probabilities.
  const [output, probs] = tf.tidy((): tf.Tensor[] => {
    // Keys/values shared across batch rows or heads (shape 1 there) are broadcast to the queries'.
    const lead = [q.shape[0] as number, q.shape[1] as number];
    if (k.shape[0] !== lead[0] || k.shape[1] !== lead[1]) k = tf.broadcastTo(k, [...lead, ...k.shape.slice(2)]);
    if (v.shape[0] !== lead[0] || v.shape[1] !== lead[1]) v = tf.broadcastTo(v, [...lead, ...v.shape.slice(2)]);
    // Scaling q (tq·d values) is cheaper than scaling the scores (tq·tk) and the same in exact arithmetic.
    let scores = batchedMatMul(tf.mul(q, scale), k, false, true); // (b, h, tq, tk)
    if (mask) scores = tf.add(scores, mask);
    const p = tf.softmax(scores);
    const dropped = options.dropout ? options.dropout(p) : p;
    const out = batchedMatMul(dropped, v); // (b, h, tq, d)
    return options.returnProbs ? [out, p] : [out];
  });
  return probs ? { output: output as tf.Tensor, probs } : { output: output as tf.Tensor };
}

/** What `cachedAttentionStep` returns. */
export interface CachedAttentionStep {
  /** `[batch, 1, heads·headDim]`: the attention output, heads merged. */
  output: tf.Tensor3D;
  /** `[batch, heads, past + 1, headDim]`: the cached keys with this step's appended. */
  key: tf.Tensor4D;
  /** `[batch, heads, past + 1, headDim]` */
  value: tf.Tensor4D;
}

/**
 * A decoding step's attention in one kernel, or null where that kernel does not apply (the
 * caller then runs the composite: split, concatenate, `scaledDotProductAttention`, merge).
 * `qkv` `[B, 1, 3·H·d]` holds the query, key and value projections side by side (GPT-2's
 * `c_attn`); `past` the cached `[B, H, P, d]` keys and values; `mask` additive, `[B|1, 1, 1, P+1]`.
 * Applies where the backend registered `TfkitCachedAttention` (tfkit's wasm kernels), every
 * tensor is float32 and no gradient is being recorded: the kernel is forward only, so training
 * always takes the differentiable composite.
 */
export function cachedAttentionStep(
  qkv: tf.Tensor,
  past: { key: tf.Tensor; value: tf.Tensor } | null,
  mask: tf.Tensor | null,
  numHeads: number,
  scale: number,
): CachedAttentionStep | null {
  if (qkv.rank !== 3 || qkv.shape[1] !== 1 || recordingGradients()) return null;
  const [b, , c3] = qkv.shape as [number, number, number];
  if (b === 0 || c3 % (3 * numHeads) !== 0) return null;
  const d = c3 / (3 * numHeads);
  const pastLen = past ? (past.key.shape[2] as number) : 0;
  if (past) {
    const want = [b, numHeads, pastLen, d].join();
    if (past.key.shape.join() !== want || past.value.shape.join() !== want) return null;
  }
  if (mask && !(mask.rank === 4 && (mask.shape[0] === 1 || mask.shape[0] === b) && mask.shape[1] === 1 && mask.shape[2] === 1 && mask.shape[3] === pastLen + 1)) return null;
  if (!hasFusedKernel(FUSED_CACHED_ATTENTION, qkv, past?.key, past?.value, mask)) return null;
  const inputs: tf.NamedTensorMap = { qkv };
  if (past) {
    inputs['pastKey'] = past.key;
    inputs['pastValue'] = past.value;
  }
  if (mask) inputs['mask'] = mask;
  const [output, key, value] = tf.engine().runKernel(FUSED_CACHED_ATTENTION, inputs, { numHeads, scale } as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return { output: output as tf.Tensor3D, key: key as tf.Tensor4D, value: value as tf.Tensor4D };
}

/**
 * `cachedAttentionStep` against a preallocated cache (`KvCache`'s buffers `[B, H, capacity, d]`,
 * whose first `length` positions hold the past): this step's key and value are written into
 * position `length` of `cache.key` and `cache.value` in place, and the query attends over
 * positions 0…length. Returns the output `[B, 1, H·d]`, equal to `cachedAttentionStep`'s with
 * the same past, or null where the in-place kernel does not apply (the caller then runs its
 * copying path): the backend registered no `TfkitCachedAttentionInPlace`, a gradient is being
 * recorded, a tensor is not float32, or the shapes are not those of a one-token step with room
 * left in the cache (length < capacity). Nothing is written when it returns null.
 */
export function cachedAttentionInPlace(
  qkv: tf.Tensor,
  cache: { key: tf.Tensor; value: tf.Tensor },
  length: number,
  mask: tf.Tensor | null,
  numHeads: number,
  scale: number,
): tf.Tensor3D | null {
  if (qkv.rank !== 3 || qkv.shape[1] !== 1 || recordingGradients()) return null;
  const [b, , c3] = qkv.shape as [number, number, number];
  if (b === 0 || c3 % (3 * numHeads) !== 0) return null;
  const d = c3 / (3 * numHeads);
  const capacity = cache.key.shape[2] as number;
  if (!Number.isInteger(length) || length < 0 || length >= capacity) return null;
  const want = [b, numHeads, capacity, d].join();
  if (cache.key.shape.join() !== want || cache.value.shape.join() !== want || cache.key.dataId === cache.value.dataId) return null;
  if (mask && !(mask.rank === 4 && (mask.shape[0] === 1 || mask.shape[0] === b) && mask.shape[1] === 1 && mask.shape[2] === 1 && mask.shape[3] === length + 1)) return null;
  if (!hasFusedKernel(FUSED_CACHED_ATTENTION_IN_PLACE, qkv, cache.key, cache.value, mask)) return null;
  const inputs: tf.NamedTensorMap = { qkv, cacheKey: cache.key, cacheValue: cache.value };
  if (mask) inputs['mask'] = mask;
  return tf.engine().runKernel(FUSED_CACHED_ATTENTION_IN_PLACE, inputs, { numHeads, scale, length } as unknown as tf.NamedAttrMap) as tf.Tensor3D;
}
