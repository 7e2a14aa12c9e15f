// BART: Denoising Sequence-to-Sequence Pre-training for Natural Language Generation, Translation, and Comprehension (Lewis et al., 2019).
// Follows Hugging Face transformers `models/bart/modeling_bart.py` (v4.40, eager attention), bottom-up.
import * as tf from '@tensorflow/tfjs-core';
import { Random, type HfConfig, type PretrainedModel, type SavePretrainedOptions } from '@tfkit/core-tensor';
import {
  attentionMaskInput, checkInputsObject, checkPositions, decoderLayersInputs, Dropout, Embedding, EncoderDecoderCache as BartDecoderCache, InputError, intInput, LayerNorm, LearnedPositionalEmbedding, Module,
  normal, Parameter, runDecoderLayers, runEncoderDecoder, runEncoderLayers, ScaledEmbedding as BartScaledWordEmbedding, stackLayers, tokenIds, TransformerDecoderLayer, TransformerEncoderLayer,
  type DecoderStackOptions, type DecoderStackOutput, type EncoderDecoderOutput, type EncoderStackOutput, type IntInput, type ModuleList, type StackOutputOptions, type TransformerLayerOptions,
} from '@tfkit/layers';
import { bartConfig, type BartConfig, type BartConfigInput } from './bart-config.js';
import { bartFromPretrained, saveBartCheckpoint, type BartFromPretrainedOptions, type BartModelClass, type LoadReport } from './bart-weights.js';

/** Ids and masks as tensors or nested arrays. */
export type { IntInput } from '@tfkit/layers';
export { toIntTensor } from '@tfkit/layers';

/** Hugging Face's offset of BART's learned positions: position p reads row p + 2. */
export const BART_POSITION_OFFSET = 2;

/**
 * Decoder inputs from targets, as Hugging Face's `shift_tokens_right`: each row moves one step
 * right behind `decoderStartTokenId`, and −100 (ignored labels) becomes `padTokenId`. `[B, T]` int32.
 */
export function shiftTokensRight(inputIds: IntInput, padTokenId: number, decoderStartTokenId: number): tf.Tensor2D {
  return tf.tidy(() => {
    const ids = intInput(inputIds, { name: 'ids' }, 'shiftTokensRight');
    const [b, t] = ids.shape as [number, number];
    const shifted = tf.concat([tf.fill([b, 1], decoderStartTokenId, 'int32'), tf.slice(ids, [0, 0], [b, t - 1])], 1);
    return tf.where(tf.equal(shifted, -100), tf.fill([b, t], padTokenId, 'int32'), shifted) as tf.Tensor2D;
  });
}

/** A `[size, dim]` parameter holding `old`'s first rows, new rows N(0, std²) (its trainable flag kept). */
export function resizeRows(old: Parameter, size: number, std: number, rng: Random): Parameter {
  const [rows, dim] = old.shape as [number, number];
  const value = tf.tidy(() => {
    const kept = tf.slice(old.value, [0, 0], [Math.min(rows, size), dim]);
    return size <= rows ? kept : tf.concat([kept, normal([size - rows, dim], std, rng)], 0);
  });
  return Parameter.adopt(value, { trainable: old.trainable });
}

/** Where new weights come from: N(0, init_std²) from `rng`. */
export interface BartInit {
  std: number;
  rng: Random;
}

/**
 * BART's token embeddings (a table shared with `model.shared`, times √dModel with `scale_embedding`)
 * and its decoder's self- and cross-attention cache: the encoder-decoder pieces of `@tfkit/layers`.
 */
export { BartScaledWordEmbedding, BartDecoderCache };

/** The encoder's last hidden state `[B, S, dModel]` (with every layer's states and attentions when asked). */
export type BartEncoderOutput = EncoderStackOutput;

export type OutputOptions = StackOutputOptions;

/**
 * What the encoder and decoder share: the scaled token table, learned positions (offset 2), the
 * layer stack, the embedding LayerNorm, dropout, and the LayerDrop draw.
 */
abstract class BartStack<L extends Module> extends Module {
  embed_tokens: BartScaledWordEmbedding;
  embed_positions: LearnedPositionalEmbedding;
  layers: ModuleList<L>;
  layernorm_embedding: LayerNorm;
  dropout: Dropout;
  protected readonly config: BartConfig;
  private readonly layerdropRng: Random;

  constructor(config: BartConfig, side: 'encoder' | 'decoder', embedTokens: BartScaledWordEmbedding, init: BartInit, makeLayer: (o: TransformerLayerOptions) => L) {
    super();
    this.config = config;
    this.embed_tokens = embedTokens;
    this.embed_positions = new LearnedPositionalEmbedding(config.maxPositionEmbeddings, config.dModel, { offset: BART_POSITION_OFFSET, initStd: init.std, rng: init.rng });
    this.layers = stackLayers(config, side, init, makeLayer);
    this.layernorm_embedding = new LayerNorm(config.dModel);
    this.dropout = new Dropout(config.dropout);
    this.layerdropRng = init.rng.fork();
  }

