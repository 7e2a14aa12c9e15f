/**
 * Seq2SeqModel: encoder, bridge and attention decoder put together — the loss with teacher forcing
 * or scheduled sampling, generation through @tfkit/generation, and save / load of `config.json` +
 * `model.safetensors` (+ `generation_config.json`) with PyTorch's parameter names.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  CheckpointError, ConfigError, loadCheckpoint, Random, saveCheckpoint, ShapeError, softmaxCrossEntropy,
  type Checkpoint, type FromPretrainedOptions, type HfConfig, type PretrainedModel, type SavePretrainedOptions,
} from '@tfkit/core-tensor';
import {
  fromHfGenerationConfig, generate, generateStream, toHfGenerationConfig,
  type DecodingSession, type GenerateOptions, type GenerateOutput, type GenerationConfig, type GenerationModel,
  type PromptIds, type StartDecodingInputs, type StartDecodingOptions, type TokenEvent,
} from '@tfkit/generation';
import { attentionMaskInput, checkConfigAgainstCheckpoint, checkInputsObject, Dropout, Module, type RecurrentState } from '@tfkit/layers';
import {
  MODEL_TYPE, seq2seqConfig, seq2seqConfigFromHf, Seq2SeqConfigError, seq2seqConfigSizes, seq2seqConfigToHf, type Seq2SeqConfig, type Seq2SeqConfigInput,
} from './seq2seq-config.js';
import { Seq2SeqDecodingSession } from './seq2seq-decoding.js';
import { idsTensor, shiftTokensRight, unstack, Seq2SeqBridge, Seq2SeqDecoder, Seq2SeqEncoder, type IntInput, type Seq2SeqMemory } from './seq2seq-modeling.js';

export interface Seq2SeqInputs {
  /** `[B, S]` source ids. */
  inputIds: IntInput;
  /** `[B, S]` 1 for tokens, 0 for padding (default: no padding). */
  attentionMask?: IntInput | null;
  /** `[B, T]` decoder inputs, right-padded; default: `labels` shifted right behind `decoderStartTokenId`. */
  decoderInputIds?: IntInput;
  /** `[B, T]` targets; −100 positions are ignored by the loss. */
  labels?: IntInput;
  /**
   * Teacher forcing (default 1): every decoder step reads the gold previous token. Below 1,
   * each step after the first reads it with this probability and otherwise the model's own argmax
   * prediction from the step before (scheduled sampling); 0 decodes freely from the start token.
   */
  teacherForcingRatio?: number;
  /** The coin flips' generator for a ratio below 1 (default: the model's `rng`). */
  rng?: Random;
  /** Return the attention weights `[B, T, S]`. */
  outputAttentions?: boolean;
}

export interface Seq2SeqOutput {
  /** Mean token cross-entropy over the labelled positions, when `labels` are given. */
  loss?: tf.Scalar;
  /** `[B, T, targetVocab]` */
  logits: tf.Tensor3D;
  /** `[B, T, S]` attention over the source at each decoder step; rows sum to 1 and are 0 on padding. */
  attentions?: tf.Tensor3D;
}

/** The encoder's output the decoder starts from. */
export interface Seq2SeqEncoding {
  memory: Seq2SeqMemory;
  /** The decoder's initial state (the encoder's final state, through the bridge when bidirectional). */
  state: RecurrentState;
}

export interface Seq2SeqModelOptions {
  /** Seed of the weight initialisation, dropout masks and scheduled sampling (default 0). */
  seed?: number;
  /** The `config.json` this model was loaded from: keys tfkit does not read are written back on save. */
  hfConfig?: HfConfig;
  /** The `generation_config.json` it was loaded with, written back on save. */
  hfGenerationConfig?: HfConfig;
}

export type Seq2SeqFromPretrainedOptions = Omit<FromPretrainedOptions, 'registry' | 'architecture'>;

export class Seq2SeqModel extends Module implements PretrainedModel, GenerationModel {
  static readonly architecture = 'Seq2SeqModel';
  readonly architecture = Seq2SeqModel.architecture;
  readonly modelType = MODEL_TYPE;
  /** The encoder reads right-padded batches. */
  readonly paddingSide = 'right';
  readonly config: Seq2SeqConfig;
  readonly hfConfig: HfConfig;
  hfGenerationConfig: HfConfig | undefined;
  encoder: Seq2SeqEncoder;
  /** Bidirectional encoders only: their final states → the decoder's initial state. */
  bridge: Seq2SeqBridge | null;
  decoder: Seq2SeqDecoder;
  /** Scheduled sampling's coin flips (the Trainer reseeds it with the dropout generators). */
  rng: Random;

