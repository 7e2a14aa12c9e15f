/**
 * Pieces every encoder-decoder Transformer shares: the config keys of both stacks, the scaled token
 * embedding that reads a table shared with the other side and the LM head, the decoder's cache of
 * self- and cross-attention keys/values for incremental decoding, each stack's layers (built,
 * their inputs checked, looped over) and the model's pass through both stacks. A family keeps its
 * own embeddings (positions, LayerNorm) and modules.
 */
import * as tf from '@tensorflow/tfjs-core';
import { embeddingLookup, type Random } from '@tfkit/core-tensor';
import { InputError } from './errors.js';
import { attentionMaskInput, floatInput, type IntInput } from './int-input.js';
import { KVCache } from './kv-cache.js';
import { Module, ModuleList, type Parameter } from './module.js';
import type { ConfigChecks } from './pretrained-config.js';
import type { TransformerDecoderLayer, TransformerEncoderLayer, TransformerLayerOptions } from './transformer-layers.js';

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

/** `config.json` key → EncoderDecoderConfig key (Hugging Face's names, which every such family shares); a family adds its own. */
export const ENCODER_DECODER_HF_KEYS = {
  vocab_size: 'vocabSize',
  max_position_embeddings: 'maxPositionEmbeddings',
  d_model: 'dModel',
  encoder_layers: 'encoderLayers',
  encoder_attention_heads: 'encoderAttentionHeads',
  encoder_ffn_dim: 'encoderFfnDim',
  decoder_layers: 'decoderLayers',
  decoder_attention_heads: 'decoderAttentionHeads',
  decoder_ffn_dim: 'decoderFfnDim',
  activation_function: 'activationFunction',
  dropout: 'dropout',
  attention_dropout: 'attentionDropout',
  activation_dropout: 'activationDropout',
  init_std: 'initStd',
  scale_embedding: 'scaleEmbedding',
  tie_word_embeddings: 'tieWordEmbeddings',
  pad_token_id: 'padTokenId',
  bos_token_id: 'bosTokenId',
  eos_token_id: 'eosTokenId',
  decoder_start_token_id: 'decoderStartTokenId',
  forced_eos_token_id: 'forcedEosTokenId',
} as const satisfies Record<string, keyof EncoderDecoderConfig>;

/**
 * Checks the sizes, rates, flags and activation every encoder-decoder config has (token ids are
 * the family's: their vocabularies differ); returns `checks` for the family's own keys.
 */
