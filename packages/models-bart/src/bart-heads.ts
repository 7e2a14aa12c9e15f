// BART task models (Lewis et al., 2019, §3): conditional generation with a tied LM head, and
// sequence classification on the decoder's final </s>. Follows Hugging Face transformers' modeling_bart.py (v4.40).
import * as tf from '@tensorflow/tfjs-core';
import { embeddingLookup, Random, ShapeError } from '@tfkit/core-tensor';
import {
  fromHfGenerationConfig, generate, generateStream,
  type DecodingSession, type GenerateOptions, type GenerateOutput, type GenerationConfig, type GenerationModel,
  type PromptIds, type StartDecodingInputs, type StartDecodingOptions, type TokenEvent,
} from '@tfkit/generation';
import {
  crossEntropyLoss, Dropout, Embedding, IGNORE_INDEX, Linear, LMHead, Module, Parameter,
  sequenceClassificationLoss as classificationLoss, tokenIds, type LabelInput,
} from '@tfkit/layers';
import { numLabels, type BartConfig, type BartConfigInput } from './bart-config.js';
import { BartDecodingSession } from './bart-decoding.js';
import {
  BartModel, BartPreTrainedModel, resizeRows, shiftTokensRight,
  type BartModelInputs, type BartModelOptions, type BartModelOutput, type IntInput,
} from './bart-modeling.js';

export interface BartSeq2SeqLMInputs extends BartModelInputs {
  /**
   * `[B, T]` target ids; −100 positions are ignored by the loss. Without `decoderInputIds` the
   * decoder reads them shifted right behind `decoderStartTokenId` (teacher forcing).
   */
  labels?: IntInput;
}

/** Hugging Face's Seq2SeqLMOutput in camelCase (the decoder's last hidden state is `BartModel`'s output). */
export interface BartSeq2SeqLMOutput extends Omit<BartModelOutput, 'lastHiddenState'> {
  /** `[B, T, vocab]` = lm_head(decoder output) + final_logits_bias */
  logits: tf.Tensor3D;
  /** Mean token cross-entropy over the labelled positions, when `labels` are given. */
  loss?: tf.Scalar;
}

/** The projection to the vocabulary, `[vocab, dModel]` as the token table it is tied to (see `LMHead` in @tfkit/layers). */
export class BartLMHead extends LMHead {}

/** BART with the language-modelling head: summarisation, translation, denoising; generates with @tfkit/generation. */
export class BartForConditionalGeneration extends BartPreTrainedModel implements GenerationModel {
  static readonly architecture = 'BartForConditionalGeneration';
  readonly architecture = BartForConditionalGeneration.architecture;
  readonly basePrefix = 'model';
  /** The encoder reads right-padded batches, as BART's tokenizer pads them. */
  readonly paddingSide = 'right';
  model: BartModel;
  lm_head: BartLMHead;
  /** A buffer in Hugging Face (saved, never trained): added to every position's logits. */
  final_logits_bias: Parameter;

  constructor(config: BartConfigInput = {}, options: BartModelOptions = {}) {
    super(config, options);
    const rng = options.rng ?? new Random(options.seed ?? 0);
    this.model = new BartModel(this.config, { rng });
    const c = this.config;
    this.lm_head = new BartLMHead(c.tieWordEmbeddings ? this.model.shared.weight : new Embedding(c.vocabSize, c.dModel, { initStd: c.initStd, rng }).weight);
    this.final_logits_bias = Parameter.adopt(tf.zeros([1, c.vocabSize]), { trainable: false });
  }

  /**
   * Grows (or shrinks) the vocabulary to `size` (e.g. after adding special tokens to the tokenizer):
   * the token table, the LM head (tied, or resized alike) and `final_logits_bias` (new entries 0).
   */
  resizeTokenEmbeddings(size: number, options: { seed?: number } = {}): void {
    const oldHead = this.lm_head.weight;
    const tied = oldHead === this.model.shared.weight;
    this.model.resizeTokenEmbeddings(size, options);
    if (tied) {
      this.lm_head.weight = this.model.shared.weight;
    } else {
      this.lm_head.weight = resizeRows(oldHead, size, this.config.initStd, new Random((options.seed ?? size) + 1));
      oldHead.dispose();
    }
    const oldBias = this.final_logits_bias;
    const kept = Math.min(size, oldBias.shape[1] as number);
    this.final_logits_bias = Parameter.adopt(
      tf.tidy(() => tf.pad(tf.slice(oldBias.value, [0, 0], [1, kept]), [[0, 0], [0, size - kept]])),
      { trainable: false },
    );
    oldBias.dispose();
    this.config.vocabSize = size;
  }