  constructor(config: Seq2SeqConfigInput, options: Seq2SeqModelOptions = {}) {
    super();
    this.config = seq2seqConfig(config);
    this.hfConfig = options.hfConfig ?? {};
    this.hfGenerationConfig = options.hfGenerationConfig;
    const rng = new Random(options.seed ?? 0);
    this.encoder = new Seq2SeqEncoder(this.config, rng);
    this.bridge = this.config.bidirectional ? new Seq2SeqBridge(this.config, rng) : null;
    this.decoder = new Seq2SeqDecoder(this.config, rng);
    this.rng = rng.fork();
    // Every dropout gets its own stream.
    for (const [, m] of this.namedModules()) if (m instanceof Dropout) m.rng = rng.fork();
  }

  /** Runs the encoder once: the memory the decoder attends to and its initial state. */
  encode(inputIds: IntInput, attentionMask?: IntInput | null): Seq2SeqEncoding {
    return tf.tidy(() => {
      const ids = idsTensor(inputIds, this.config.sourceVocabSize, 'Seq2SeqModel', { name: 'inputIds', key: 'src_vocab_size' });
      const mask = attentionMask ? tf.cast(attentionMaskInput(attentionMask, ids.shape, 'Seq2SeqModel'), 'float32') : null;
      const enc = this.encoder.forward(ids, mask);
      const state: RecurrentState = this.bridge
        ? this.bridge.forward(enc.hN, enc.cN)
        : { h: unstack(enc.hN), ...(enc.cN ? { c: unstack(enc.cN) } : {}) };
      const keys = this.decoder.projectKeys(enc.lastHiddenState);
      const memory: Seq2SeqMemory = { encoderOutputs: enc.lastHiddenState, ...(mask ? { mask } : {}), ...(keys ? { projectedKeys: keys } : {}) };
      return { memory, state } as unknown as tf.TensorContainer;
    }) as unknown as Seq2SeqEncoding;
  }

  forward(inputs: Seq2SeqInputs): Seq2SeqOutput {
    const c = this.config;
    checkInputsObject(inputs, 'inputIds, labels', 'Seq2SeqModel');
    const ratio = inputs.teacherForcingRatio ?? 1;
    if (!(typeof ratio === 'number' && ratio >= 0 && ratio <= 1)) throw new ConfigError(`Seq2SeqModel: teacherForcingRatio must be in [0, 1], got ${typeof ratio === 'string' ? JSON.stringify(ratio) : String(ratio)}`);
    return tf.tidy(() => {
      const labels = inputs.labels === undefined ? undefined : idsTensor(inputs.labels, c.targetVocabSize, 'Seq2SeqModel', { name: 'labels', key: 'tgt_vocab_size', allowIgnored: true });
      let decoderIds: tf.Tensor;
      if (inputs.decoderInputIds !== undefined) decoderIds = idsTensor(inputs.decoderInputIds, c.targetVocabSize, 'Seq2SeqModel', { name: 'decoderInputIds', key: 'tgt_vocab_size' });
      else if (labels) decoderIds = shiftTokensRight(labels, c.padTokenId, c.decoderStartTokenId);
      else throw new ShapeError('Seq2SeqModel: pass decoderInputIds or labels (the decoder reads labels shifted right behind decoder_start_token_id)');
      const { memory, state } = this.encode(inputs.inputIds, inputs.attentionMask);
      if (decoderIds.shape[0] !== memory.encoderOutputs.shape[0]) {
        throw new ShapeError(`Seq2SeqModel: ${decoderIds.shape[0]} decoder rows for ${memory.encoderOutputs.shape[0]} source rows`);
      }
      const out = this.decoder.forward(decoderIds, state, memory, { teacherForcingRatio: ratio, rng: inputs.rng ?? this.rng });
      const result: Seq2SeqOutput = { logits: out.logits as tf.Tensor3D };
      if (inputs.outputAttentions && out.attentions) result.attentions = out.attentions as tf.Tensor3D;
      if (labels) {
        if (labels.shape.join() !== decoderIds.shape.join()) throw new ShapeError(`Seq2SeqModel: labels are [${labels.shape}], the decoder reads [${decoderIds.shape}] positions`);
        result.loss = softmaxCrossEntropy(out.logits, labels, { ignoreIndex: -100 });
      }
      return result as unknown as tf.TensorContainer;
    }) as unknown as Seq2SeqOutput;
  }

