/**
 * Stochastic weight averaging (Izmailov et al., 2018) as a Trainer callback: the learning rate
 * follows the `swa` schedule (decay for the first 75% of training, then a constant rate), and over
 * that last phase the weights after every step are averaged with equal weight; at the end of
 * training the average replaces the weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Module, Parameter } from '@tfkit/layers';
import type { TrainerCallback } from '../train/callbacks.js';
import type { TrainerState } from '../train/state.js';

export interface SwaOptions {
  /** Fraction of training after which averaging starts (default 0.75, matching the `swa` schedule). */
  swaStart?: number;
  /** Average every this many steps (default 1). */
  every?: number;
}

export class SwaCallback implements TrainerCallback {
  readonly model: Module;
  readonly swaStart: number;
  readonly every: number;
  /** Models averaged so far. */
  count = 0;
  private average = new Map<Parameter, tf.Tensor>();

  constructor(model: Module, options: SwaOptions = {}) {
    this.model = model;
    this.swaStart = options.swaStart ?? 0.75;
    this.every = options.every ?? 1;
  }

  /** First step whose weights enter the average. */
  startStep(maxSteps: number): number {
    return Math.round(maxSteps * this.swaStart);
  }

  onStepEnd(state: TrainerState): void {
    if (state.globalStep < this.startStep(state.maxSteps) || (state.globalStep - this.startStep(state.maxSteps)) % this.every !== 0) return;
    this.count++;
    const n = this.count;
    for (const p of this.model.parameters({ trainableOnly: true })) {
      const prev = this.average.get(p);
      // Running mean: avg ← avg + (w − avg) / n.
      const next = prev ? tf.tidy(() => tf.add(prev, tf.div(tf.sub(p.value, prev), n))) : tf.clone(p.value);
      prev?.dispose();
      this.average.set(p, next);
    }
  }

  onTrainEnd(): void {
    this.swapIn();
  }

  /** Replaces the weights by their average (done at the end of training). */
  swapIn(): void {
    for (const [p, avg] of this.average) {
      p.value.assign(avg);
      avg.dispose();
    }
    this.average = new Map();
  }

  dispose(): void {
    for (const t of this.average.values()) t.dispose();
    this.average.clear();
  }
}
