/** The evaluation / prediction loop: no gradients, no shuffling, predictions gathered as arrays. */
import * as tf from '@tensorflow/tfjs-core';
import { withTransientDenseWeights } from '@tfkit/core-tensor';
import type { Module } from '@tfkit/layers';
import type { Collator } from '../data/collator.js';
import type { Dataset } from '../data/dataset.js';
import type { ForwardFn, LossFn } from './forward.js';

/** Nested numbers as `tensor.arraySync()` gives them, one entry per example. */
export type NestedNumbers = number | NestedNumbers[];

export interface EvalPrediction {
  /** The model's logits, one entry per example (`[classes]`, `[tokens][classes]`, …). */
  predictions: NestedNumbers[];
  /** The batch labels, one entry per example, when the batches had `labels`. */
  labels: NestedNumbers[] | undefined;
  /** Mean loss over examples, when labels were given. */
  loss: number | undefined;
}

/** Turns predictions into named numbers (`{ accuracy: 0.91, f1: 0.88 }`). */
export type MetricsFn = (prediction: EvalPrediction) => Record<string, number>;

export async function predictLoop<T>(options: {
  model: Module;
  dataset: Dataset<T>;
  collator: Collator<T>;
  batchSize: number;
  forward: ForwardFn;
  computeLoss: LossFn;
}): Promise<EvalPrediction> {
  const { model, dataset, collator } = options;
  const wasTraining = model.training;
  model.eval();
  const predictions: NestedNumbers[] = [];
  const labels: NestedNumbers[] = [];
  let lossSum = 0;
  let lossCount = 0;
  let haveLabels = true;
  try {
    for (const examples of dataset.batches({ batchSize: options.batchSize, shuffle: false })) {
      const batch = collator(examples);
      try {
        const run = () =>
          tf.tidy(() => {
            const out = options.forward(model, batch);
            const l = batch['labels'] ? options.computeLoss(out, batch) : undefined;
            return { logits: out.logits, loss: l };
          });
        // Evaluating a model that is training (between steps): its weights packed for these
        // products would stay on the wasm heap through the next steps (XNNPACK's cache).
        const { logits, loss } = wasTraining ? withTransientDenseWeights(run) : run();
        if (logits) {
          predictions.push(...(logits.arraySync() as NestedNumbers[]));
          logits.dispose();
        }
        if (loss) {
          lossSum += (loss.dataSync()[0] as number) * examples.length;
          lossCount += examples.length;
          loss.dispose();
        }
        const lab = batch['labels'];
        if (lab) labels.push(...(lab.arraySync() as NestedNumbers[]));
        else haveLabels = false;
      } finally {
        for (const t of Object.values(batch)) t.dispose();
      }
      // Let other work (progress output, timers) run between batches.
      await Promise.resolve();
    }
  } finally {
    model.train(wasTraining);
  }
  return { predictions, labels: haveLabels && labels.length ? labels : undefined, loss: lossCount ? lossSum / lossCount : undefined };
}
