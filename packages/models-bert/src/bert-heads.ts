// BERT task heads and task models (Devlin et al., 2019, §3.1 pretraining, §4 fine-tuning).
// Follows Hugging Face transformers `models/bert/modeling_bert.py` (v4.40): heads, then Bert*For* classes.
import * as tf from '@tensorflow/tfjs-core';
import { getActivation, matMul2d, Random, ShapeError } from '@tfkit/core-tensor';
import {
  crossEntropyLoss, Dropout, intInput, LayerNorm, Linear, linearActivated, Module, Parameter,
  sequenceClassificationLoss as classificationLoss, type LabelInput,
} from '@tfkit/layers';
import { numLabels, type BertConfig, type BertConfigInput } from './bert-config.js';
import {
  BertModel, BertPreTrainedModel, toIntTensor,
  type BertModelInputs, type BertModelOptions, type BertModelOutput, type IntInput,
} from './bert-modeling.js';

/** Labels: a tensor or nested number arrays (checked by the losses of @tfkit/layers). */
export type { LabelInput } from '@tfkit/layers';

interface HeadInit {
  initStd: number;
  rng: Random;
}

/** dense → activation → LayerNorm, before the MLM decoder. */
export class BertPredictionHeadTransform extends Module {
  dense: Linear;
  LayerNorm: LayerNorm;
  private readonly activation: string;

  constructor(config: BertConfig, init: HeadInit) {
    super();
    this.dense = new Linear(config.hiddenSize, config.hiddenSize, init);
    getActivation(config.hiddenAct); // an unknown name fails here, not at the first forward
    this.activation = config.hiddenAct;
    this.LayerNorm = new LayerNorm(config.hiddenSize, { eps: config.layerNormEps });
  }

  forward(hidden: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.LayerNorm.forward(linearActivated(this.dense, hidden, this.activation)));
  }
}

/**
 * Masked-token logits. The decoder is the word embedding matrix (tied, the default): its explicit
 * transpose feeds one 2-D matMul, the fast path on wasm. Untied checkpoints get their own decoder.
 */
export class BertLMPredictionHead extends Module {
  transform: BertPredictionHeadTransform;
  /** Untied decoder `[hidden, vocab]` (checkpoint `cls.predictions.decoder.weight`), or null when tied. */
  decoder: Linear | null;
  bias: Parameter;

  constructor(config: BertConfig, init: HeadInit) {
    super();
    this.transform = new BertPredictionHeadTransform(config, init);
    this.decoder = config.tieWordEmbeddings ? null : new Linear(config.hiddenSize, config.vocabSize, { ...init, bias: false });
    const zeros = tf.zeros([config.vocabSize]);
    this.bias = new Parameter(zeros);
    zeros.dispose();
  }

  /** hidden `[B, T, C]`, word embeddings `[V, C]` → logits `[B, T, V]` */
  forward(hidden: tf.Tensor, wordEmbeddings: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const h = this.transform.forward(hidden);
      const [b, t, c] = h.shape as [number, number, number];
      const flat = tf.reshape(h, [b * t, c]) as tf.Tensor2D;
      const logits = this.decoder ? this.decoder.forward(flat) : matMul2d(flat, tf.transpose(wordEmbeddings) as tf.Tensor2D);
      return tf.reshape(tf.add(logits, this.bias.value), [b, t, -1]);
    });
  }
}

export class BertOnlyMLMHead extends Module {
  predictions: BertLMPredictionHead;

  constructor(config: BertConfig, init: HeadInit) {
    super();
    this.predictions = new BertLMPredictionHead(config, init);
  }
}

export class BertOnlyNSPHead extends Module {
  seq_relationship: Linear;

  constructor(config: BertConfig, init: HeadInit) {
    super();
    this.seq_relationship = new Linear(config.hiddenSize, 2, init);
  }
}

export class BertPreTrainingHeads extends Module {
  predictions: BertLMPredictionHead;
  seq_relationship: Linear;

  constructor(config: BertConfig, init: HeadInit) {
    super();
    this.predictions = new BertLMPredictionHead(config, init);
    this.seq_relationship = new Linear(config.hiddenSize, 2, init);
  }
}

/** What every task model returns: the backbone's outputs plus the head's, and `loss` when labels were given. */
export interface BertTaskOutput extends BertModelOutput {
  loss?: tf.Scalar;
}

export interface BertForPreTrainingOutput extends BertTaskOutput {
  /** `[B, T, vocab]` */
  predictionLogits: tf.Tensor;
  /** `[B, 2]`: index 0 "B follows A", 1 "B is random". */
  seqRelationshipLogits: tf.Tensor;
}

export interface BertLogitsOutput extends BertTaskOutput {
  logits: tf.Tensor;
}

