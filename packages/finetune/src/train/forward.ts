/**
 * How the Trainer runs a model on a batch. By default it calls `model.forward(batch)` — a batch is
 * an object of named tensors (`inputIds`, `attentionMask`, `labels`, …), which is what tfkit's
 * task models take — and uses the output's `loss`, or cross-entropy of `logits` against
 * `batch.labels` when the model returns none.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { crossEntropyLoss, type Module } from '@tfkit/layers';
import type { Batch } from '../data/collator.js';
import { FinetuneError } from '../errors.js';

export interface ModelOutput {
  loss?: tf.Tensor;
  logits?: tf.Tensor;
}

/** Runs the model on a batch (synchronously; called inside `tf.tidy` / `tf.variableGrads`). */
export type ForwardFn = (model: Module, batch: Batch) => ModelOutput;

/** The loss to minimise for a batch and the model's output. */
export type LossFn = (output: ModelOutput, batch: Batch) => tf.Scalar;

export const defaultForward: ForwardFn = (model, batch) => {
  const forward = (model as unknown as { forward?: (inputs: Batch) => unknown }).forward;
  if (typeof forward !== 'function') throw new FinetuneError('Trainer: the model has no forward(inputs) method; pass `forward: (model, batch) => ({ logits, loss })`');
  const out = forward.call(model, batch);
  if (out && typeof out === 'object' && 'shape' in out) return { logits: out as tf.Tensor };
  return out as ModelOutput;
};

export const defaultLoss: LossFn = (output, batch) => {
  if (output.loss) return output.loss as tf.Scalar;
  const labels = batch['labels'];
  if (!output.logits || !labels) {
    throw new FinetuneError('Trainer: the model returned no loss, and there are no logits and batch.labels to compute cross-entropy from; pass `computeLoss`');
  }
  // Labels are checked as PyTorch checks them: class ids in [0, C) or -100 (ignored); anything else is an InputError.
  return crossEntropyLoss(output.logits, labels, { where: 'Trainer' });
};