  /** Decoder states `[B, T, C]` → logits `[B, T, vocab]`. */
  logitsFromHidden(hidden: tf.Tensor): tf.Tensor3D {
    return tf.tidy(() => {
      const [b, t, c] = hidden.shape as [number, number, number];
      const logits = tf.add(this.lm_head.forward(tf.reshape(hidden, [b * t, c]) as tf.Tensor2D), this.final_logits_bias.value);
      return tf.reshape(logits, [b, t, -1]) as tf.Tensor3D;
    });
  }

  forward(inputs: BartSeq2SeqLMInputs): BartSeq2SeqLMOutput {
    return tf.tidy(() => {
      const c = this.config;
      // Checked before the decoder reads them shifted right (−100 becomes padding there).
      const labels = inputs.labels === undefined ? undefined : tokenIds(inputs.labels, c.vocabSize, this.architecture, { name: 'labels', allow: [IGNORE_INDEX] });
      const decoderInputIds = inputs.decoderInputIds ?? (labels ? shiftTokensRight(labels, c.padTokenId, c.decoderStartTokenId) : undefined);
      const { lastHiddenState, ...rest } = this.model.forward({ ...inputs, ...(decoderInputIds !== undefined ? { decoderInputIds } : {}) });
      const logits = this.logitsFromHidden(lastHiddenState);
      const out: BartSeq2SeqLMOutput = { logits, ...rest };
      if (labels) {
        if (labels.shape.join() !== logits.shape.slice(0, 2).join()) {
          throw new ShapeError(`BartForConditionalGeneration: labels are [${labels.shape}], the decoder produced [${logits.shape.slice(0, 2)}] positions`);
        }
        out.loss = crossEntropyLoss(logits, labels, { where: this.architecture, classesKey: 'vocab_size' });
      }
      return out as unknown as tf.TensorContainer;
    }) as unknown as BartSeq2SeqLMOutput;
  }

  /**
   * Defaults for `generate`: generation_config.json when the checkpoint has one, else what Hugging
   * Face derives from config.json (its special tokens, forced bos/eos, and any generation keys).
   */
  get generationConfig(): Partial<GenerationConfig> {
    if (this.hfGenerationConfig) return fromHfGenerationConfig(this.hfGenerationConfig);
    const c = this.config;
    return fromHfGenerationConfig({
      ...this.hfConfig,
      bos_token_id: c.bosTokenId, eos_token_id: c.eosTokenId, pad_token_id: c.padTokenId,
      decoder_start_token_id: c.decoderStartTokenId, forced_bos_token_id: c.forcedBosTokenId, forced_eos_token_id: c.forcedEosTokenId,
    });
  }

  startDecoding(inputs: StartDecodingInputs, options: StartDecodingOptions): DecodingSession {
    return new BartDecodingSession(this, inputs, options);
  }

  /** Encodes `inputIds` and decodes from `decoderStartTokenId`: `generate(this, inputIds, options)` from @tfkit/generation. */
  generate(inputIds: PromptIds, options: GenerateOptions = {}): Promise<GenerateOutput> {
    return generate(this, inputIds, options);
  }

  /** Token events as an async iterator (see `generateStream`). */
  generateStream(inputIds: PromptIds, options: GenerateOptions = {}): AsyncGenerator<TokenEvent, GenerateOutput, void> {
    return generateStream(this, inputIds, options);
  }
}

/** dropout → dense → tanh → dropout → out_proj, on one vector per sequence (Hugging Face's BartClassificationHead). */
export class BartClassificationHead extends Module {
  dense: Linear;
  dropout: Dropout;
  out_proj: Linear;

  constructor(config: BartConfig, rng: Random) {
    super();
    const init = { initStd: config.initStd, rng };
    this.dense = new Linear(config.dModel, config.dModel, init);
    this.dropout = new Dropout(config.classifierDropout, { rng: rng.fork() });
    this.out_proj = new Linear(config.dModel, numLabels(config), init);
  }