export interface BertForQuestionAnsweringOutput extends BertTaskOutput {
  /** `[B, T]` */
  startLogits: tf.Tensor;
  /** `[B, T]` */
  endLogits: tf.Tensor;
}

/** Base of task models: a `bert` backbone plus a seeded generator for the head's initialisation. */
abstract class BertTaskModel<Out extends BertTaskOutput, In extends BertModelInputs = BertModelInputs> extends BertPreTrainedModel {
  readonly basePrefix = 'bert';
  bert: BertModel;
  protected readonly init: HeadInit;

  constructor(config: BertConfigInput, options: BertModelOptions, addPoolingLayer: boolean) {
    super(config, options);
    const rng = options.rng ?? new Random(options.seed ?? 0);
    this.bert = new BertModel(this.config, { rng, addPoolingLayer });
    this.init = { initStd: this.config.initializerRange, rng };
  }

  /** Dropout before classifiers: `classifier_dropout`, else `hidden_dropout_prob`. */
  protected classifierDropout(): Dropout {
    return new Dropout(this.config.classifierDropout ?? this.config.hiddenDropoutProb, { rng: this.init.rng.fork() });
  }

  forward(inputs: In): Out {
    return tf.tidy(() => this.forwardTask(inputs) as unknown as tf.TensorContainer) as unknown as Out;
  }

  /** Runs inside `forward`'s tidy. */
  protected abstract forwardTask(inputs: In): Out;
}

/** MLM loss with ignore index −100 (the positions that were not masked). */
function mlmLoss(logits: tf.Tensor, labels: LabelInput, where: string): tf.Scalar {
  return crossEntropyLoss(logits, labels, { where, classesKey: 'vocab_size' });
}

/** BERT with both pretraining heads: masked language modelling and next sentence prediction. */
export class BertForPreTraining extends BertTaskModel<BertForPreTrainingOutput, BertModelInputs & { labels?: LabelInput; nextSentenceLabel?: LabelInput }> {
  static readonly architecture = 'BertForPreTraining';
  readonly architecture = BertForPreTraining.architecture;
  cls: BertPreTrainingHeads;

  constructor(config: BertConfigInput = {}, options: BertModelOptions = {}) {
    super(config, options, true);
    this.cls = new BertPreTrainingHeads(this.config, this.init);
  }

  /** `labels` `[B, T]` (−100 where not masked) and/or `nextSentenceLabel` `[B]` give `loss`, the sum of both losses. */
  protected forwardTask(inputs: BertModelInputs & { labels?: LabelInput; nextSentenceLabel?: LabelInput }): BertForPreTrainingOutput {
    const base = this.bert.forward(inputs);
    const predictionLogits = this.cls.predictions.forward(base.lastHiddenState, this.bert.embeddings.word_embeddings.weight.value);
    const seqRelationshipLogits = this.cls.seq_relationship.forward(base.poolerOutput as tf.Tensor);
    const out: BertForPreTrainingOutput = { ...base, predictionLogits, seqRelationshipLogits };
    const losses: tf.Scalar[] = [];
    if (inputs.labels !== undefined) losses.push(mlmLoss(predictionLogits, inputs.labels, this.architecture));
    if (inputs.nextSentenceLabel !== undefined) {
      losses.push(crossEntropyLoss(seqRelationshipLogits, inputs.nextSentenceLabel, { where: this.architecture, name: 'nextSentenceLabel' }));
    }
    if (losses.length) out.loss = tf.addN(losses) as tf.Scalar;
    return out;
  }
}

/** BERT with the masked language modelling head. */
export class BertForMaskedLM extends BertTaskModel<BertLogitsOutput, BertModelInputs & { labels?: LabelInput }> {
  static readonly architecture = 'BertForMaskedLM';
  readonly architecture = BertForMaskedLM.architecture;
  cls: BertOnlyMLMHead;

  constructor(config: BertConfigInput = {}, options: BertModelOptions = {}) {
    super(config, options, false);
    this.cls = new BertOnlyMLMHead(this.config, this.init);
  }

  /** `logits` `[B, T, vocab]`; `labels` `[B, T]` (−100 where not masked) give `loss`. */
  protected forwardTask(inputs: BertModelInputs & { labels?: LabelInput }): BertLogitsOutput {
    const base = this.bert.forward(inputs);
    const logits = this.cls.predictions.forward(base.lastHiddenState, this.bert.embeddings.word_embeddings.weight.value);
    const out: BertLogitsOutput = { ...base, logits };
    if (inputs.labels !== undefined) out.loss = mlmLoss(logits, inputs.labels, this.architecture);
    return out;
  }
}

