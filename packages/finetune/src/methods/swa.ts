/**
 * Stochastic weight averaging (Izmailov et al., 2018) as a Trainer callback: the learning rate
 * follows the `swa` schedule (decay for the first 75% of training, then a constant rate), and over
 * that last phase the weights after every step are averaged with equal weight; at the end of
 * training the average replaces the weights. The running average and its count are part of every
 * Trainer checkpoint, so an interrupted run resumes to the same average.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Module, Parameter } from '@tfkit/layers';
import { FinetuneError } from '../errors.js';
import type { CallbackState, TrainerCallback } from '../train/callbacks.js';
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
  readonly stateKey = 'swa';
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

  stateDict(): CallbackState {
    const names = new Map(this.model.namedParameters().map(([name, p]) => [p, name]));
    const tensors = new Map<string, tf.Tensor>();
    for (const [p, avg] of this.average) {
      const name = names.get(p);
      if (name === undefined) throw new FinetuneError('SWA: an averaged parameter is no longer part of the model');
      tensors.set(name, tf.clone(avg));
    }
    return { meta: { count: this.count, swaStart: this.swaStart, every: this.every }, tensors };
  }

  loadStateDict(state: CallbackState): void {
    const count = Number(state.meta['count'] ?? 0);
    const byName = new Map(this.model.namedParameters({ trainableOnly: true }));
    const loaded = new Map<Parameter, tf.Tensor>();
    for (const [name, t] of state.tensors ?? []) {
      const p = byName.get(name);
      if (!p) throw new FinetuneError(`SWA: the checkpoint averages "${name}", which is not a trainable parameter of this model`);
      if (p.value.shape.join(',') !== t.shape.join(',')) throw new FinetuneError(`SWA: the average of "${name}" has shape [${t.shape.join(', ')}], the parameter [${p.value.shape.join(', ')}]`);
      loaded.set(p, tf.clone(t));
    }
    if (count > 0 && loaded.size !== byName.size) throw new FinetuneError(`SWA: the checkpoint averages ${loaded.size} parameters, the model trains ${byName.size}`);
    this.dispose();
    this.average = loaded;
    this.count = count;
  }

  dispose(): void {
    for (const t of this.average.values()) t.dispose();
    this.average.clear();
  }
}
