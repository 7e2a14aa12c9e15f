/**
 * Transformer encoder and decoder layers (Vaswani et al., 2017, §3.1) in the post-LN arrangement
 * (original transformer, BERT, BART) and the pre-LN one (GPT-2; Xiong et al., 2020). Attribute
 * names follow Hugging Face's BartEncoderLayer / BartDecoderLayer.
 */
import * as tf from '@tensorflow/tfjs-core';
import { getActivation, type Random } from '@tfkit/core-tensor';
import { MultiHeadAttention } from './attention.js';
import { Dropout } from './dropout.js';
import type { KVCache } from './kv-cache.js';
import { LayerNorm } from './layer-norm.js';
import { Linear, linearActivated } from './linear.js';
import { Module } from './module.js';

export interface TransformerLayerOptions {
  /** Model width (hidden size). */
  dModel: number;
  numHeads: number;
  /** Inner size of the feed-forward network (usually 4·dModel). */
  ffnDim: number;
  /** Hugging Face activation name (default 'gelu'). */
  activation?: string;
  /** Dropout on each sublayer's output before the residual add (default 0.1). */
  dropout?: number;
  /** Dropout on attention probabilities (default 0). */
  attentionDropout?: number;
  /** Dropout after the FFN activation (default 0). */
  activationDropout?: number;
  layerNormEps?: number;
  /**
   * Pre-LN (GPT-2): x + f(LN(x)). Default false, post-LN (BERT/BART): LN(x + f(x)).
   * A pre-LN stack needs a final LayerNorm after its last layer (GPT-2's `ln_f`).
   */
  normFirst?: boolean;
  initStd?: number;
  rng?: Random;
}

export interface LayerOutput {
  /** `[b, t, dModel]` */
  output: tf.Tensor;
  /** Self-attention probabilities `[b, heads, t, tk]`, when asked for. */
  attentions?: tf.Tensor;
  /** Cross-attention probabilities `[b, heads, t, encoderLength]` (decoder), when asked for. */
  crossAttentions?: tf.Tensor;
}

/** Shared: a residual sublayer in either arrangement. */
function residual(x: tf.Tensor, norm: LayerNorm, normFirst: boolean, dropout: Dropout, f: (h: tf.Tensor) => tf.Tensor): tf.Tensor {
  if (normFirst) return tf.add(x, dropout.forward(f(norm.forward(x))));
  return norm.forward(tf.add(x, dropout.forward(f(x))));
}

abstract class TransformerLayerBase extends Module {
  readonly normFirst: boolean;
  self_attn: MultiHeadAttention;
  self_attn_layer_norm: LayerNorm;
  protected readonly activation: string;

  constructor(o: TransformerLayerOptions) {
    super();
    this.normFirst = o.normFirst ?? false;
    this.activation = o.activation ?? 'gelu';
    getActivation(this.activation); // an unknown name fails here, not at the first forward
    this.self_attn = new MultiHeadAttention(o.dModel, { numHeads: o.numHeads, dropout: o.attentionDropout, initStd: o.initStd, rng: o.rng });
    this.self_attn_layer_norm = new LayerNorm(o.dModel, { eps: o.layerNormEps });
  }
}

export interface EncoderLayerCallOptions {
  /** 0/1 `[b, t]` padding mask. */
  attentionMask?: tf.Tensor | null;
  /** Additive mask broadcastable to `[b, heads, t, t]`. */
  mask?: tf.Tensor | null;
  outputAttentions?: boolean;
}

/** Self-attention → feed-forward, each wrapped in a residual connection with LayerNorm. */
export class TransformerEncoderLayer extends TransformerLayerBase {
  fc1: Linear;
  fc2: Linear;
  final_layer_norm: LayerNorm;
  dropout: Dropout;
  activation_dropout: Dropout;

  constructor(o: TransformerLayerOptions) {
    super(o);
    const lin = { initStd: o.initStd, rng: o.rng };
    this.fc1 = new Linear(o.dModel, o.ffnDim, lin);
    this.fc2 = new Linear(o.ffnDim, o.dModel, lin);
    this.final_layer_norm = new LayerNorm(o.dModel, { eps: o.layerNormEps });
    this.dropout = new Dropout(o.dropout ?? 0.1);
    this.activation_dropout = new Dropout(o.activationDropout ?? 0);
  }