/** BERT with the next sentence prediction head. */
export class BertForNextSentencePrediction extends BertTaskModel<BertLogitsOutput, BertModelInputs & { labels?: LabelInput }> {
  static readonly architecture = 'BertForNextSentencePrediction';
  readonly architecture = BertForNextSentencePrediction.architecture;
  cls: BertOnlyNSPHead;

  constructor(config: BertConfigInput = {}, options: BertModelOptions = {}) {
    super(config, options, true);
    this.cls = new BertOnlyNSPHead(this.config, this.init);
  }

  /** `logits` `[B, 2]` (0: B follows A, 1: B is random); `labels` `[B]` give `loss`. */
  protected forwardTask(inputs: BertModelInputs & { labels?: LabelInput }): BertLogitsOutput {
    const base = this.bert.forward(inputs);
    const logits = this.cls.seq_relationship.forward(base.poolerOutput as tf.Tensor);
    const out: BertLogitsOutput = { ...base, logits };
    if (inputs.labels !== undefined) out.loss = crossEntropyLoss(logits, inputs.labels, { where: this.architecture });
    return out;
  }
}

/**
 * Sequence classification loss as Hugging Face picks it: `problemType` if the config sets it, else
 * regression for one label, single-label cross-entropy for `[B]` class ids, multi-label binary
 * cross-entropy for `[B, numLabels]` targets.
 */
export function sequenceClassificationLoss(logits: tf.Tensor, labels: LabelInput, config: BertConfig, where = 'BertForSequenceClassification'): tf.Scalar {
  return classificationLoss(logits, labels, { where, problemType: config.problemType });
}

/** BERT with a classifier on the pooled `[CLS]` output (single-label, multi-label or regression). */
export class BertForSequenceClassification extends BertTaskModel<BertLogitsOutput, BertModelInputs & { labels?: LabelInput }> {
  static readonly architecture = 'BertForSequenceClassification';
  readonly architecture = BertForSequenceClassification.architecture;
  dropout: Dropout;
  classifier: Linear;

  constructor(config: BertConfigInput = {}, options: BertModelOptions = {}) {
    super(config, options, true);
    this.dropout = this.classifierDropout();
    this.classifier = new Linear(this.config.hiddenSize, numLabels(this.config), this.init);
  }

  /** `logits` `[B, numLabels]`; `labels` (`[B]` ids, `[B, numLabels]` multi-label targets, or `[B]` values for regression) give `loss`. */
  protected forwardTask(inputs: BertModelInputs & { labels?: LabelInput }): BertLogitsOutput {
    const base = this.bert.forward(inputs);
    const logits = this.classifier.forward(this.dropout.forward(base.poolerOutput as tf.Tensor));
    const out: BertLogitsOutput = { ...base, logits };
    if (inputs.labels !== undefined) out.loss = sequenceClassificationLoss(logits, inputs.labels, this.config);
    return out;
  }
}

/** BERT with a per-token classifier (NER, POS tagging). */
export class BertForTokenClassification extends BertTaskModel<BertLogitsOutput, BertModelInputs & { labels?: LabelInput }> {
  static readonly architecture = 'BertForTokenClassification';
  readonly architecture = BertForTokenClassification.architecture;
  dropout: Dropout;
  classifier: Linear;

  constructor(config: BertConfigInput = {}, options: BertModelOptions = {}) {
    super(config, options, false);
    this.dropout = this.classifierDropout();
    this.classifier = new Linear(this.config.hiddenSize, numLabels(this.config), this.init);
  }

  /** `logits` `[B, T, numLabels]`; `labels` `[B, T]` (−100 for positions without a label) give `loss`. */
  protected forwardTask(inputs: BertModelInputs & { labels?: LabelInput }): BertLogitsOutput {
    const base = this.bert.forward(inputs);
    const logits = this.classifier.forward(this.dropout.forward(base.lastHiddenState));
    const out: BertLogitsOutput = { ...base, logits };
    if (inputs.labels !== undefined) out.loss = crossEntropyLoss(logits, inputs.labels, { where: this.architecture, classesKey: 'num_labels' });
    return out;
  }
}

export type QuestionAnsweringInputs = BertModelInputs & { startPositions?: LabelInput; endPositions?: LabelInput };

/** BERT with a span head for extractive question answering. */
export class BertForQuestionAnswering extends BertTaskModel<BertForQuestionAnsweringOutput, QuestionAnsweringInputs> {
  static readonly architecture = 'BertForQuestionAnswering';
  readonly architecture = BertForQuestionAnswering.architecture;
  qa_outputs: Linear;

  constructor(config: BertConfigInput = {}, options: BertModelOptions = {}) {
    super(config, options, false);
    this.qa_outputs = new Linear(this.config.hiddenSize, numLabels(this.config), this.init);
  }

