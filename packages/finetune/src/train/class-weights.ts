/**
 * Class-weighted cross-entropy for classification fine-tuning (the Trainer's `classWeights`): each
 * label's loss is scaled by its class's weight and the mean divides by the sum of the counted
 * labels' weights — PyTorch's `torch.nn.CrossEntropyLoss(weight=…, ignore_index=-100)`, the loss
 * Hugging Face users write into a `compute_loss` override for imbalanced labels (a token tagger
 * whose labels are mostly `O`). The loss itself is @tfkit/layers' (one implementation for every
 * head); this file checks the weights, computes 'balanced' ones and wires them into the Trainer.
 */
import * as tf from '@tensorflow/tfjs-core';
import { crossEntropyLoss, IGNORE_INDEX, sequenceClassificationLoss, type Module } from '@tfkit/layers';
import type { Batch, Collator } from '../data/collator.js';
import type { Dataset } from '../data/dataset.js';
import { FinetuneError } from '../errors.js';
import type { ForwardFn, LossFn } from './forward.js';

/**
 * Per-class loss weights, in class-id order (one finite number ≥ 0 each), or 'balanced':
 * scikit-learn's `compute_class_weight('balanced')` on the training labels, n / (C · count[c]),
 * counted over the positions the loss sees (−100 labels left out).
 */
export type ClassWeightsOption = readonly number[] | 'balanced';

const WHERE = 'Trainer: classWeights';

/** The model's class names (`id2label`) and count (`num_labels`), when its config gives them. */
export function configClasses(model: Module): { count: number | undefined; names: string[] } {
  const config = (model as unknown as { hfConfig?: Record<string, unknown> }).hfConfig;
  const id2label = config?.['id2label'];
  const names = id2label && typeof id2label === 'object' ? Object.entries(id2label as Record<string, unknown>).sort(([a], [b]) => Number(a) - Number(b)).map(([, v]) => String(v)) : [];
  const numLabels = config?.['num_labels'];
  const count = typeof numLabels === 'number' && Number.isInteger(numLabels) && numLabels > 0 ? numLabels : names.length || undefined;
  return { count, names };
}

/**
 * Checks explicit weights: at least one, each finite and ≥ 0, not all 0, and — when `classes` is
 * known — one per class. A `FinetuneError` says which entry is wrong.
 */
export function checkWeights(weights: readonly number[], classes: number | undefined, names: readonly string[] = []): number[] {
  if (!Array.isArray(weights) && !ArrayBuffer.isView(weights)) {
    throw new FinetuneError(`${WHERE} must be an array of numbers (one per class, in class-id order) or 'balanced', got ${JSON.stringify(weights)}`);
  }
  const values = Array.from(weights as ArrayLike<number>);
  if (values.length === 0) throw new FinetuneError(`${WHERE} is empty: give one weight per class`);
  const label = (i: number) => (names[i] !== undefined ? ` (${names[i]})` : '');
  values.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new FinetuneError(`${WHERE}[${i}]${label(i)} = ${String(v)} is not a finite number`);
    if (v < 0) throw new FinetuneError(`${WHERE}[${i}]${label(i)} = ${v} is negative: class weights must be ≥ 0`);
  });
  if (values.every((v) => v === 0)) throw new FinetuneError(`${WHERE} are all 0: the loss would be 0/0`);
  if (classes !== undefined && values.length !== classes) {
    throw new FinetuneError(`${WHERE} has ${values.length} weights but the model has ${classes} classes (num_labels${names.length ? `: ${names.join(', ')}` : ''}): give one weight per class, in class-id order`);
  }
  return values;
}

/**
 * 'balanced' weights from the labels of `dataset` as `collator` makes them (so a token tagger's
 * labels are counted after alignment, sub-words and special tokens left out as the loss leaves them
 * out): weight[c] = n / (C · count[c]), scikit-learn's rule. `classes` defaults to the largest
 * label + 1. A class that never occurs is a `FinetuneError` (its weight would be infinite).
 */
export function balancedClassWeights<T>(dataset: Dataset<T>, collator: Collator<T>, options: { classes?: number; names?: readonly string[]; batchSize?: number } = {}): number[] {
  const counts: number[] = [];
  for (const examples of dataset.batches({ batchSize: options.batchSize ?? 64, shuffle: false })) {
    const batch = collator(examples);
    try {
      const labels = batch['labels'];
      if (!labels) throw new FinetuneError(`${WHERE}: 'balanced' needs labels, and the collator's batches have none`);
      for (const v of labels.dataSync()) {
        if (v === IGNORE_INDEX) continue;
        if (!(Number.isInteger(v) && v >= 0)) throw new FinetuneError(`${WHERE}: 'balanced' counts class ids, and a label is ${v}`);
        counts[v] = (counts[v] ?? 0) + 1;
      }
    } finally {
      tf.dispose(Object.values(batch));
    }
  }
  const classes = options.classes ?? counts.length;
  if (counts.length > classes) throw new FinetuneError(`${WHERE}: the training labels hold class ${counts.length - 1}, and the model has ${classes} classes`);
  const n = counts.reduce((a, c) => a + (c ?? 0), 0);
  if (n === 0) throw new FinetuneError(`${WHERE}: 'balanced' found no labels to count in the training data`);
  const names = options.names ?? [];
  return Array.from({ length: classes }, (_, c) => {
    const count = counts[c] ?? 0;
    if (count === 0) {
      throw new FinetuneError(`${WHERE}: class ${c}${names[c] !== undefined ? ` (${names[c]})` : ''} never occurs in the training labels, so its 'balanced' weight would be infinite; give the weights yourself`);
    }
    return n / (classes * count);
  });
}

/**
 * The loss under class weights: cross-entropy of the output's `logits` against `batch.labels`,
 * weighted — `[B, C]` logits as sequence classification (class ids `[B]` or `[B, 1]`), `[B, T, C]`
 * as token classification (`[B, T]`, −100 ignored).
 */
export function weightedClassificationLoss(weights: () => readonly number[]): LossFn {
  return (output, batch) => {
    const labels = batch['labels'];
    if (!output.logits || !labels) throw new FinetuneError(`${WHERE}: the model returned no logits, or the batch has no labels, to weight the loss of`);
    const weight = weights();
    if (output.logits.rank === 2) return sequenceClassificationLoss(output.logits, labels, { where: WHERE, problemType: 'single_label_classification', weight });
    return crossEntropyLoss(output.logits, labels, { where: WHERE, classesKey: 'num_labels', weight });
  };
}

/** Runs `forward` on the batch without its labels: the model's own (unweighted) loss is not computed. */
export function withoutLabels(forward: ForwardFn): ForwardFn {
  return (model, batch) => {
    const rest: Batch = {};
    for (const [k, v] of Object.entries(batch)) if (k !== 'labels') rest[k] = v;
    return forward(model, rest);
  };
}