  /** `[B, C]` → `[B, numLabels]` */
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.out_proj.forward(this.dropout.forward(tf.tanh(this.dense.forward(this.dropout.forward(x))))));
  }
}

export interface BartSequenceClassificationInputs extends BartModelInputs {
  /** `[B]` class ids, `[B, numLabels]` multi-label targets, or `[B]` values for regression (one label). */
  labels?: LabelInput;
}

export interface BartSequenceClassifierOutput extends Omit<BartModelOutput, 'lastHiddenState'> {
  /** `[B, numLabels]` */
  logits: tf.Tensor2D;
  loss?: tf.Scalar;
}

/** Position of each row's last eos token; every row must hold the same number of them (as Hugging Face requires). */
export function lastEosPositions(ids: readonly (readonly number[])[], eosTokenId: number): number[] {
  const counts = ids.map((row) => row.filter((id) => id === eosTokenId).length);
  if (counts.some((n) => n === 0)) {
    throw new ShapeError(`BartForSequenceClassification: row ${counts.indexOf(0)} has no eos token (eos_token_id ${eosTokenId}); BART classifies at the last </s>, so end every input with it`);
  }
  if (counts.some((n) => n !== counts[0])) {
    throw new ShapeError(`BartForSequenceClassification: all examples must have the same number of eos tokens (eos_token_id ${eosTokenId}); got ${counts.join(', ')} per row`);
  }
  return ids.map((row) => row.lastIndexOf(eosTokenId));
}

/** BART with a classification head on the decoder state at the last eos token (GLUE-style tasks, zero-shot NLI). */
export class BartForSequenceClassification extends BartPreTrainedModel {
  static readonly architecture = 'BartForSequenceClassification';
  readonly architecture = BartForSequenceClassification.architecture;
  readonly basePrefix = 'model';
  model: BartModel;
  classification_head: BartClassificationHead;

  constructor(config: BartConfigInput = {}, options: BartModelOptions = {}) {
    super(config, options);
    const rng = options.rng ?? new Random(options.seed ?? 0);
    this.model = new BartModel(this.config, { rng });
    this.classification_head = new BartClassificationHead(this.config, rng);
  }

  /** `logits` `[B, numLabels]` read at each row's last eos; `labels` give `loss` as Hugging Face picks it. */
  forward(inputs: BartSequenceClassificationInputs): BartSequenceClassifierOutput {
    if (inputs.inputIds === undefined) throw new ShapeError('BartForSequenceClassification: inputIds are needed to find the eos tokens');
    const ids = inputs.inputIds instanceof tf.Tensor ? (inputs.inputIds.arraySync() as number[][]) : inputs.inputIds;
    const positions = lastEosPositions(ids, this.config.eosTokenId);
    return tf.tidy(() => {
      const { lastHiddenState, ...rest } = this.model.forward(inputs);
      const [b, t, c] = lastHiddenState.shape as [number, number, number];
      // embeddingLookup is a gather whose gradient runs on wasm too (no UnsortedSegmentSum).
      const rows = tf.tensor1d(positions.map((p, i) => i * t + p), 'int32');
      const pooled = embeddingLookup(tf.reshape(lastHiddenState, [b * t, c]), rows); // (B, C)
      const logits = this.classification_head.forward(pooled) as tf.Tensor2D;
      const out: BartSequenceClassifierOutput = { logits, ...rest };
      if (inputs.labels !== undefined) out.loss = sequenceClassificationLoss(logits, inputs.labels, this.config);
      return out as unknown as tf.TensorContainer;
    }) as unknown as BartSequenceClassifierOutput;
  }
}

/**
 * The classification loss as Hugging Face picks it: `problemType` if the config sets it, else
 * regression (MSE) for one label, cross-entropy for `[B]` class ids, binary cross-entropy for
 * `[B, numLabels]` targets.
 */
export function sequenceClassificationLoss(logits: tf.Tensor, labels: LabelInput, config: BartConfig): tf.Scalar {
  return classificationLoss(logits, labels, { where: 'BartForSequenceClassification', problemType: config.problemType });
}

/** Every BART class by its Hugging Face name. */
export const BART_ARCHITECTURES = {
  BartModel,
  BartForConditionalGeneration,
  BartForSequenceClassification,
} as const;

export type BartArchitecture = keyof typeof BART_ARCHITECTURES;