  /**
   * `startLogits`/`endLogits` `[B, T]`. `startPositions` and `endPositions` `[B]` give `loss`, the
   * mean of the two cross-entropies; positions outside the sequence are clamped to T and ignored.
   */
  protected forwardTask(inputs: QuestionAnsweringInputs): BertForQuestionAnsweringOutput {
    const base = this.bert.forward(inputs);
    const [b, t] = base.lastHiddenState.shape as [number, number, number];
    const logits = this.qa_outputs.forward(base.lastHiddenState);
    const startLogits = tf.reshape(tf.slice(logits, [0, 0, 0], [b, t, 1]), [b, t]);
    const endLogits = tf.reshape(tf.slice(logits, [0, 0, 1], [b, t, 1]), [b, t]);
    const out: BertForQuestionAnsweringOutput = { ...base, startLogits, endLogits };
    if (inputs.startPositions !== undefined && inputs.endPositions !== undefined) {
      // Integer positions outside the sequence are clamped to T, the ignore index, as Hugging Face does.
      // Clamped in float32: tfjs-backend-wasm's ClipByValue reads int32 data as float32.
      const span = (logit: tf.Tensor, positions: LabelInput, name: string) => {
        const p = tf.cast(intInput(positions, { name, ranks: [1], shape: [b] }, this.architecture), 'float32');
        return crossEntropyLoss(logit, tf.cast(tf.clipByValue(p, 0, t), 'int32'), { where: this.architecture, name, ignoreIndex: t });
      };
      out.loss = tf.div(tf.add(span(startLogits, inputs.startPositions, 'startPositions'), span(endLogits, inputs.endPositions, 'endPositions')), 2) as tf.Scalar;
    }
    return out;
  }
}

export type MultipleChoiceInputs = Omit<BertModelInputs, 'inputIds' | 'attentionMask' | 'tokenTypeIds' | 'positionIds'> & {
  /** `[B, choices, T]` */
  inputIds?: IntInput;
  attentionMask?: IntInput;
  tokenTypeIds?: IntInput;
  positionIds?: IntInput;
  labels?: LabelInput;
};

/** BERT scoring each of several (context, choice) pairs; `logits` `[B, choices]`. */
export class BertForMultipleChoice extends BertTaskModel<BertLogitsOutput, MultipleChoiceInputs> {
  static readonly architecture = 'BertForMultipleChoice';
  readonly architecture = BertForMultipleChoice.architecture;
  dropout: Dropout;
  classifier: Linear;

  constructor(config: BertConfigInput = {}, options: BertModelOptions = {}) {
    super(config, options, true);
    this.dropout = this.classifierDropout();
    this.classifier = new Linear(this.config.hiddenSize, 1, this.init);
  }

  /** Every `[B, C, T]` input is flattened to `[B·C, T]`; `labels` `[B]` (the right choice) give `loss`. */
  protected forwardTask(inputs: MultipleChoiceInputs): BertLogitsOutput {
    const flatten = (x: IntInput | undefined) => {
      if (x === undefined) return undefined;
      const t = toIntTensor(x);
      if (t.rank !== 3) throw new ShapeError(`BertForMultipleChoice: inputs must be [batch, choices, seq], got [${t.shape}]`);
      return tf.reshape(t, [-1, t.shape[2] as number]);
    };
    const ids = inputs.inputIds !== undefined ? toIntTensor(inputs.inputIds) : undefined;
    const choices = (ids?.shape[1] ?? inputs.inputsEmbeds?.shape[1]) as number;
    const embeds = inputs.inputsEmbeds;
    const base = this.bert.forward({
      ...inputs,
      inputIds: flatten(ids),
      attentionMask: flatten(inputs.attentionMask),
      tokenTypeIds: flatten(inputs.tokenTypeIds),
      positionIds: flatten(inputs.positionIds),
      inputsEmbeds: embeds ? tf.reshape(embeds, [-1, ...embeds.shape.slice(2)]) : undefined,
    });
    const scores = this.classifier.forward(this.dropout.forward(base.poolerOutput as tf.Tensor));
    const logits = tf.reshape(scores, [-1, choices]);
    const out: BertLogitsOutput = { ...base, logits };
    if (inputs.labels !== undefined) out.loss = crossEntropyLoss(logits, inputs.labels, { where: this.architecture });
    return out;
  }
}

/** Every BERT class by its Hugging Face name. */
export const BERT_ARCHITECTURES = {
  BertModel,
  BertForPreTraining,
  BertForMaskedLM,
  BertForNextSentencePrediction,
  BertForSequenceClassification,
  BertForTokenClassification,
  BertForQuestionAnswering,
  BertForMultipleChoice,
} as const;

export type BertArchitecture = keyof typeof BERT_ARCHITECTURES;
