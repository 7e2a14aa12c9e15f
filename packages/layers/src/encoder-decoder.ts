/**
 * Pieces every encoder-decoder Transformer shares (BART, Marian): the config keys of both stacks,
 * the scaled token embedding that reads a table shared with the other side and the LM head, and the
 * decoder's cache of self- and cross-attention keys/values for incremental decoding.
 */
import * as tf from '@tensorflow/tfjs-core';
import { embeddingLookup } from '@tfkit/core-tensor';
import { KVCache } from './kv-cache.js';
import { Module, type Parameter } from './module.js';

/** The config every encoder-decoder Transformer has (Hugging Face's BART / Marian keys, camelCased); a family extends it. */
export interface EncoderDecoderConfig {
  /** Source vocabulary size (the only one with a shared vocabulary). */
  vocabSize: number;
  /** Longest encoder input or decoder sequence the positions cover. */
  maxPositionEmbeddings: number;
  /** Model width d_model. */
  dModel: number;
  encoderLayers: number;
  encoderAttentionHeads: number;
  /** Inner width of the encoder's feed-forward blocks. */
  encoderFfnDim: number;
  decoderLayers: number;
  decoderAttentionHeads: number;
  decoderFfnDim: number;
  /** Hugging Face activation name of the feed-forward blocks (`gelu`, `relu`, `swish`, …). */
  activationFunction: string;
  /** Dropout on the embeddings (+ positions) and on every sublayer's output. */
  dropout: number;
  /** Dropout on attention probabilities. */
  attentionDropout: number;
  /** Dropout after the feed-forward activation. */
  activationDropout: number;
  /** Standard deviation of the N(0, std²) weight initialisation. */
  initStd: number;
  /** Multiply token embeddings by √dModel (the Transformer paper's §3.4). */
  scaleEmbedding: boolean;
  /** The output projection is the decoder's token table. */
  tieWordEmbeddings: boolean;
  padTokenId: number;
  bosTokenId: number | null;
  eosTokenId: number;
  /** The token every decoder input starts with. */
  decoderStartTokenId: number;
  /** Token forced as the last one at the maximum length, or null. */
  forcedEosTokenId: number | null;
}

/**
 * Token embeddings times `embedScale` (√dModel with `scale_embedding`, the Transformer paper's
 * §3.4; else 1). The table may be shared with the other side and the output projection; its
 * `paddingIdx` row gets no gradient from the lookup, as nn.Embedding's padding_idx (a tied LM head
 * still trains it).
 */
export class ScaledEmbedding extends Module {
  weight: Parameter;
  readonly embedScale: number;
  readonly paddingIdx: number | undefined;

  constructor(weight: Parameter, embedScale: number, paddingIdx?: number) {
    super();
    this.weight = weight;
    this.embedScale = embedScale;
    this.paddingIdx = paddingIdx;
  }

  /** ids `[B, T]` → `[B, T, dModel]` */
  forward(ids: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const e = embeddingLookup(this.weight.value, ids, { paddingIdx: this.paddingIdx });
      return this.embedScale === 1 ? e : tf.mul(e, this.embedScale);
    });
  }
}

/**
 * The decoder's keys and values for incremental decoding, per layer: `self` grows by the new
 * tokens each step; `cross` holds the projected encoder output, computed at the first step and
 * reused (Hugging Face's `past_key_values` / EncoderDecoderCache: self k/v, cross k/v;
 * `[B, heads, length, headDim]`).
 */
export class EncoderDecoderCache {
  readonly layers: { self: KVCache; cross: KVCache }[];

  constructor(numLayers: number) {
    this.layers = Array.from({ length: numLayers }, () => ({ self: new KVCache(), cross: new KVCache() }));
  }

  /** Decoder positions cached so far. */
  get length(): number {
    return this.layers[0]?.self.length ?? 0;
  }

  /**
   * Keeps batch rows `rows` (repeats allowed: beam search). `cross: false` leaves the cross-attention
   * keys/values as they are, for a reordering that keeps every row on the same encoder input.
   */
  reorder(rows: readonly number[], options: { cross?: boolean } = {}): void {
    const index = tf.tensor1d(rows as number[], 'int32');
    for (const { self, cross } of this.layers) {
      self.reorder(index);
      if (options.cross ?? true) cross.reorder(index);
    }
    index.dispose();
  }

  dispose(): void {
    for (const { self, cross } of this.layers) {
      self.dispose();
      cross.dispose();
    }
  }
}
