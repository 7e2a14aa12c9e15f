// Attention Is All You Need (Vaswani et al., 2017): the encoder-decoder Transformer with fixed sinusoidal positions, post-LN.
// Follows Hugging Face transformers' models/marian/modeling_marian.py (MarianModel, eager attention), whose module and weight names it keeps.
import * as tf from '@tensorflow/tfjs-core';
import type { Random } from '@tfkit/core-tensor';
import {
  attentionMaskInput, checkInputsObject, checkPositions, decoderLayersInputs, Dropout, Embedding, EncoderDecoderCache as TransformerDecoderCache, InputError, Module, runDecoderLayers,
  runEncoderDecoder, runEncoderLayers, ScaledEmbedding, sinusoidalPositionEncoding, stackLayers, tokenIds, TransformerDecoderLayer, TransformerEncoderLayer,
  type DecoderStackOptions, type DecoderStackOutput, type EncoderDecoderOutput, type EncoderStackOutput, type IntInput, type ModuleList, type Parameter, type StackOutputOptions, type TransformerLayerOptions,
} from '@tfkit/layers';
import type { TransformerConfig } from './transformer-config.js';

/**
 * The scaled token embedding (√dModel with `scale_embedding`) and the decoder's self- and
 * cross-attention cache: the encoder-decoder pieces of `@tfkit/layers`, shared with BART.
 */
export { ScaledEmbedding, TransformerDecoderCache };

/** A token table as Hugging Face initialises it: N(0, init_std²), the padding row zero. */
export function tokenTable(rows: number, config: TransformerConfig, rng: Random): Parameter {
  const table = new Embedding(rows, config.dModel, { paddingIdx: config.padTokenId, initStd: config.initStd, rng });
  return table.weight;
}

export type OutputOptions = StackOutputOptions;

/** The encoder's last hidden state `[B, S, dModel]` (with every layer's states and attentions when asked). */
export type TransformerEncoderOutput = EncoderStackOutput;

/** What the encoder and decoder share: the scaled token table, the fixed positions, the layer stack and dropout. */
abstract class TransformerStack<L extends Module> extends Module {
  embed_tokens: ScaledEmbedding;
  layers: ModuleList<L>;
  dropout: Dropout;
  protected readonly config: TransformerConfig;
  private readonly side: string;

  constructor(config: TransformerConfig, side: 'encoder' | 'decoder', embedTokens: ScaledEmbedding, rng: Random, makeLayer: (o: TransformerLayerOptions) => L) {
    super();
    this.config = config;
    this.side = side === 'encoder' ? 'TransformerEncoder' : 'TransformerDecoder';
    this.embed_tokens = embedTokens;
    this.layers = stackLayers(config, side, { std: config.initStd, rng }, makeLayer);
    this.dropout = new Dropout(config.dropout);
  }

  /**
   * Token embeddings of `ids` `[B, T]` plus the sinusoids of positions pastLength … pastLength + T − 1
   * (sines in the first half of each vector, cosines in the second, as Marian), with dropout.
   */
  protected embed(ids: tf.Tensor, pastLength: number): tf.Tensor {
    const t = ids.shape[1] as number;
    checkPositions(t, pastLength, this.config.maxPositionEmbeddings, this.side, this.side === 'TransformerEncoder' ? 'inputIds' : 'decoderInputIds');
    const positions = sinusoidalPositionEncoding(t, this.config.dModel, { offset: pastLength, layout: 'halves' });
    return this.dropout.forward(tf.add(this.embed_tokens.forward(ids), positions)); // (B, T, C)
  }
}

/** Self-attention → feed-forward, N times, each sublayer LayerNorm(x + Sublayer(x)). */
export class TransformerEncoder extends TransformerStack<TransformerEncoderLayer> {
  constructor(config: TransformerConfig, embedTokens: ScaledEmbedding, rng: Random) {
    super(config, 'encoder', embedTokens, rng, (o) => new TransformerEncoderLayer(o));
  }

  /** ids `[B, S]`, 0/1 mask `[B, S]` → `[B, S, dModel]` (with every layer's states and attentions when asked). */
  forward(inputIds: IntInput, attentionMask: IntInput | null = null, options: OutputOptions = {}): TransformerEncoderOutput {
    return tf.tidy(() => {
      const ids = tokenIds(inputIds, this.embed_tokens.weight.shape[0] as number, 'TransformerEncoder', { key: 'vocab_size' });
      const mask = attentionMask === null ? null : attentionMaskInput(attentionMask, ids.shape, 'TransformerEncoder');
      return runEncoderLayers(this.layers, this.embed(ids, 0), mask, options) as unknown as tf.TensorContainer;
    }) as unknown as TransformerEncoderOutput;
  }
}

