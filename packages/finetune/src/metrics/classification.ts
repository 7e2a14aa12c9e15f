/**
 * Classification metrics on plain arrays: accuracy and precision / recall / F1 with macro, micro
 * or weighted averaging (scikit-learn's definitions; a class with no predicted or no true
 * examples contributes 0 for the undefined ratio, as scikit-learn's `zero_division=0`).
 */
import { FinetuneError } from '../errors.js';
import type { EvalPrediction, NestedNumbers } from '../train/evaluate.js';

export type Average = 'macro' | 'micro' | 'weighted';

/** Index of the largest value of each row (`[n][classes]` → `[n]`). */
export function argmax(rows: readonly (readonly number[])[]): number[] {
  return rows.map((row) => {
    let best = 0;
    for (let i = 1; i < row.length; i++) if ((row[i] as number) > (row[best] as number)) best = i;
    return best;
  });
}

function checkLengths(pred: readonly unknown[], labels: readonly unknown[]): void {
  if (pred.length !== labels.length) throw new FinetuneError(`metrics: ${pred.length} predictions for ${labels.length} labels`);
}

/** Fraction of predictions equal to the label; labels equal to `ignoreIndex` (−100) are skipped. */
export function accuracy(pred: readonly number[], labels: readonly number[], ignoreIndex = -100): number {
  checkLengths(pred, labels);
  let right = 0;
  let n = 0;
  pred.forEach((p, i) => {
    if (labels[i] === ignoreIndex) return;
    n++;
    if (p === labels[i]) right++;
  });
  return n ? right / n : 0;
}

export interface PrecisionRecallF1 {
  precision: number;
  recall: number;
  f1: number;
}

/** Precision, recall and F1 over the classes present in either array (or `classes`). */
export function precisionRecallF1(pred: readonly number[], labels: readonly number[], options: { average?: Average; classes?: number[]; ignoreIndex?: number } = {}): PrecisionRecallF1 {
  checkLengths(pred, labels);
  const ignore = options.ignoreIndex ?? -100;
  const keep = labels.map((l) => l !== ignore);
  const p = pred.filter((_, i) => keep[i]);
  const y = labels.filter((_, i) => keep[i]);
  const classes = options.classes ?? [...new Set([...p, ...y])].sort((a, b) => a - b);
  const stats = classes.map((c) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    p.forEach((v, i) => {
      if (v === c && y[i] === c) tp++;
      else if (v === c) fp++;
      else if (y[i] === c) fn++;
    });
    return { tp, fp, fn, support: tp + fn };
  });
  const average = options.average ?? 'macro';
  if (average === 'micro') {
    const tp = stats.reduce((s, x) => s + x.tp, 0);
    const fp = stats.reduce((s, x) => s + x.fp, 0);
    const fn = stats.reduce((s, x) => s + x.fn, 0);
    return prf(tp, fp, fn);
  }
  const per = stats.map((s) => prf(s.tp, s.fp, s.fn));
  const total = stats.reduce((s, x) => s + x.support, 0);
  const weight = (i: number) => (average === 'weighted' ? (total ? (stats[i] as { support: number }).support / total : 0) : 1 / Math.max(1, per.length));
  return {
    precision: per.reduce((s, x, i) => s + x.precision * weight(i), 0),
    recall: per.reduce((s, x, i) => s + x.recall * weight(i), 0),
    f1: per.reduce((s, x, i) => s + x.f1 * weight(i), 0),
  };
}

function prf(tp: number, fp: number, fn: number): PrecisionRecallF1 {
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  return { precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0 };
}

/**
 * A `metrics` function for sequence classification: accuracy and macro (or `average`) F1,
 * precision and recall from `[n][classes]` logits and `[n]` labels.
 */
export function classificationMetrics(options: { average?: Average } = {}): (p: EvalPrediction) => Record<string, number> {
  return ({ predictions, labels }) => {
    const pred = argmax(predictions as number[][]);
    const y = (labels ?? []) as number[];
    const { precision, recall, f1 } = precisionRecallF1(pred, y, { average: options.average ?? 'macro' });
    return { accuracy: accuracy(pred, y), precision, recall, f1 };
  };
}

/** Flattens nested per-token arrays (`[n][tokens]`) into one list. */
export function flattenTokens(x: readonly NestedNumbers[]): number[] {
  return (x as unknown[]).flat(Infinity as 1) as number[];
}
