/**
 * The losses of every task head, one implementation for all families, following Hugging Face's
 * `loss_utils` (`ForSequenceClassificationLoss`, `ForCausalLMLoss`, `ForMaskedLMLoss`,
 * `ForTokenClassification`) and PyTorch's `cross_entropy` / `mse_loss` /
 * `binary_cross_entropy_with_logits`.
 *
 * Labels are model inputs and are checked like them (`intInput` / `floatInput`): a class id must be
 * an integer in [0, classes) or the ignore index (−100 unless said otherwise) — PyTorch raises
 * "Target 3 is out of bounds" where a one-hot would silently score an out-of-range label as 0 —
 * and a bad label is an `InputError` naming `labels[i]…` and its value. Float tensors holding
 * integers are class ids like int32 ones. The mean runs over the positions that are not ignored;
 * when every position is ignored the loss is NaN with a zero gradient, as PyTorch's.
 *
 * Class weights (`weight`, PyTorch's `CrossEntropyLoss(weight=…)`) scale each position's loss by
 * its label's weight, and the mean divides by the sum of the counted positions' weights; they must
 * be one finite, non-negative number per class (an `InputError` naming `weight[i]` otherwise).
 */
import * as tf from '@tensorflow/tfjs-core';
import { meanSquaredError, sigmoidCrossEntropy, softmaxCrossEntropy } from '@tfkit/core-tensor';
import { InputError } from './errors.js';
import { floatInput, intInput } from './int-input.js';

/** Labels as the heads take them: a tensor or nested number arrays. */
export type LabelInput = tf.Tensor | number[] | number[][] | number[][][];

/** Hugging Face's `problem_type`. */
export type ProblemType = 'regression' | 'single_label_classification' | 'multi_label_classification';

/** PyTorch's and Hugging Face's ignore index: labels equal to it add nothing to the loss. */
export const IGNORE_INDEX = -100;

export interface CrossEntropyLossOptions {
  /** Who computes the loss, for messages (`BertForTokenClassification`). */
  where: string;
  /** The argument's name in messages (default `labels`). */
  name?: string;
  /** Labels equal to this are ignored (default −100). */
  ignoreIndex?: number;
  /** The config key that sets the number of classes, for messages (`num_labels`, `vocab_size`). */
  classesKey?: string;
  /** One weight per class (PyTorch's `weight`): finite and non-negative. */
  weight?: ClassWeights;
}

/** Per-class loss weights: numbers, or a float tensor `[C]`. */
export type ClassWeights = readonly number[] | Float32Array | tf.Tensor;

/**
 * `weight` checked against `classes`: one finite, non-negative number per class. Returns the
 * values (a tensor's are read: C numbers). An `InputError` (argument `weight`) names what is wrong.
 */
export function checkClassWeights(weight: ClassWeights, classes: number, where: string, classesKey?: string): number[] {
  if (weight instanceof tf.Tensor && weight.rank !== 1) {
    throw new InputError(`${where}: weight must be one number per class [${classes}], got a tensor of shape [${weight.shape}]`, { argument: 'weight' });
  }
  const values = weight instanceof tf.Tensor ? Array.from(weight.dataSync()) : Array.from(weight as ArrayLike<number>);
  if (values.length !== classes) {
    throw new InputError(`${where}: weight has ${values.length} values for ${classes} classes${classesKey ? ` (${classesKey})` : ''}: give one weight per class`, { argument: 'weight' });
  }
  values.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(`${where}: weight[${i}] = ${String(v)} is not a finite number`, { argument: 'weight', index: [i] });
    if (v < 0) throw new InputError(`${where}: weight[${i}] = ${v} is negative: class weights must be ≥ 0`, { argument: 'weight', index: [i] });
  });
  return values;
}

function classIdSpec(classes: number, options: CrossEntropyLossOptions, shape: readonly number[], ranks?: readonly number[]) {
  const ignore = options.ignoreIndex ?? IGNORE_INDEX;
  return {
    name: options.name ?? 'labels',
    ranks: ranks ?? [shape.length],
    shape: [...shape],
    range: { high: classes, allow: [ignore], problem: `is not a class id: expected an integer in [0, ${classes})${options.classesKey ? ` (${options.classesKey})` : ''}, or ${ignore} to ignore the position` },
  };
}

/**
 * Mean cross-entropy of `logits` `[..., C]` against checked int32 `ids` `[...]`: the shared kernel
 * (core-tensor's `softmaxCrossEntropy`), NaN when every id is `ignoreIndex` or, with checked class
 * weights, when the counted weights sum to 0 (PyTorch's 0/0).
 */
function meanCrossEntropy(logits: tf.Tensor, ids: tf.Tensor, ignoreIndex: number, weight?: readonly number[]): tf.Scalar {
  return tf.tidy(() => {
    const loss = softmaxCrossEntropy(logits, ids, { ignoreIndex, ...(weight ? { weight } : {}) });
    // Weighted, the kernel is PyTorch's (a 0 weight sum is NaN). Unweighted it divides by
    // max(count, 1); 0/0 adds NaN without a device read or a gradient path.
    if (weight) return loss;
    const counted = tf.sum(tf.cast(tf.notEqual(ids, ignoreIndex), 'float32'));
    return tf.add(loss, tf.div(tf.zerosLike(counted), tf.minimum(counted, 1))) as tf.Scalar;
  });
}

/**
 * Cross-entropy of `logits` `[..., C]` against class ids `labels` shaped like the logits without
 * their last axis (`[B]` for `[B, C]`, `[B, T]` for `[B, T, V]`): mean over the labels that are not
 * `ignoreIndex`. PyTorch's `F.cross_entropy(logits.view(-1, C), labels.view(-1))`.
 */
