/**
 * Pieces every encoder-decoder Transformer shares (BART, Marian): the config keys of both stacks,
 * the scaled token embedding that reads a table shared with the other side and the LM head, the
 * decoder's cache of self- and cross-attention keys/values for incremental decoding, and the loops
 * over each stack's layers. A family keeps its own embeddings (positions, LayerNorm) and modules.
 */
import * as tf from '@tensorflow/tfjs-core';
import { embeddingLookup } from '@tfkit/core-tensor';
import { KVCache } from './kv-cache.js';
import { Module, type Parameter } from './module.js';
import type { TransformerDecoderLayer, TransformerEncoderLayer } from './transformer-layers.js';

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

/** What the stacks can also return: every layer's states and attention probabilities. */
export interface StackOutputOptions {
  outputHiddenStates?: boolean;
  outputAttentions?: boolean;
}

/** An encoder stack's output. */
export interface EncoderStackOutput {
  /** `[B, S, dModel]` */
  lastHiddenState: tf.Tensor;
  /** The embeddings, then each layer's output (the last equals lastHiddenState). */
  hiddenStates?: tf.Tensor[];
  /** Self-attention probabilities per layer, `[B, heads, S, S]`. */
  attentions?: tf.Tensor[];
}

/** A decoder stack's output. */
export interface DecoderStackOutput {
  /** `[B, T, dModel]` */
  lastHiddenState: tf.Tensor;
  hiddenStates?: tf.Tensor[];
  /** Causal self-attention probabilities per layer, `[B, heads, T, pastLength + T]`. */
  attentions?: tf.Tensor[];
  /** Cross-attention probabilities per layer, `[B, heads, T, S]`. */
  crossAttentions?: tf.Tensor[];
}

/**
 * The encoder layers over the embedded input `h` `[B, S, dModel]` with the 0/1 padding `mask`.
 * `skip()` is asked before each layer (LayerDrop in training); a skipped layer repeats its input in
 * `hiddenStates`. Call it inside the stack's `tf.tidy`.
 */
export function runEncoderLayers(
  layers: Iterable<TransformerEncoderLayer>, h: tf.Tensor, mask: tf.Tensor | null, options: StackOutputOptions, skip: () => boolean = () => false,
): EncoderStackOutput {
  const hiddenStates: tf.Tensor[] = [h];
  const attentions: tf.Tensor[] = [];
  for (const layer of layers) {
    if (!skip()) {
      const out = layer.forward(h, { attentionMask: mask, outputAttentions: options.outputAttentions });
      h = out.output;
      if (out.attentions) attentions.push(out.attentions);
    }
    hiddenStates.push(h);
  }
  const result: EncoderStackOutput = { lastHiddenState: h };
  if (options.outputHiddenStates) result.hiddenStates = hiddenStates;
  if (options.outputAttentions) result.attentions = attentions;
  return result;
}

/** The decoder layers' inputs besides the embedded tokens. */
export interface DecoderLayersInputs extends StackOutputOptions {
  /** 0/1 `[B, pastLength + T]` padding mask of the decoder tokens, or null (causal only). */
  attentionMask: tf.Tensor | null;
  /** Encoder output `[B, S, dModel]`. */
  encoderHiddenStates: tf.Tensor;
  /** 0/1 `[B, S]` padding mask of the encoder tokens, or null. */
  encoderAttentionMask: tf.Tensor | null;
  /** Incremental decoding: the earlier positions' keys/values, extended in place. */
  cache?: EncoderDecoderCache | undefined;
}

/**
 * The decoder layers over the embedded tokens `h` `[B, T, dModel]`, each attending causally to
 * itself (and the cache) and to the encoder output. `skip()` as in `runEncoderLayers`. Call it
 * inside the stack's `tf.tidy`.
 */
export function runDecoderLayers(
  layers: readonly TransformerDecoderLayer[], h: tf.Tensor, inputs: DecoderLayersInputs, skip: () => boolean = () => false,
): DecoderStackOutput {
  const hiddenStates: tf.Tensor[] = [h];
  const attentions: tf.Tensor[] = [];
  const crossAttentions: tf.Tensor[] = [];
  layers.forEach((layer, i) => {
    if (!skip()) {
      const out = layer.forward(h, {
        attentionMask: inputs.attentionMask,
        encoderHiddenStates: inputs.encoderHiddenStates,
        encoderAttentionMask: inputs.encoderAttentionMask,
        cache: inputs.cache?.layers[i],
        outputAttentions: inputs.outputAttentions,
      });
      h = out.output;
      if (out.attentions) attentions.push(out.attentions);
      if (out.crossAttentions) crossAttentions.push(out.crossAttentions);
    }
    hiddenStates.push(h);
  });
  const result: DecoderStackOutput = { lastHiddenState: h };
  if (inputs.outputHiddenStates) result.hiddenStates = hiddenStates;
  if (inputs.outputAttentions) Object.assign(result, { attentions, crossAttentions });
  return result;
}

/** Hugging Face's Seq2SeqModelOutput in camelCase. */
export interface EncoderDecoderOutput {
  /** The decoder's last hidden state `[B, T, dModel]`. */
  lastHiddenState: tf.Tensor;
  decoderHiddenStates?: tf.Tensor[];
  decoderAttentions?: tf.Tensor[];
  crossAttentions?: tf.Tensor[];
  /** `[B, S, dModel]` */
  encoderLastHiddenState: tf.Tensor;
  encoderHiddenStates?: tf.Tensor[];
  encoderAttentions?: tf.Tensor[];
}

/** The model's output from its two stacks' (only the parts they returned). */
export function encoderDecoderOutput(encoder: EncoderStackOutput, decoder: DecoderStackOutput): EncoderDecoderOutput {
  const out: EncoderDecoderOutput = { lastHiddenState: decoder.lastHiddenState, encoderLastHiddenState: encoder.lastHiddenState };
  if (decoder.hiddenStates) out.decoderHiddenStates = decoder.hiddenStates;
  if (decoder.attentions) out.decoderAttentions = decoder.attentions;
  if (decoder.crossAttentions) out.crossAttentions = decoder.crossAttentions;
  if (encoder.hiddenStates) out.encoderHiddenStates = encoder.hiddenStates;
  if (encoder.attentions) out.encoderAttentions = encoder.attentions;
  return out;
}