export function checkEncoderDecoderConfig<C extends EncoderDecoderConfig>(checks: ConfigChecks<C>): ConfigChecks<C> {
  return checks
    .positiveInts('vocabSize', 'maxPositionEmbeddings', 'dModel', 'encoderLayers', 'encoderAttentionHeads', 'encoderFfnDim', 'decoderLayers', 'decoderAttentionHeads', 'decoderFfnDim')
    .divides('encoderAttentionHeads', 'dModel')
    .divides('decoderAttentionHeads', 'dModel')
    .probabilities('dropout', 'attentionDropout', 'activationDropout')
    .nonNegativeNumber('initStd')
    .booleans('scaleEmbedding', 'tieWordEmbeddings')
    .activations('activationFunction');
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

/**
 * One side's layers (`encoder_layers` × `encoder_attention_heads`, `encoder_ffn_dim`, or the
 * decoder's), each built by `makeLayer` with the config's activation and dropouts and drawn from
 * N(0, `init.std`²) with `init.rng`.
 */
export function stackLayers<L extends Module>(
  config: EncoderDecoderConfig, side: 'encoder' | 'decoder', init: { std: number; rng: Random }, makeLayer: (options: TransformerLayerOptions) => L,
): ModuleList<L> {
  const [layers, heads, ffnDim] = side === 'encoder'
    ? [config.encoderLayers, config.encoderAttentionHeads, config.encoderFfnDim]
    : [config.decoderLayers, config.decoderAttentionHeads, config.decoderFfnDim];
  return new ModuleList(Array.from({ length: layers }, () => makeLayer({
    dModel: config.dModel, numHeads: heads, ffnDim, activation: config.activationFunction, dropout: config.dropout,
    attentionDropout: config.attentionDropout, activationDropout: config.activationDropout, initStd: init.std, rng: init.rng,
  })));
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

/** What a decoder stack takes besides its token ids. */
export interface DecoderStackOptions extends StackOutputOptions {
  /** 0/1 `[B, pastLength + T]` padding mask of the decoder tokens (default: none; the causal mask always applies). */
  attentionMask?: IntInput | null;
  /** Encoder output `[B, S, dModel]`. */
  encoderHiddenStates: tf.Tensor;
  /** 0/1 `[B, S]` padding mask of the encoder tokens. */
  encoderAttentionMask?: IntInput | null;
  /** Incremental decoding: earlier positions' keys/values; the new ones are appended to it. */
  cache?: EncoderDecoderCache | undefined;
}

/**
 * A decoder stack's options checked against its checked ids `[B, T]` and made tensors (inside the
 * stack's tidy): a cache of the stack's `layers`, encoder states `[B, S, dModel]` of the same
 * batch, masks of the encoder's and of the decoder's (cached + new) positions.
 */
export function decoderLayersInputs(ids: tf.Tensor, options: DecoderStackOptions, dims: { dModel: number; layers: number }, where: string): DecoderLayersInputs {
  const cache: unknown = options.cache;
  if (cache != null && !(cache instanceof EncoderDecoderCache && cache.layers.length === dims.layers)) {
    throw new InputError(`${where}: cache must be an EncoderDecoderCache of ${dims.layers} layers (or left out), got ${typeof cache}`, { argument: 'cache' });
  }
  const [b, t] = ids.shape as [number, number];
  const pastLength = options.cache?.length ?? 0;
  const states = floatInput(options.encoderHiddenStates, { name: 'encoderHiddenStates', ranks: [3], shape: [undefined, undefined, dims.dModel] }, where);
  if (states.shape[0] !== b) {
    throw new InputError(`${where}: the encoder states are [${states.shape}] for a batch of ${b} decoder rows`, { argument: 'encoderHiddenStates' });
  }
  const encoderMask = options.encoderAttentionMask == null ? null : attentionMaskInput(options.encoderAttentionMask, [b, states.shape[1] as number], where, { name: 'encoderAttentionMask' });
  // The decoder's own mask covers the cached tokens too.
  const mask = options.attentionMask == null ? null : attentionMaskInput(options.attentionMask, [b, pastLength + t], where, { name: 'decoderAttentionMask' });
  return { ...options, attentionMask: mask, encoderHiddenStates: states, encoderAttentionMask: encoderMask };
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

/** What an encoder-decoder model takes besides its decoder ids (which a family may derive). */
export interface EncoderDecoderInputs extends StackOutputOptions {
  /** `[B, S]` encoder token ids (not needed with `encoderOutputs`). */
  inputIds?: IntInput | undefined;
  /** `[B, S]` 1 for tokens, 0 for padding. */
  attentionMask?: IntInput | null | undefined;
  /** `[B, pastLength + T]` 1 for decoder tokens, 0 for padding. */
  decoderAttentionMask?: IntInput | null | undefined;
  /** A precomputed encoder output, to skip the encoder (the caller keeps ownership). */
  encoderOutputs?: { lastHiddenState: tf.Tensor } | undefined;
  /** Incremental decoding: the decoder's keys/values so far, extended in place. */
  cache?: EncoderDecoderCache | undefined;
}

/** A model's two stacks, as `runEncoderDecoder` calls them. */
export interface EncoderDecoderStacks {
  encoder: { forward(inputIds: IntInput, attentionMask: IntInput | null, options: StackOutputOptions): EncoderStackOutput };
  decoder: { forward(inputIds: IntInput, options: DecoderStackOptions): DecoderStackOutput };
}

/**
 * The model's pass: the encoder over `inputIds` (or `encoderOutputs` as given, `[B, S, dModel]`),
 * then the decoder over `decoderInputIds()` (asked for once the encoder ran) attending to it. Call
 * it inside the model's `tf.tidy`.
 */
export function runEncoderDecoder(
  stacks: EncoderDecoderStacks, inputs: EncoderDecoderInputs, decoderInputIds: () => IntInput, dModel: number, where: string,
): EncoderDecoderOutput {
  const { outputHiddenStates = false, outputAttentions = false } = inputs;
  if (!inputs.encoderOutputs && inputs.inputIds === undefined) throw new InputError(`${where}: pass inputIds (or encoderOutputs)`, { argument: 'inputIds' });
  const encoder = inputs.encoderOutputs
    ? { lastHiddenState: tf.clone(floatInput(inputs.encoderOutputs.lastHiddenState, { name: 'encoderOutputs.lastHiddenState', ranks: [3], shape: [undefined, undefined, dModel] }, where)) }
    : stacks.encoder.forward(inputs.inputIds as IntInput, inputs.attentionMask ?? null, { outputHiddenStates, outputAttentions });
  const decoder = stacks.decoder.forward(decoderInputIds(), {
    attentionMask: inputs.decoderAttentionMask ?? null,
    encoderHiddenStates: encoder.lastHiddenState,
    encoderAttentionMask: inputs.attentionMask ?? null,
    cache: inputs.cache,
    outputHiddenStates,
    outputAttentions,
  });
  return encoderDecoderOutput(encoder, decoder);
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
