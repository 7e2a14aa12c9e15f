// GPT-2 task models: causal language modelling and sequence classification.
// Follows Hugging Face transformers' GPT2LMHeadModel and GPT2ForSequenceClassification.
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, embeddingLookup, Random } from '@tfkit/core-tensor';
import {
  fromHfGenerationConfig, generate, generateStream,
  type DecodingSession, type GenerateOptions, type GenerateOutput, type GenerationConfig, type GenerationModel,
  type PromptIds, type StartDecodingInputs, type StartDecodingOptions, type TokenEvent,
} from '@tfkit/generation';
import type { LabelInput, Parameter } from '@tfkit/layers';
import { causalLmLoss as nextTokenLoss, Embedding, Linear, LMHead, sequenceClassificationLoss } from '@tfkit/layers';
import { numLabels, type Gpt2ConfigInput } from './gpt2-config.js';
import { Gpt2DecodingSession } from './gpt2-decoding.js';
import {
  GPT2Model, GPT2PreTrainedModel,
  type Gpt2ModelInputs, type Gpt2ModelOptions, type Gpt2ModelOutput, type IntInput,
} from './gpt2-modeling.js';

export interface CausalLMInputs extends Gpt2ModelInputs {
  /** `[batch, length]` targets, usually the input ids; shifted inside (position t predicts t + 1). −100 is ignored. */
  labels?: IntInput;
}

export interface CausalLMOutput extends Omit<Gpt2ModelOutput, 'lastHiddenState'> {
  /** `[batch, length, vocab]` */
  logits: tf.Tensor3D;
  /** Mean next-token cross-entropy over labelled positions, when `labels` are given. */
  loss?: tf.Scalar;
}

/** The output projection to the vocabulary. Holds `[vocab, nEmbd]`, the token embedding's layout, so it can be tied to it (see `LMHead` in @tfkit/layers). */
export class GPT2LMHead extends LMHead {}

/** GPT-2 with the language-modelling head; generates text. */
export class GPT2LMHeadModel extends GPT2PreTrainedModel implements GenerationModel {
  static readonly architecture = 'GPT2LMHeadModel';
  readonly architecture = GPT2LMHeadModel.architecture;
  readonly basePrefix = 'transformer';
  transformer: GPT2Model;
  lm_head: GPT2LMHead;

  constructor(config: Gpt2ConfigInput, options: Gpt2ModelOptions = {}) {
    super(config, options);
    const rng = options.rng ?? new Random(options.seed ?? 0);
    this.transformer = new GPT2Model(this.config, { rng });
    this.lm_head = new GPT2LMHead(this.config.tieWordEmbeddings ? this.transformer.wte.weight : this.untiedHead(rng));
  }

  private untiedHead(rng: Random): Parameter {
    const init = new Embedding(this.config.vocabSize, this.config.nEmbd, { initStd: this.config.initializerRange, rng });
    return init.weight;
  }

  forward(inputs: CausalLMInputs): CausalLMOutput {
    return tf.tidy(() => {
      const { lastHiddenState, ...rest } = this.transformer.forward(inputs);
      const logits = this.lm_head.forward(lastHiddenState) as tf.Tensor3D; // (B, T, vocab)
      const out: CausalLMOutput = { logits, ...rest };
      if (inputs.labels !== undefined) out.loss = causalLmLoss(logits, inputs.labels);
      return out as unknown as tf.TensorContainer;
    }) as unknown as CausalLMOutput;
  }

  /** Defaults for `generate`: generation_config.json, else the config's bos/eos/pad ids. */
  get generationConfig(): Partial<GenerationConfig> {
    if (this.hfGenerationConfig) return fromHfGenerationConfig(this.hfGenerationConfig);
    const { bosTokenId, eosTokenId, padTokenId } = this.config;
    return fromHfGenerationConfig({ bos_token_id: bosTokenId, eos_token_id: eosTokenId, pad_token_id: padTokenId });
  }

  startDecoding(inputs: StartDecodingInputs, options: StartDecodingOptions): DecodingSession {
    return new Gpt2DecodingSession(this, inputs, options);
  }

  /** `generate(this, inputIds, options)` from @tfkit/generation. */
  generate(inputIds: PromptIds, options: GenerateOptions = {}): Promise<GenerateOutput> {
    return generate(this, inputIds, options);
  }

  /** Token events as an async iterator (see `generateStream`). */
  generateStream(inputIds: PromptIds, options: GenerateOptions = {}): AsyncGenerator<TokenEvent, GenerateOutput, void> {
    return generateStream(this, inputIds, options);
  }

