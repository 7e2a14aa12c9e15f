// Attention Is All You Need (Vaswani et al., 2017): the encoder-decoder Transformer with fixed sinusoidal positions, post-LN.
// Follows Hugging Face transformers' models/marian/modeling_marian.py (MarianModel, eager attention), whose module and weight names it keeps.
import * as tf from '@tensorflow/tfjs-core';
import type { Random } from '@tfkit/core-tensor';
import {
  attentionMaskInput, Dropout, Embedding, EncoderDecoderCache as TransformerDecoderCache, floatInput, InputError, Module, ModuleList, ScaledEmbedding, sinusoidalPositionEncoding, tokenIds,
  TransformerDecoderLayer, TransformerEncoderLayer, runEncoderLayers, runDecoderLayers, encoderDecoderOutput,
  type IntInput, type Parameter, type TransformerLayerOptions, type EncoderStackOutput, type DecoderStackOutput, type EncoderDecoderOutput, type StackOutputOptions,
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
    const [layers, heads, ffnDim] = side === 'encoder'
      ? [config.encoderLayers, config.encoderAttentionHeads, config.encoderFfnDim]
      : [config.decoderLayers, config.decoderAttentionHeads, config.decoderFfnDim];
    this.embed_tokens = embedTokens;
    this.layers = new ModuleList(Array.from({ length: layers }, () => makeLayer({
      dModel: config.dModel, numHeads: heads, ffnDim, activation: config.activationFunction, dropout: config.dropout,
      attentionDropout: config.attentionDropout, activationDropout: config.activationDropout, initStd: config.initStd, rng,
    })));
    this.dropout = new Dropout(config.dropout);
  }

  /**
   * Token embeddings of `ids` `[B, T]` plus the sinusoids of positions pastLength … pastLength + T − 1
   * (sines in the first half of each vector, cosines in the second, as Marian), with dropout.
   */
  protected embed(ids: tf.Tensor, pastLength: number): tf.Tensor {
    const t = ids.shape[1] as number;
    const max = this.config.maxPositionEmbeddings;
    if (pastLength + t > max) {
      const past = pastLength ? ` (${pastLength} cached + ${t} new)` : '';
      throw new InputError(`${this.side}: ${pastLength + t} positions${past} exceed max_position_embeddings ${max}; truncate the input to at most ${max} tokens`, { argument: 'inputIds' });
    }
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

export interface TransformerDecoderOptions extends OutputOptions {
  /** Encoder output `[B, S, dModel]`. */
  encoderHiddenStates: tf.Tensor;
  /** 0/1 `[B, S]` padding mask of the source. */
  encoderAttentionMask?: IntInput | null;
  /** 0/1 `[B, pastLength + T]` padding mask of the decoder tokens (default: none; the causal mask always applies). */
  attentionMask?: IntInput | null;
  /** Incremental decoding: earlier positions' keys/values; the new ones are appended to it. */
  cache?: TransformerDecoderCache;
}

/** The decoder's last hidden state `[B, T, dModel]` (with every layer's states, self- and cross-attentions when asked). */
export type TransformerDecoderOutput = DecoderStackOutput;

/** Masked (causal) self-attention → attention over the encoder output → feed-forward, N times. */
export class TransformerDecoder extends TransformerStack<TransformerDecoderLayer> {
  constructor(config: TransformerConfig, embedTokens: ScaledEmbedding, rng: Random) {
    super(config, 'decoder', embedTokens, rng, (o) => new TransformerDecoderLayer(o));
  }

  /** ids `[B, T]` (only the new tokens when a cache holds the earlier ones) → `[B, T, dModel]`. */
  forward(inputIds: IntInput, options: TransformerDecoderOptions): TransformerDecoderOutput {
    const pastLength = options.cache?.length ?? 0;
    return tf.tidy(() => {
      const ids = tokenIds(inputIds, this.embed_tokens.weight.shape[0] as number, 'TransformerDecoder', { name: 'decoderInputIds', key: 'decoder_vocab_size' });
      const [b, t] = ids.shape as [number, number];
      const states = floatInput(options.encoderHiddenStates, { name: 'encoderHiddenStates', ranks: [3], shape: [undefined, undefined, this.config.dModel] }, 'TransformerDecoder');
      if (states.shape[0] !== b) {
        throw new InputError(`TransformerDecoder: the encoder states are [${states.shape}] for a batch of ${b} decoder rows`, { argument: 'encoderHiddenStates' });
      }
      const encoderMask = options.encoderAttentionMask == null ? null : attentionMaskInput(options.encoderAttentionMask, [b, states.shape[1] as number], 'TransformerDecoder', { name: 'encoderAttentionMask' });
      // The decoder's own mask covers the cached tokens too.
      const mask = options.attentionMask == null ? null : attentionMaskInput(options.attentionMask, [b, pastLength + t], 'TransformerDecoder', { name: 'decoderAttentionMask' });
      const inputs = { ...options, attentionMask: mask, encoderHiddenStates: states, encoderAttentionMask: encoderMask };
      return runDecoderLayers([...this.layers], this.embed(ids, pastLength), inputs) as unknown as tf.TensorContainer;
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
    if (inputs === null || typeof inputs !== 'object') {
      throw new InputError(`TransformerModel: pass an object of inputs ({ inputIds, attentionMask, decoderInputIds, … }), got ${inputs === null ? 'null' : typeof inputs}`, { argument: 'inputs' });
    }
    return tf.tidy(() => {
      const { outputHiddenStates = false, outputAttentions = false } = inputs;
      if (!inputs.encoderOutputs && inputs.inputIds === undefined) throw new InputError('TransformerModel: pass inputIds (or encoderOutputs)', { argument: 'inputIds' });
      if (inputs.decoderInputIds === undefined) throw new InputError('TransformerModel: pass decoderInputIds (or labels to the Transformer, which shifts them right)', { argument: 'decoderInputIds' });
      const encoder = inputs.encoderOutputs
        ? { lastHiddenState: tf.clone(floatInput(inputs.encoderOutputs.lastHiddenState, { name: 'encoderOutputs.lastHiddenState', ranks: [3], shape: [undefined, undefined, this.config.dModel] }, 'TransformerModel')) } as TransformerEncoderOutput
        : this.encoder.forward(inputs.inputIds as IntInput, inputs.attentionMask ?? null, { outputHiddenStates, outputAttentions });
      const decoder = this.decoder.forward(inputs.decoderInputIds, {
        encoderHiddenStates: encoder.lastHiddenState,
        encoderAttentionMask: inputs.attentionMask ?? null,
        attentionMask: inputs.decoderAttentionMask ?? null,
        cache: inputs.cache,
        outputHiddenStates,
        outputAttentions,
      });
      const out: TransformerModelOutput = encoderDecoderOutput(encoder, decoder);
      return out as unknown as tf.TensorContainer;
    }) as unknown as TransformerModelOutput;
  }
}