  /** `length` token embeddings plus the positions from `pastLength` on, LayerNormed, with dropout: `[B, T, dModel]`. */
  protected embed(ids: tf.Tensor, length: number, pastLength: number): tf.Tensor {
    const embedded = tf.add(this.embed_tokens.forward(ids), this.embed_positions.range(length, pastLength));
    return this.dropout.forward(this.layernorm_embedding.forward(embedded));
  }

  /** Whether LayerDrop skips the next layer (training only). */
  protected layerDropped(layerdrop: number): boolean {
    return this.training && layerdrop > 0 && this.layerdropRng.random() < layerdrop;
  }
}

/** Bidirectional encoder: embeddings + positions, LayerNorm, post-LN layers. */
export class BartEncoder extends BartStack<TransformerEncoderLayer> {
  constructor(config: BartConfig, embedTokens: BartScaledWordEmbedding, init: BartInit) {
    super(config, 'encoder', embedTokens, init, (o) => new TransformerEncoderLayer(o));
  }

  /** ids `[B, S]`, 0/1 mask `[B, S]` → `[B, S, dModel]` (with every layer's states and attentions when asked). */
  forward(inputIds: IntInput, attentionMask: IntInput | null = null, options: OutputOptions = {}): BartEncoderOutput {
    return tf.tidy(() => {
      const ids = tokenIds(inputIds, this.embed_tokens.weight.shape[0] as number, 'BartEncoder');
      const [b, s] = ids.shape as [number, number];
      checkPositions(s, 0, this.config.maxPositionEmbeddings, 'BartEncoder');
      const mask = attentionMask === null ? null : attentionMaskInput(attentionMask, [b, s], 'BartEncoder');
      const h = this.embed(ids, s, 0); // (B, S, C)
      return runEncoderLayers(this.layers, h, mask, options, () => this.layerDropped(this.config.encoderLayerdrop)) as unknown as tf.TensorContainer;
    }) as unknown as BartEncoderOutput;
  }
}

/** The encoder output the decoder attends to, the masks, and the cache for incremental decoding. */
export type BartDecoderOptions = DecoderStackOptions;

/** The decoder's last hidden state `[B, T, dModel]` (with every layer's states, self- and cross-attentions when asked). */
export type BartDecoderOutput = DecoderStackOutput;

/** Autoregressive decoder: causal self-attention, cross-attention to the encoder, feed-forward. */
export class BartDecoder extends BartStack<TransformerDecoderLayer> {
  constructor(config: BartConfig, embedTokens: BartScaledWordEmbedding, init: BartInit) {
    super(config, 'decoder', embedTokens, init, (o) => new TransformerDecoderLayer(o));
  }

  /** ids `[B, T]` (the new tokens when a cache holds the earlier ones) → `[B, T, dModel]`. */
  forward(inputIds: IntInput, options: BartDecoderOptions): BartDecoderOutput {
    return tf.tidy(() => {
      const ids = tokenIds(inputIds, this.embed_tokens.weight.shape[0] as number, 'BartDecoder', { name: 'decoderInputIds' });
      const inputs = decoderLayersInputs(ids, options, { dModel: this.config.dModel, layers: this.layers.length }, 'BartDecoder');
      const t = ids.shape[1] as number;
      const pastLength = inputs.cache?.length ?? 0;
      checkPositions(t, pastLength, this.config.maxPositionEmbeddings, 'BartDecoder', 'decoderInputIds');
      const h = this.embed(ids, t, pastLength); // (B, T, C)
      return runDecoderLayers([...this.layers], h, inputs, () => this.layerDropped(this.config.decoderLayerdrop)) as unknown as tf.TensorContainer;
    }) as unknown as BartDecoderOutput;
  }
}

export interface BartModelInputs extends OutputOptions {
  /** `[B, S]` encoder token ids (not needed with `encoderOutputs`). */
  inputIds?: IntInput;
  /** `[B, S]` 1 for tokens, 0 for padding. */
  attentionMask?: IntInput;
  /** `[B, T]` decoder ids; default: `inputIds` shifted right behind `decoderStartTokenId` (denoising). */
  decoderInputIds?: IntInput;
  /** `[B, pastLength + T]` 1 for decoder tokens, 0 for padding. */
  decoderAttentionMask?: IntInput;
  /** A precomputed encoder output, to skip the encoder (the caller keeps ownership). */
  encoderOutputs?: { lastHiddenState: tf.Tensor };
  /** Incremental decoding: the decoder's keys/values so far, extended in place. */
  cache?: BartDecoderCache;
}

/** Hugging Face's Seq2SeqModelOutput in camelCase. */
export type BartModelOutput = EncoderDecoderOutput;

export interface BartModelOptions {
  /** Seed of the weight initialisation and dropout masks (default 0). */
  seed?: number;
  /** The generator to initialise from (instead of `seed`). */
  rng?: Random;
  /** The `config.json` this model was loaded from: keys tfkit does not read are written back on save. */
  hfConfig?: HfConfig;
  /** The `generation_config.json` it was loaded with, written back on save. */
  hfGenerationConfig?: HfConfig;
}

