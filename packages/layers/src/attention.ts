/**
 * Multi-head attention (Vaswani et al., 2017, "Attention Is All You Need", §3.2), self- and
 * cross-attention, following Hugging Face's BartAttention (q_proj/k_proj/v_proj/out_proj).
 */
import * as tf from '@tensorflow/tfjs-core';
import { causalMask, combineMasks, paddingMask, scaledDotProductAttention, ConfigError, ShapeError, type Random } from '@tfkit/core-tensor';
import { Dropout } from './dropout.js';
import type { KVCache } from './kv-cache.js';
import { Linear } from './linear.js';
import { Module } from './module.js';

export interface MultiHeadAttentionOptions {
  numHeads: number;
  /** Feature size of the key/value source (the encoder's hidden size for cross-attention); default `embedDim`. */
  kvDim?: number;
  /** Biases on the four projections (default true). */
  bias?: boolean;
  /** Dropout on the attention probabilities, in training only (default 0). */
  dropout?: number;
  /** N(0, std²) init for the projections (HF `initializer_range`); default PyTorch's uniform. */
  initStd?: number;
  rng?: Random;
}

export interface AttentionCallOptions {
  /** Cross-attention: keys and values come from these states `[b, tk, kvDim]` (the encoder output). */
  keyValueStates?: tf.Tensor;
  /** 0/1 `[b, tk]`: 1 for real tokens, 0 for padding (over all keys, cached ones included). */
  attentionMask?: tf.Tensor | null;
  /** Additive mask broadcastable to `[b, heads, tq, tk]`, added to the others. */
  mask?: tf.Tensor | null;
  /** Hide keys after each query (query i sits at position `cache.length + i`). */
  causal?: boolean;
  /** Keys/values of earlier steps; self-attention appends to it, cross-attention fills it once and reuses it. */
  cache?: KVCache;
  /** Also return the attention probabilities `[b, heads, tq, tk]`. */
  outputAttentions?: boolean;
}

export interface AttentionOutput {
  /** `[b, tq, embedDim]` */
  output: tf.Tensor;
  /** `[b, heads, tq, tk]` probabilities, when asked for. */
  attentions?: tf.Tensor;
}

/** `[b, t, h·d]` → `[b, h, t, d]` (a reshape alone for one position, a decoding step). */
export function splitHeads(x: tf.Tensor, numHeads: number): tf.Tensor {
  const [b, t, c] = x.shape as [number, number, number];
  if (t === 1) return tf.reshape(x, [b, numHeads, 1, c / numHeads]);
  return tf.transpose(tf.reshape(x, [b, t, numHeads, c / numHeads]), [0, 2, 1, 3]);
}

/** `[b, h, t, d]` → `[b, t, h·d]` (a reshape alone for one position). */
export function mergeHeads(x: tf.Tensor): tf.Tensor {
  const [b, h, t, d] = x.shape as [number, number, number, number];
  if (t === 1) return tf.reshape(x, [b, 1, h * d]);
  return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [b, t, h * d]);
}

export class MultiHeadAttention extends Module {
  readonly embedDim: number;
  readonly numHeads: number;
  readonly headDim: number;
  q_proj: Linear;
  k_proj: Linear;
  v_proj: Linear;
  out_proj: Linear;
  dropout: Dropout;

  constructor(embedDim: number, options: MultiHeadAttentionOptions) {
    super();
    const { numHeads } = options;
    if (!Number.isInteger(numHeads) || numHeads < 1 || embedDim % numHeads !== 0) {
      throw new ConfigError(`MultiHeadAttention: embedDim ${embedDim} must be a multiple of numHeads ${numHeads}`);
    }
    this.embedDim = embedDim;
    this.numHeads = numHeads;
    this.headDim = embedDim / numHeads;
    const kvDim = options.kvDim ?? embedDim;
    const lin = { bias: options.bias ?? true, initStd: options.initStd, rng: options.rng };
    this.q_proj = new Linear(embedDim, embedDim, lin);
    this.k_proj = new Linear(kvDim, embedDim, lin);
    this.v_proj = new Linear(kvDim, embedDim, lin);
    this.out_proj = new Linear(embedDim, embedDim, lin);
    this.dropout = new Dropout(options.dropout ?? 0);
  }

  /** `hidden` `[b, tq, embedDim]` → `{ output [b, tq, embedDim], attentions? }`. */
  forward(hidden: tf.Tensor, options: AttentionCallOptions = {}): AttentionOutput {
    if (hidden.rank !== 3 || hidden.shape[2] !== this.embedDim) {
      throw new ShapeError(`MultiHeadAttention: expected hidden states [batch, length, ${this.embedDim}], got [${hidden.shape}]`);
    }
    const { cache, keyValueStates } = options;
    const pastLength = keyValueStates ? 0 : (cache?.length ?? 0);
    return tf.tidy(() => {
      const q = splitHeads(this.q_proj.forward(hidden), this.numHeads); // (b, h, tq, d)
      let k: tf.Tensor;
      let v: tf.Tensor;
      if (keyValueStates && cache && cache.length > 0) {
        // Cross-attention keys/values depend only on the encoder output: computed at the first step.
        k = cache.key as tf.Tensor;
        v = cache.value as tf.Tensor;
      } else {
        const source = keyValueStates ?? hidden;
        k = splitHeads(this.k_proj.forward(source), this.numHeads);
        v = splitHeads(this.v_proj.forward(source), this.numHeads);
        if (cache && keyValueStates) cache.set(k, v);
        else if (cache) ({ key: k, value: v } = cache.append(k, v));
      }
      const tq = hidden.shape[1] as number;
      const tk = k.shape[2] as number;
      const mask = combineMasks(
        options.attentionMask ? paddingMask(options.attentionMask) : null,
        options.causal ? causalMask(tq, tk, pastLength) : null,
        options.mask,
      );
      const dropout = this.training && this.dropout.p > 0 ? (p: tf.Tensor) => this.dropout.forward(p) : undefined;
      const att = scaledDotProductAttention(q, k, v, mask, { returnProbs: options.outputAttentions, dropout });
      const output = this.out_proj.forward(mergeHeads(att.output)); // (b, tq, embedDim)
      if (!att.probs) return { output } as unknown as tf.TensorContainer;
      // A fresh handle that this tidy's caller owns (the op may hand back a tf.keep'd tensor, which
      // no enclosing tidy would ever dispose).
      const attentions = tf.clone(att.probs);
      att.probs.dispose();
      return { output, attentions } as unknown as tf.TensorContainer;
    }) as unknown as AttentionOutput;
  }
}