  /** Defaults for `generate`: generation_config.json when the checkpoint had one, else the config's special tokens. */
  get generationConfig(): Partial<GenerationConfig> {
    if (this.hfGenerationConfig) return fromHfGenerationConfig(this.hfGenerationConfig);
    const c = this.config;
    return { bosTokenId: c.bosTokenId, eosTokenId: c.eosTokenId, padTokenId: c.padTokenId, decoderStartTokenId: c.decoderStartTokenId };
  }

  startDecoding(inputs: StartDecodingInputs, options: StartDecodingOptions): DecodingSession {
    return new Seq2SeqDecodingSession(this, inputs, options);
  }

  /** Encodes `inputIds` and decodes from `decoderStartTokenId` (greedy, sampling or beam search): `generate(this, …)` of @tfkit/generation. */
  generate(inputIds: PromptIds, options: GenerateOptions = {}): Promise<GenerateOutput> {
    return generate(this, inputIds, options);
  }

  /** Token events as an async iterator (see @tfkit/generation's `generateStream`). */
  generateStream(inputIds: PromptIds, options: GenerateOptions = {}): AsyncGenerator<TokenEvent, GenerateOutput, void> {
    return generateStream(this, inputIds, options);
  }

  /** Loads `config.json` + `model.safetensors` from a directory, URL or hub id. */
  static async fromPretrained(source: string, options: Seq2SeqFromPretrainedOptions = {}): Promise<Seq2SeqModel> {
    const checkpoint = await loadCheckpoint(source, options);
    try {
      return Seq2SeqModel.fromCheckpoint(checkpoint, options);
    } finally {
      for (const t of checkpoint.weights.values()) t.dispose();
    }
  }

  /** Builds the model a loaded checkpoint describes (config overrides applied) and loads its weights strictly (unless `strict: false`). */
  static fromCheckpoint(checkpoint: Checkpoint, options: Seq2SeqFromPretrainedOptions = {}): Seq2SeqModel {
    const hfConfig = options.configOverrides ? { ...checkpoint.config, ...options.configOverrides } : checkpoint.config;
    const where = `${checkpoint.source}/config.json`;
    const config = seq2seqConfigFromHf(hfConfig, where);
    const strict = options.strict ?? true;
    // The config against the weights' shapes before anything is allocated.
    checkConfigAgainstCheckpoint(seq2seqConfigSizes(config), checkpoint.weights, {
      where, file: `${checkpoint.source} (model.safetensors)`, basePrefix: '', strict, fail: (key, problem) => new Seq2SeqConfigError(where, key, problem),
    });
    const model = new Seq2SeqModel(config, { hfConfig, ...(checkpoint.generationConfig ? { hfGenerationConfig: checkpoint.generationConfig } : {}) });
    try {
      model.loadStateDict(checkpoint.weights, { strict, where: `${checkpoint.source} (model.safetensors)` });
    } catch (error) {
      model.dispose();
      throw error;
    }
    return model.eval();
  }

  /**
   * Writes `config.json`, `model.safetensors` (PyTorch names and layouts; a tied output projection
   * is stored once, as `decoder.embedding.weight`) and `generation_config.json`.
   */
  async savePretrained(dir: string, options: SavePretrainedOptions = {}): Promise<void> {
    const weights = this.stateDict({ includeAliases: false });
    try {
      await saveCheckpoint(dir, {
        config: seq2seqConfigToHf(this.config, this.architecture, this.hfConfig),
        weights,
        generationConfig: this.hfGenerationConfig ?? toHfGenerationConfig(this.generationConfig),
        metadata: { format: 'pt', ...options.metadata },
      });
    } catch (error) {
      if (error instanceof CheckpointError) throw error;
      throw new CheckpointError(`saving ${this.architecture} to ${dir} failed: ${(error as Error).message}`, { cause: error });
    } finally {
      for (const t of weights.values()) t.dispose();
    }
  }
}