/** The encoder output the decoder attends to, the masks, and the cache for incremental decoding. */
export type TransformerDecoderOptions = DecoderStackOptions;

/** The decoder's last hidden state `[B, T, dModel]` (with every layer's states, self- and cross-attentions when asked). */
export type TransformerDecoderOutput = DecoderStackOutput;

/** Masked (causal) self-attention → attention over the encoder output → feed-forward, N times. */
export class TransformerDecoder extends TransformerStack<TransformerDecoderLayer> {
  constructor(config: TransformerConfig, embedTokens: ScaledEmbedding, rng: Random) {
    super(config, 'decoder', embedTokens, rng, (o) => new TransformerDecoderLayer(o));
  }

  /** ids `[B, T]` (only the new tokens when a cache holds the earlier ones) → `[B, T, dModel]`. */
  forward(inputIds: IntInput, options: TransformerDecoderOptions): TransformerDecoderOutput {
    return tf.tidy(() => {
      const ids = tokenIds(inputIds, this.embed_tokens.weight.shape[0] as number, 'TransformerDecoder', { name: 'decoderInputIds', key: 'decoder_vocab_size' });
      const inputs = decoderLayersInputs(ids, options, { dModel: this.config.dModel, layers: this.layers.length }, 'TransformerDecoder');
      return runDecoderLayers([...this.layers], this.embed(ids, inputs.cache?.length ?? 0), inputs) as unknown as tf.TensorContainer;
    }) as unknown as TransformerDecoderOutput;
  }
}

export interface TransformerModelInputs extends OutputOptions {
  /** `[B, S]` source ids (not needed with `encoderOutputs`). */
  inputIds?: IntInput;
  /** `[B, S]` 1 for source tokens, 0 for padding. */
  attentionMask?: IntInput | null;
  /** `[B, T]` decoder inputs: the target shifted right behind `decoderStartTokenId`. */
  decoderInputIds: IntInput;
  /** `[B, pastLength + T]` 1 for decoder tokens, 0 for padding. */
  decoderAttentionMask?: IntInput | null;
  /** A precomputed encoder output, to skip the encoder (the caller keeps ownership). */
  encoderOutputs?: { lastHiddenState: tf.Tensor };
  /** Incremental decoding: the decoder's keys/values so far, extended in place. */
  cache?: TransformerDecoderCache;
}

/** Hugging Face's Seq2SeqModelOutput in camelCase. */
export type TransformerModelOutput = EncoderDecoderOutput;

/**
 * The encoder-decoder without the output projection (Hugging Face's MarianModel). With a shared
 * vocabulary `shared` holds the one token table both sides read; with separate vocabularies it is
 * null and each side has its own.
 */
export class TransformerModel extends Module {
  shared: Embedding | null;
  encoder: TransformerEncoder;
  decoder: TransformerDecoder;

  constructor(readonly config: TransformerConfig, rng: Random) {
    super();
    const c = config;
    const scale = c.scaleEmbedding ? Math.sqrt(c.dModel) : 1;
    let sourceTable: Parameter;
    let targetTable: Parameter;
    if (c.shareEncoderDecoderEmbeddings) {
      this.shared = new Embedding(c.vocabSize, c.dModel, { paddingIdx: c.padTokenId, initStd: c.initStd, rng });
      sourceTable = targetTable = this.shared.weight;
    } else {
      this.shared = null;
      sourceTable = tokenTable(c.vocabSize, c, rng);
      targetTable = tokenTable(c.decoderVocabSize, c, rng);
    }
    this.encoder = new TransformerEncoder(c, new ScaledEmbedding(sourceTable, scale, c.padTokenId), rng);
    this.decoder = new TransformerDecoder(c, new ScaledEmbedding(targetTable, scale, c.padTokenId), rng);
  }

  forward(inputs: TransformerModelInputs): TransformerModelOutput {
    checkInputsObject(inputs, 'inputIds, attentionMask, decoderInputIds', 'TransformerModel');
    return tf.tidy(() => {
      const decoderIds = () => {
        if (inputs.decoderInputIds === undefined) throw new InputError('TransformerModel: pass decoderInputIds (or labels to the Transformer, which shifts them right)', { argument: 'decoderInputIds' });
        return inputs.decoderInputIds;
      };
      const out: TransformerModelOutput = runEncoderDecoder(this, inputs, decoderIds, this.config.dModel, 'TransformerModel');
      return out as unknown as tf.TensorContainer;
    }) as unknown as TransformerModelOutput;
  }
}