  /**
   * Grows (or shrinks) the vocabulary to `size`, e.g. after adding special tokens to the tokenizer.
   * Existing rows are kept; new rows are drawn from N(0, initializer_range²) as Hugging Face does.
   * The head stays tied to the embedding.
   */
  resizeTokenEmbeddings(size: number, options: { seed?: number } = {}): void {
    if (!Number.isInteger(size) || size <= 0) throw new ConfigError(`resizeTokenEmbeddings: size must be a positive integer, got ${size}`);
    const rng = new Random(options.seed ?? size);
    const resized = (old: Parameter): Embedding => {
      const fresh = new Embedding(size, this.config.nEmbd, { initStd: this.config.initializerRange, rng });
      const keep = Math.min(size, old.shape[0] as number);
      tf.tidy(() => {
        const kept = tf.slice(old.value, [0, 0], [keep, -1]);
        fresh.weight.value.assign(keep === size ? kept : tf.concat([kept, tf.slice(fresh.weight.value, [keep, 0], [-1, -1])], 0));
      });
      fresh.weight.trainable = old.trainable;
      return fresh;
    };
    const oldEmbedding = this.transformer.wte;
    const oldHead = this.lm_head.weight;
    this.transformer.wte = resized(oldEmbedding.weight);
    this.lm_head.weight = this.config.tieWordEmbeddings ? this.transformer.wte.weight : resized(oldHead).weight;
    if (oldHead !== oldEmbedding.weight) oldHead.dispose();
    oldEmbedding.dispose();
    this.config.vocabSize = size;
  }
}

/**
 * Next-token cross-entropy: logits at t are scored against labels at t + 1; −100 labels are
 * ignored, every other label must be a token id (`vocab_size`).
 */
export function causalLmLoss(logits: tf.Tensor3D, labels: IntInput, where = 'GPT2LMHeadModel'): tf.Scalar {
  return nextTokenLoss(logits, labels, { where });
}

export interface SequenceClassifierOutput extends Omit<Gpt2ModelOutput, 'lastHiddenState'> {
  /** `[batch, numLabels]`, read at each row's last non-padding token. */
  logits: tf.Tensor2D;
  loss?: tf.Scalar;
}

/** GPT-2 with a linear classifier read at the last token that is not padding. */
export class GPT2ForSequenceClassification extends GPT2PreTrainedModel {
  static readonly architecture = 'GPT2ForSequenceClassification';
  readonly architecture = GPT2ForSequenceClassification.architecture;
  readonly basePrefix = 'transformer';
  transformer: GPT2Model;
  score: Linear;

  constructor(config: Gpt2ConfigInput, options: Gpt2ModelOptions = {}) {
    super(config, options);
    const rng = options.rng ?? new Random(options.seed ?? 0);
    this.transformer = new GPT2Model(this.config, { rng });
    this.score = new Linear(this.config.nEmbd, numLabels(this.config), { bias: false, initStd: this.config.initializerRange, rng });
  }

  /**
   * Each row's last real token, as Hugging Face finds it: one before the first `padTokenId`
   * (wrapping to the last position when there is none, or when padding is on the left).
   */
  lastTokenIndices(ids: number[][]): number[] {
    const pad = this.config.padTokenId;
    if (pad === null) {
      if (ids.length !== 1) throw new ConfigError('GPT2ForSequenceClassification: batches of more than one row need pad_token_id in the config to find each row\'s last token');
      return [(ids[0] as number[]).length - 1];
    }
    return ids.map((row) => {
      const first = row.indexOf(pad);
      return ((first === -1 ? 0 : first) - 1 + row.length) % row.length;
    });
  }

  forward(inputs: Gpt2ModelInputs & { labels?: LabelInput }): SequenceClassifierOutput {
    const ids = inputs.inputIds instanceof tf.Tensor ? (inputs.inputIds.arraySync() as number[][]) : inputs.inputIds;
    const last = this.lastTokenIndices(ids);
    return tf.tidy(() => {
      const { lastHiddenState, ...rest } = this.transformer.forward(inputs);
      const [b, t, c] = lastHiddenState.shape;
      const rows = tf.tensor1d(last.map((pos, i) => i * t + pos), 'int32');
      // embeddingLookup is a gather whose gradient runs on wasm too (no UnsortedSegmentSum).
      const pooled = embeddingLookup(tf.reshape(lastHiddenState, [b * t, c]), rows); // (B, C)
      const logits = this.score.forward(pooled) as tf.Tensor2D;
      const out: SequenceClassifierOutput = { logits, ...rest };
      if (inputs.labels !== undefined) out.loss = sequenceClassificationLoss(logits, inputs.labels, { where: this.architecture, problemType: this.config.problemType });
      return out as unknown as tf.TensorContainer;
    }) as unknown as SequenceClassifierOutput;
  }
}

/** Hugging Face class name → class, for the registry and `fromPretrained`. */
export const GPT2_ARCHITECTURES = {
  GPT2Model,
  GPT2LMHeadModel,
  GPT2ForSequenceClassification,
} as const;