/** What every BART model shares: the config, Hugging Face naming, save and load. */
export abstract class BartPreTrainedModel extends Module implements PretrainedModel {
  readonly modelType = 'bart';
  readonly config: BartConfig;
  readonly hfConfig: HfConfig;
  hfGenerationConfig: HfConfig | undefined;
  /** Weights the checkpoint lacked or had at another shape (initialised anew), or held in excess (ignored). */
  loadReport: LoadReport = { missing: [], unexpected: [], mismatched: [] };
  /** The Hugging Face class name. */
  abstract readonly architecture: string;
  /** The submodule holding BartModel in task models (`model`); '' for BartModel itself. */
  abstract readonly basePrefix: string;

  constructor(config: BartConfigInput, options: BartModelOptions = {}) {
    super();
    this.config = bartConfig(config);
    this.hfConfig = options.hfConfig ?? {};
    this.hfGenerationConfig = options.hfGenerationConfig;
  }

  /** The most tokens the encoder input or the decoder sequence may hold (max_position_embeddings); `generate` refuses more. */
  get maxPositions(): number {
    return this.config.maxPositionEmbeddings;
  }

  /** Loads a checkpoint (directory, URL or hub id) into this class, whatever `config.architectures` says. */
  static async fromPretrained<T extends BartPreTrainedModel>(this: BartModelClass<T>, source: string, options: BartFromPretrainedOptions = {}): Promise<T> {
    return bartFromPretrained(this, source, options);
  }

  /** Writes `config.json`, `model.safetensors` (tied weights dropped) and, for generative models, `generation_config.json`. */
  async savePretrained(dir: string, options: SavePretrainedOptions = {}): Promise<void> {
    await saveBartCheckpoint(this, dir, options);
  }
}

/** The BART encoder-decoder without a head; `shared` is the token table both sides (and the LM head) use. */
export class BartModel extends BartPreTrainedModel {
  static readonly architecture = 'BartModel';
  readonly architecture = BartModel.architecture;
  readonly basePrefix = '';
  shared: BartScaledWordEmbedding;
  encoder: BartEncoder;
  decoder: BartDecoder;

  constructor(config: BartConfigInput = {}, options: BartModelOptions = {}) {
    super(config, options);
    const c = this.config;
    const init: BartInit = { std: c.initStd, rng: options.rng ?? new Random(options.seed ?? 0) };
    const scale = c.scaleEmbedding ? Math.sqrt(c.dModel) : 1;
    // N(0, init_std²) with a zero padding row, as Hugging Face's _init_weights leaves it.
    this.shared = new BartScaledWordEmbedding(new Embedding(c.vocabSize, c.dModel, { paddingIdx: c.padTokenId, initStd: init.std, rng: init.rng }).weight, scale, c.padTokenId);
    this.encoder = new BartEncoder(c, new BartScaledWordEmbedding(this.shared.weight, scale, c.padTokenId), init);
    this.decoder = new BartDecoder(c, new BartScaledWordEmbedding(this.shared.weight, scale, c.padTokenId), init);
    // The layers' dropouts start from one default seed; give each its own stream.
    for (const [, m] of this.namedModules()) if (m instanceof Dropout) m.rng = init.rng.fork();
  }

  /**
   * Grows (or shrinks) the token table to `size` rows, e.g. after adding tokens to the tokenizer:
   * existing rows are kept, new ones drawn from N(0, init_std²) as Hugging Face initialises them.
   * Both `embed_tokens` follow the new table.
   */
  resizeTokenEmbeddings(size: number, options: { seed?: number } = {}): void {
    bartConfig({ ...this.config, vocabSize: size }, 'resizeTokenEmbeddings');
    const old = this.shared.weight;
    this.shared.weight = resizeRows(old, size, this.config.initStd, new Random(options.seed ?? size));
    this.encoder.embed_tokens.weight = this.shared.weight;
    this.decoder.embed_tokens.weight = this.shared.weight;
    old.dispose();
    this.config.vocabSize = size;
  }

  forward(inputs: BartModelInputs): BartModelOutput {
    return tf.tidy(() => {
      const c = this.config;
      checkInputsObject(inputs, 'inputIds, attentionMask', 'BartModel');
      // Denoising: without decoder inputs, the decoder reads the input shifted right.
      const decoderIds = () => {
        if (inputs.decoderInputIds !== undefined) return inputs.decoderInputIds;
        if (inputs.inputIds === undefined) throw new InputError('BartModel: without inputIds, decoderInputIds are needed', { argument: 'decoderInputIds' });
        return shiftTokensRight(inputs.inputIds, c.padTokenId, c.decoderStartTokenId);
      };
      const out: BartModelOutput = runEncoderDecoder(this, inputs, decoderIds, c.dModel, 'BartModel');
      return out as unknown as tf.TensorContainer;
    }) as unknown as BartModelOutput;
  }
}
