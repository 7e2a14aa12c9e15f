/**
 * Attention for recurrent encoder-decoders: additive (Bahdanau et al., 2015, "Neural Machine
 * Translation by Jointly Learning to Align and Translate") and multiplicative dot/general (Luong et
 * al., 2015, "Effective Approaches to Attention-based Neural Machine Translation").
 */
import * as tf from '@tensorflow/tfjs-core';
import { MASK_VALUE, ShapeError, linear, type Random } from '@tfkit/core-tensor';
import { Linear } from './linear.js';
import { Module } from './module.js';

export interface Seq2SeqAttentionOutput {
  /** Weighted sum of the values: `[b, valueDim]` for a 2-D query, `[b, tq, valueDim]` for a 3-D one. */
  context: tf.Tensor;
  /** Attention weights over the source positions: `[b, tk]` or `[b, tq, tk]`; rows sum to 1. */
  weights: tf.Tensor;
}

export interface Seq2SeqAttentionCallOptions {
  /** Values to average (default: the keys), `[b, tk, valueDim]`. */
  values?: tf.Tensor;
  /** 0/1 `[b, tk]`: source padding gets zero weight. */
  mask?: tf.Tensor | null;
}

/** softmax over the source axis of `scores` `[b, tq, tk]` (masked) and the weighted sum of `values`. */
function attend(scores: tf.Tensor, values: tf.Tensor, mask: tf.Tensor | null | undefined, squeeze: boolean): Seq2SeqAttentionOutput {
  const [b, , tk] = scores.shape as [number, number, number];
  let s = scores;
  if (mask) s = tf.add(s, tf.mul(tf.sub(1, tf.reshape(tf.cast(mask, 'float32'), [b, 1, tk])), MASK_VALUE));
  const weights = tf.softmax(s); // (b, tq, tk)
  const context = tf.matMul(weights as tf.Tensor3D, values as tf.Tensor3D); // (b, tq, valueDim)
  return squeeze ? { context: tf.squeeze(context, [1]), weights: tf.squeeze(weights, [1]) } : { context, weights };
}

/** A decoder state `[b, d]` becomes `[b, 1, d]`; `[b, tq, d]` stays. */
function asQueries(query: tf.Tensor, dim: number, who: string): tf.Tensor {
  if ((query.rank !== 2 && query.rank !== 3) || query.shape[query.rank - 1] !== dim) {
    throw new ShapeError(`${who}: query must be [batch, ${dim}] or [batch, steps, ${dim}], got [${query.shape}]`);
  }
  return query.rank === 2 ? tf.expandDims(query, 1) : query;
}

/**
 * Additive attention: score(s, hᵢ) = vᵀ tanh(W_q s + W_k hᵢ). `query_proj`, `key_proj` (no bias;
 * the score takes one bias, on `key_proj`) and `v`.
 */
export class BahdanauAttention extends Module {
  readonly units: number;
  query_proj: Linear;
  key_proj: Linear;
  v: Linear;

  constructor(queryDim: number, keyDim: number, units: number, options: { rng?: Random } = {}) {
    super();
    this.units = units;
    this.query_proj = new Linear(queryDim, units, { bias: false, rng: options.rng });
    this.key_proj = new Linear(keyDim, units, { rng: options.rng });
    this.v = new Linear(units, 1, { bias: false, rng: options.rng });
  }

  /** W_k hᵢ + b for every source position `[b, tk, units]`: compute once per sequence and pass as `projectedKeys`. */
  projectKeys(keys: tf.Tensor): tf.Tensor {
    return this.key_proj.forward(keys);
  }

  /** `query` `[b, queryDim]` (one decoder step) or `[b, tq, queryDim]`; `keys` `[b, tk, keyDim]`. */
  forward(query: tf.Tensor, keys: tf.Tensor, options: Seq2SeqAttentionCallOptions & { projectedKeys?: tf.Tensor } = {}): Seq2SeqAttentionOutput {
    return tf.tidy(() => {
      const q = asQueries(query, this.query_proj.inFeatures, 'BahdanauAttention');
      const [b, tq] = q.shape as [number, number];
      const tk = keys.shape[1] as number;
      const pk = options.projectedKeys ?? this.projectKeys(keys); // (b, tk, units)
      const pq = this.query_proj.forward(q); // (b, tq, units)
      const sum = tf.tanh(tf.add(tf.expandDims(pq, 2), tf.expandDims(pk, 1))); // (b, tq, tk, units)
      const scores = tf.reshape(linear(sum, this.v.weight.value), [b, tq, tk]);
      return attend(scores, options.values ?? keys, options.mask, query.rank === 2) as unknown as tf.TensorContainer;
    }) as unknown as Seq2SeqAttentionOutput;
  }
}

/**
 * Multiplicative attention: 'dot' score(s, hᵢ) = sᵀhᵢ (query and key sizes equal) or 'general'
 * score(s, hᵢ) = sᵀ W_a hᵢ (`W_a` is `linear_in`, no bias).
 */
export class LuongAttention extends Module {
  readonly score: 'dot' | 'general';
  readonly scale: boolean;
  linear_in: Linear | null;

  constructor(queryDim: number, keyDim: number, options: { score?: 'dot' | 'general'; scale?: boolean; rng?: Random } = {}) {
    super();
    this.score = options.score ?? 'general';
    this.scale = options.scale ?? false;
    if (this.score === 'dot' && queryDim !== keyDim) throw new ShapeError(`LuongAttention 'dot': query size ${queryDim} must equal key size ${keyDim} (use 'general')`);
    this.linear_in = this.score === 'general' ? new Linear(keyDim, queryDim, { bias: false, rng: options.rng }) : null;
  }

  /** W_a hᵢ for every source position (`general`; the keys themselves for `dot`): compute once per sequence and pass as `projectedKeys`. */
  projectKeys(keys: tf.Tensor): tf.Tensor {
    return this.linear_in ? this.linear_in.forward(keys) : keys;
  }

  /** `query` `[b, queryDim]` or `[b, tq, queryDim]`; `keys` `[b, tk, keyDim]`. With `scale`, scores are divided by √queryDim. */
  forward(query: tf.Tensor, keys: tf.Tensor, options: Seq2SeqAttentionCallOptions & { projectedKeys?: tf.Tensor } = {}): Seq2SeqAttentionOutput {
    return tf.tidy(() => {
      const q = asQueries(query, query.shape[query.rank - 1] as number, 'LuongAttention');
      const k = options.projectedKeys ?? this.projectKeys(keys); // (b, tk, queryDim)
      let scores = tf.matMul(q as tf.Tensor3D, k as tf.Tensor3D, false, true); // (b, tq, tk)
      if (this.scale) scores = tf.mul(scores, 1 / Math.sqrt(q.shape[2] as number));
      return attend(scores, options.values ?? keys, options.mask, query.rank === 2) as unknown as tf.TensorContainer;
    }) as unknown as Seq2SeqAttentionOutput;
  }
}