  /** `x` `[b, t, dModel]` → `{ output [b, t, dModel], attentions? }` */
  forward(x: tf.Tensor, options: EncoderLayerCallOptions = {}): LayerOutput {
    return tf.tidy(() => {
      let attentions: tf.Tensor | undefined;
      const h = residual(x, this.self_attn_layer_norm, this.normFirst, this.dropout, (y) => {
        const a = this.self_attn.forward(y, options);
        attentions = a.attentions;
        return a.output;
      });
      const output = residual(h, this.final_layer_norm, this.normFirst, this.dropout, (y) =>
        this.fc2.forward(this.activation_dropout.forward(linearActivated(this.fc1, y, this.activation))),
      );
      return (attentions ? { output, attentions } : { output }) as unknown as tf.TensorContainer;
    }) as unknown as LayerOutput;
  }
}

export interface DecoderLayerCallOptions {
  /** 0/1 `[b, pastLength + t]` padding mask of the decoder tokens. */
  attentionMask?: tf.Tensor | null;
  /** Encoder output `[b, s, dModel]` for cross-attention. */
  encoderHiddenStates?: tf.Tensor;
  /** 0/1 `[b, s]` padding mask of the encoder tokens. */
  encoderAttentionMask?: tf.Tensor | null;
  /** Caches for incremental decoding: `self` grows by `t` each call, `cross` is filled once. */
  cache?: { self: KVCache; cross?: KVCache };
  outputAttentions?: boolean;
}

/** Causal self-attention → cross-attention (optional) → feed-forward, each residual with LayerNorm. */
export class TransformerDecoderLayer extends TransformerLayerBase {
  encoder_attn: MultiHeadAttention | null;
  encoder_attn_layer_norm: LayerNorm | null;
  fc1: Linear;
  fc2: Linear;
  final_layer_norm: LayerNorm;
  dropout: Dropout;
  activation_dropout: Dropout;

  /** `crossAttention: false` gives a decoder-only (GPT) layer. */
  constructor(o: TransformerLayerOptions & { crossAttention?: boolean; encoderDim?: number }) {
    super(o);
    const cross = o.crossAttention ?? true;
    this.encoder_attn = cross
      ? new MultiHeadAttention(o.dModel, { numHeads: o.numHeads, kvDim: o.encoderDim, dropout: o.attentionDropout, initStd: o.initStd, rng: o.rng })
      : null;
    this.encoder_attn_layer_norm = cross ? new LayerNorm(o.dModel, { eps: o.layerNormEps }) : null;
    const lin = { initStd: o.initStd, rng: o.rng };
    this.fc1 = new Linear(o.dModel, o.ffnDim, lin);
    this.fc2 = new Linear(o.ffnDim, o.dModel, lin);
    this.final_layer_norm = new LayerNorm(o.dModel, { eps: o.layerNormEps });
    this.dropout = new Dropout(o.dropout ?? 0.1);
    this.activation_dropout = new Dropout(o.activationDropout ?? 0);
  }

  /** `x` `[b, t, dModel]` → `{ output [b, t, dModel], attentions?, crossAttentions? }` */
  forward(x: tf.Tensor, options: DecoderLayerCallOptions = {}): LayerOutput {
    return tf.tidy(() => {
      const out: LayerOutput = { output: x };
      let h = residual(x, this.self_attn_layer_norm, this.normFirst, this.dropout, (y) => {
        const a = this.self_attn.forward(y, { attentionMask: options.attentionMask, causal: true, cache: options.cache?.self, outputAttentions: options.outputAttentions });
        out.attentions = a.attentions;
        return a.output;
      });
      const { encoder_attn: crossAttn, encoder_attn_layer_norm: crossNorm } = this;
      if (crossAttn && crossNorm && options.encoderHiddenStates) {
        const enc = options.encoderHiddenStates;
        h = residual(h, crossNorm, this.normFirst, this.dropout, (y) => {
          const a = crossAttn.forward(y, { keyValueStates: enc, attentionMask: options.encoderAttentionMask, cache: options.cache?.cross, outputAttentions: options.outputAttentions });
          out.crossAttentions = a.attentions;
          return a.output;
        });
      }
      out.output = residual(h, this.final_layer_norm, this.normFirst, this.dropout, (y) =>
        this.fc2.forward(this.activation_dropout.forward(linearActivated(this.fc1, y, this.activation))),
      );
      if (!out.attentions) delete out.attentions;
      if (!out.crossAttentions) delete out.crossAttentions;
      return out as unknown as tf.TensorContainer;
    }) as unknown as LayerOutput;
  }
}