export function crossEntropyLoss(logits: tf.Tensor, labels: LabelInput, options: CrossEntropyLossOptions): tf.Scalar {
  return tf.tidy(() => {
    const classes = logits.shape[logits.rank - 1] as number;
    const weight = options.weight === undefined ? undefined : checkClassWeights(options.weight, classes, options.where, options.classesKey);
    const ids = intInput(labels, classIdSpec(classes, options, logits.shape.slice(0, -1)), options.where);
    return meanCrossEntropy(logits, ids, options.ignoreIndex ?? IGNORE_INDEX, weight);
  });
}

/**
 * Next-token cross-entropy (Hugging Face's `ForCausalLMLoss`): the logits at position t are
 * scored against `labels` at t + 1, so `labels` `[B, T]` are usually the input ids themselves;
 * −100 labels are ignored. Every label is checked against the vocabulary, the first column too.
 */
export function causalLmLoss(logits: tf.Tensor, labels: LabelInput, options: CrossEntropyLossOptions): tf.Scalar {
  return tf.tidy(() => {
    if (logits.rank !== 3) throw new InputError(`${options.where}: causal LM logits must be [batch, length, vocab], got [${logits.shape}]`, { argument: 'logits' });
    const [b, t, vocab] = logits.shape as [number, number, number];
    const ignore = options.ignoreIndex ?? IGNORE_INDEX;
    const lab = intInput(labels, classIdSpec(vocab, { ...options, classesKey: options.classesKey ?? 'vocab_size' }, [b, t]), options.where);
    // Shift the labels left instead of slicing the (large) logits: the last position is ignored.
    const shifted = tf.concat([tf.slice(lab, [0, 1], [b, t - 1]), tf.fill([b, 1], ignore, 'int32')], 1);
    return meanCrossEntropy(logits, shifted, ignore);
  });
}

export interface SequenceClassificationLossOptions {
  /** Who computes the loss, for messages (`BertForSequenceClassification`). */
  where: string;
  /** The config's `problem_type`; null or undefined: inferred from the labels. */
  problemType?: ProblemType | null;
  /** Single-label classification: one weight per class (PyTorch's `CrossEntropyLoss(weight=…)`). */
  weight?: ClassWeights;
}

/** Rank and last axis of `labels` without reading their values. */
function labelLayout(labels: LabelInput): { rank: number; last: number } {
  if (labels instanceof tf.Tensor) return { rank: labels.rank, last: labels.shape[labels.rank - 1] ?? 0 };
  if (!Array.isArray(labels)) return { rank: 0, last: 0 };
  let rank = 1;
  let level: unknown = labels;
  while (Array.isArray(level) && Array.isArray(level[0])) {
    level = level[0];
    rank++;
  }
  return { rank, last: Array.isArray(level) ? level.length : 0 };
}

/**
 * The sequence (or image) classification loss as Hugging Face picks it for `logits` `[B, numLabels]`:
 * the config's `problem_type` when set; else regression for one label, multi-label for targets
 * shaped like the logits `[B, numLabels]`, and single-label for class ids `[B]` (or `[B, 1]`).
 *
 * - regression: mean squared error against `[B]` values (one label) or `[B, numLabels]`;
 * - single_label_classification: cross-entropy, class ids checked (−100 ignored), weighted by `weight`;
 * - multi_label_classification: binary cross-entropy on logits against `[B, numLabels]` targets.
 *
 * Hugging Face reads int labels as class ids and float ones as multi-label targets; plain arrays
 * have no dtype, so the shape decides here, and `[B]` float labels holding integers are class ids
 * in every family (Hugging Face rejects them).
 */
export function sequenceClassificationLoss(logits: tf.Tensor, labels: LabelInput, options: SequenceClassificationLossOptions): tf.Scalar {
  return tf.tidy(() => {
    const { where } = options;
    if (logits.rank !== 2) throw new InputError(`${where}: classification logits must be [batch, num_labels], got [${logits.shape}]`, { argument: 'logits' });
    const [b, n] = logits.shape as [number, number];
    const layout = labelLayout(labels);
    const problem = options.problemType ?? (n === 1 ? 'regression' : layout.rank === 2 && layout.last === n ? 'multi_label_classification' : 'single_label_classification');
    if (problem === 'single_label_classification') {
      if (layout.rank === 2 && layout.last !== 1 && !options.problemType) {
        throw new InputError(`${where}: labels are [batch, ${layout.last}]: pass class ids [batch] (or [batch, 1]), or multi-label targets [batch, ${n}] (num_labels)`, { argument: 'labels' });
      }
      const weight = options.weight === undefined ? undefined : checkClassWeights(options.weight, n, where, 'num_labels');
      const ids = intInput(labels, classIdSpec(n, { where, classesKey: 'num_labels' }, layout.rank === 2 ? [b, 1] : [b], [1, 2]), where);
      return meanCrossEntropy(logits, tf.reshape(ids, [-1]), IGNORE_INDEX, weight);
    }
    if (options.weight !== undefined) {
      throw new InputError(`${where}: class weights apply to single-label classification, not ${problem} (problem_type)`, { argument: 'weight' });
    }
    if (problem === 'regression' && n === 1) {
      // Hugging Face squeezes both sides: [B] or [B, 1] values.
      const target = floatInput(labels, { name: 'labels', ranks: [1, 2], shape: layout.rank === 2 ? [b, 1] : [b] }, where);
      return meanSquaredError(tf.reshape(logits, [-1]), tf.reshape(target, [-1]));
    }
    const target = floatInput(labels, { name: 'labels', ranks: [2], shape: [b, n] }, where);
    return problem === 'regression' ? meanSquaredError(logits, target) : sigmoidCrossEntropy(logits, target);
  });
}
