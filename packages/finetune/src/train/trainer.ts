/**
 * The training loop for any tfkit `Module`: seeded data order, gradient accumulation, clipping,
 * learning-rate schedules, periodic evaluation and atomic checkpoints that resume exactly.
 * Modelled on Hugging Face's `Trainer`, with the same defaults where they exist.
 */
import * as tf from '@tensorflow/tfjs-core';
import { importNodeBuiltin, CheckpointError, Random, loadGradients } from '@tfkit/core-tensor';
import { Module } from '@tfkit/layers';
import type { Collator } from '../data/collator.js';
import type { Dataset, Example } from '../data/dataset.js';
import { FinetuneError, NonFiniteLossError } from '../errors.js';
import { AdamW } from '../optim/adam.js';
import { clipCoefficient, globalNorm } from '../optim/clip.js';
import type { Optimizer } from '../optim/optimizer.js';
import { groupParameters } from '../optim/param-groups.js';
import { LrScheduler, type SchedulerName } from '../optim/schedulers.js';
import type { CallbackState, TrainerCallback } from './callbacks.js';
import { balancedClassWeights, checkWeights, configClasses, weightedClassificationLoss, withoutLabels, type ClassWeightsOption } from './class-weights.js';
import { listCheckpoints, loadTrainingCheckpoint, moduleGenerators, removeStaleCheckpointTemps, saveTrainingCheckpoint } from './checkpoint.js';
import { predictLoop, type EvalPrediction, type MetricsFn } from './evaluate.js';
import { defaultForward, defaultLoss, type ForwardFn, type LossFn } from './forward.js';
import { lossAndGrads } from './grads.js';
import { initialState, type LogEntry, type TrainerState } from './state.js';

type TrainerHook = 'onTrainBegin' | 'onStepEnd' | 'onLog' | 'onEvaluate' | 'onSave' | 'onTrainEnd';

/**
 * What the Trainer trains: a `Module`, or an adapter wrapper that is not one itself but holds the
 * adapted `Module` as `model` (a `LoraModel`, as PEFT's `PeftModel` holds its model). The wrapper's
 * layers sit inside that module, so training it trains the adapter.
 */
export type TrainableModel = Module | { readonly model: Module };

/** The `Module` the Trainer runs and updates for `model`. */
export function trainableModule(model: TrainableModel): Module {
  if (model instanceof Module) return model;
  const inner = (model as { model?: unknown } | null)?.model;
  if (inner instanceof Module) return inner;
  throw new FinetuneError('Trainer: `model` must be a tfkit Module, or an adapter wrapper (LoraModel) holding one as `.model`');
}

export interface TrainerOptions<T = Example> {
  model: TrainableModel;
  trainDataset?: Dataset<T>;
  evalDataset?: Dataset<T>;
  collator: Collator<T>;
  /** An optimizer, or a factory given the model. Default: AdamW over `groupParameters` (no decay on biases / norms). */
  optimizer?: Optimizer | ((model: Module) => Optimizer);
  /** For the default optimizer (default 5e-5, weight decay 0, as Hugging Face). */
  learningRate?: number;
  weightDecay?: number;
  /** A schedule name, or a factory. Default `linear`. */
  scheduler?: SchedulerName | ((optimizer: Optimizer, numTrainingSteps: number) => LrScheduler);
  warmupSteps?: number;
  /** Warm-up as a fraction of the training steps (used when `warmupSteps` is not given). */
  warmupRatio?: number;
  /** Shuffle the training data each epoch (default true, seeded by `seed`); false trains in the dataset's order. */
  shuffle?: boolean;
  /** Epochs to train (default 3), unless `maxSteps` is given. */
  epochs?: number;
  maxSteps?: number;
  batchSize?: number;
  evalBatchSize?: number;
  gradientAccumulationSteps?: number;
  /** Clip the global gradient norm to this (default 1.0; `null` disables). */
  maxGradNorm?: number | null;
  evalEvery?: number;
  saveEvery?: number;
  /** Log the training loss every this many steps (default 10). */
  logEvery?: number;
  /** Where `checkpoint-<step>` directories go. Needed for `saveEvery` and resuming. */
  outputDir?: string;
  /** Keep at most this many checkpoints (the best one is never removed). */
  saveTotalLimit?: number;
  seed?: number;
  callbacks?: TrainerCallback[];
  /** Metrics from predictions, reported as `eval_<name>`. */
  metrics?: MetricsFn;
  metricForBestModel?: string;
  greaterIsBetter?: boolean;
  forward?: ForwardFn;
  computeLoss?: LossFn;
  /**
   * Class-weighted cross-entropy for sequence or token classification (PyTorch's
   * `CrossEntropyLoss(weight=…, ignore_index=-100)`): one weight per class in class-id order, or
   * 'balanced' (n / (C · count[c]) over the training labels, counted once when training starts).
   * The loss is computed from the output's `logits` and `batch.labels` — the model runs without the
   * labels, so its own loss is not — for training and for `eval_loss` alike. Excludes `computeLoss`.
   */
  classWeights?: ClassWeightsOption;
  /** What to do when the loss or the gradient norm is NaN/±∞: stop with an error (default) or skip the step. */
  onNonFiniteLoss?: 'error' | 'skip';
  /**
   * With `onNonFiniteLoss: 'skip'`: how many steps in a row may be skipped before training stops
   * with a `NonFiniteLossError` (default 10). Skipped steps leave the weights as they were, so a
   * loss that stays NaN would otherwise loop over the data forever.
   */
  maxConsecutiveSkips?: number;
}

export interface TrainResult {
  globalStep: number;
  /** Mean training loss over the steps of this call. */
  trainingLoss: number;
  logHistory: LogEntry[];
}

export class Trainer<T = Example> {
  readonly model: Module;
  readonly optimizer: Optimizer;
  readonly callbacks: TrainerCallback[];
  state: TrainerState;
  private scheduler: LrScheduler | undefined;
  private readonly o: TrainerOptions<T>;
  private readonly forward: ForwardFn;
  private readonly computeLoss: LossFn;
  private weights: number[] | undefined;

  constructor(options: TrainerOptions<T>) {
    this.o = options;
    this.model = trainableModule(options.model);
    const classWeights = options.classWeights;
    if (classWeights !== undefined) {
      if (options.computeLoss) throw new FinetuneError('Trainer: classWeights and computeLoss exclude each other (classWeights sets the loss); weight the loss inside computeLoss instead');
      if (classWeights !== 'balanced') {
        const { count, names } = configClasses(this.model);
        this.weights = checkWeights(classWeights as readonly number[], count, names);
      }
    }
    this.forward = classWeights !== undefined ? withoutLabels(options.forward ?? defaultForward) : (options.forward ?? defaultForward);
    this.computeLoss = classWeights !== undefined ? weightedClassificationLoss(() => this.resolvedWeights()) : (options.computeLoss ?? defaultLoss);
    this.callbacks = [...(options.callbacks ?? [])];
    const opt = options.optimizer;
    this.optimizer =
      typeof opt === 'function'
        ? opt(this.model)
        : (opt ?? new AdamW(groupParameters(this.model, { lr: options.learningRate ?? 5e-5, weightDecay: options.weightDecay ?? 0 }), { lr: options.learningRate ?? 5e-5 }));
    const accum = options.gradientAccumulationSteps ?? 1;
    if (!(Number.isInteger(accum) && accum >= 1)) throw new FinetuneError(`Trainer: gradientAccumulationSteps must be a positive integer, got ${accum}`);
    const skips = options.maxConsecutiveSkips ?? 10;
    if (!(Number.isInteger(skips) && skips >= 1)) throw new FinetuneError(`Trainer: maxConsecutiveSkips must be a positive integer, got ${skips}`);
    this.state = initialState(0);
    const master = new Random(options.seed ?? 42);
    for (const [, rng] of moduleGenerators(this.model)) rng.setState(master.fork().getState());
  }

  /**
   * The class weights the loss uses (`classWeights`; 'balanced' ones once computed from the
   * training labels by `train()` or `evaluate()`), or undefined without class weights.
   */
  get classWeights(): readonly number[] | undefined {
    return this.weights;
  }

  private resolvedWeights(): number[] {
    if (!this.weights) this.weights = this.balancedWeights();
    return this.weights;
  }

  /** 'balanced': counted over the training data as the collator labels it. */
  private balancedWeights(): number[] {
    const ds = this.o.trainDataset;
    if (!ds) throw new FinetuneError("Trainer: classWeights: 'balanced' counts the training labels, and there is no trainDataset; give the weights");
    const { count, names } = configClasses(this.model);
    return balancedClassWeights(ds, this.o.collator, { classes: count, names, batchSize: this.batchSize });
  }

  /** The learning-rate scheduler (created by `train()` once the number of steps is known). */
  get lrScheduler(): LrScheduler | undefined {
    return this.scheduler;
  }

  /** Optimizer steps the configured run takes. */
  numTrainingSteps(): number {
    if (this.o.maxSteps !== undefined) return this.o.maxSteps;
    const ds = this.requireTrain();
    const perEpoch = Math.ceil(ds.numBatches(this.batchSize) / (this.o.gradientAccumulationSteps ?? 1));
    return perEpoch * (this.o.epochs ?? 3);
  }

  /**
   * Trains until `maxSteps` (or `epochs`) or a callback stops it. `resumeFrom`: a checkpoint
   * directory, or `true` for the newest `checkpoint-<step>` in `outputDir`.
   */
  async train(options: { resumeFrom?: string | boolean } = {}): Promise<TrainResult> {
    await loadGradients();
    const dataset = this.requireTrain();
    if (this.o.classWeights !== undefined) this.resolvedWeights();
    if (this.o.outputDir) await removeStaleCheckpointTemps(this.o.outputDir);
    const maxSteps = this.numTrainingSteps();
    this.state = initialState(maxSteps);
    this.scheduler = this.makeScheduler(maxSteps);
    if (options.resumeFrom) await this.resume(options.resumeFrom);
    const state = this.state;
    state.shouldStop = false;
    const accum = this.o.gradientAccumulationSteps ?? 1;
    const batchesPerEpoch = dataset.numBatches(this.batchSize);
    const startStep = state.globalStep;
    let lossTotal = 0;
    let skippedInRow = 0;
    this.model.train();
    await this.emit('onTrainBegin', state);
    outer: while (state.globalStep < maxSteps) {
      const order = dataset.batchIndices({ batchSize: this.batchSize, seed: this.o.seed ?? 42, epoch: state.epochIndex, shuffle: this.o.shuffle ?? true });
      while (state.batchInEpoch < order.length) {
        // Let timers and signal handlers (Ctrl-C setting shouldStop) run between steps.
        await yieldToEventLoop();
        const chunk = order.slice(state.batchInEpoch, state.batchInEpoch + accum).map((idx) => idx.map((i) => dataset.get(i)));
        const started = performance.now();
        const result = this.trainStep(chunk);
        state.batchInEpoch += chunk.length;
        state.epoch = state.epochIndex + state.batchInEpoch / batchesPerEpoch;
        if (result.skipped) {
          state.skippedSteps++;
          if (++skippedInRow >= (this.o.maxConsecutiveSkips ?? 10)) throw new NonFiniteLossError(state.globalStep + 1, result.value, result.what, skippedInRow);
          if (state.shouldStop) break outer;
          continue;
        }
        skippedInRow = 0;
        state.globalStep++;
        lossTotal += result.loss;
        const seconds = (performance.now() - started) / 1000;
        await this.emit('onStepEnd', state, { loss: result.loss, learningRate: result.learningRate, gradNorm: result.gradNorm, seconds, examples: chunk.reduce((n, c) => n + c.length, 0) });
        if (state.globalStep % (this.o.logEvery ?? 10) === 0 || state.globalStep === maxSteps) {
          await this.log({ step: state.globalStep, epoch: round(state.epoch), loss: result.loss, learningRate: result.learningRate, gradNorm: result.gradNorm });
        }
        if (this.o.evalEvery && this.o.evalDataset && state.globalStep % this.o.evalEvery === 0) await this.evaluate();
        if (this.o.saveEvery && state.globalStep % this.o.saveEvery === 0) await this.saveCheckpoint();
        if (state.shouldStop || state.globalStep >= maxSteps) break outer;
      }
      state.epochIndex++;
      state.batchInEpoch = 0;
    }
    if (this.o.saveEvery && this.o.outputDir && state.globalStep % this.o.saveEvery !== 0) await this.saveCheckpoint();
    await this.emit('onTrainEnd', state);
    const steps = state.globalStep - startStep;
    return { globalStep: state.globalStep, trainingLoss: steps ? lossTotal / steps : NaN, logHistory: state.logHistory };
  }

  /** Evaluates on `dataset` (default the eval dataset): `{ eval_loss, eval_<metric>… }`. */
  async evaluate(dataset?: Dataset<T>, prefix = 'eval'): Promise<Record<string, number>> {
    const ds = dataset ?? this.o.evalDataset;
    if (!ds) throw new FinetuneError('Trainer.evaluate: no dataset given and no evalDataset configured');
    const prediction = await this.predictions(ds);
    const metrics: Record<string, number> = {};
    if (prediction.loss !== undefined) metrics[`${prefix}_loss`] = prediction.loss;
    if (this.o.metrics && prediction.labels) {
      for (const [k, v] of Object.entries(this.o.metrics(prediction))) metrics[`${prefix}_${k}`] = v;
    }
    await this.log({ step: this.state.globalStep, epoch: round(this.state.epoch), ...metrics });
    await this.emit('onEvaluate', this.state, metrics);
    return metrics;
  }

  /** Predictions (logits per example), labels and metrics on `dataset`. */
  async predict(dataset: Dataset<T>): Promise<EvalPrediction & { metrics: Record<string, number> }> {
    const prediction = await this.predictions(dataset);
    const metrics: Record<string, number> = {};
    if (prediction.loss !== undefined) metrics['test_loss'] = prediction.loss;
    if (this.o.metrics && prediction.labels) for (const [k, v] of Object.entries(this.o.metrics(prediction))) metrics[`test_${k}`] = v;
    return { ...prediction, metrics };
  }

  /** Writes a resumable checkpoint to `outputDir/checkpoint-<step>` (or `dir`) and returns its path. */
  async saveCheckpoint(dir?: string): Promise<string> {
    const outputDir = this.o.outputDir;
    if (!dir && !outputDir) throw new FinetuneError('Trainer: set outputDir to save checkpoints');
    const path = await importNodeBuiltin('node:path');
    const target = dir ?? path.join(outputDir as string, `checkpoint-${this.state.globalStep}`);
    const optimizerState = this.optimizer.stateDict();
    const callbackMeta: Record<string, Record<string, unknown>> = {};
    const callbackTensors = new Map<string, tf.Tensor>();
    try {
      for (const [key, cb] of this.statefulCallbacks()) {
        const { meta, tensors } = (cb.stateDict as () => CallbackState)();
        callbackMeta[key] = meta;
        for (const [name, t] of tensors ?? []) callbackTensors.set(`${key}/${name}`, t);
      }
      await saveTrainingCheckpoint(target, {
        model: this.model,
        optimizerState,
        callbackTensors,
        checkpoint: {
          state: { ...this.state, shouldStop: false },
          scheduler: this.scheduler?.stateDict(),
          optimizer: optimizerState.meta,
          rng: Object.fromEntries(moduleGenerators(this.model).map(([name, rng]) => [name, rng.getState()])),
          ...(Object.keys(callbackMeta).length ? { callbacks: callbackMeta } : {}),
        },
      });
    } finally {
      for (const t of [...optimizerState.tensors.values(), ...callbackTensors.values()]) t.dispose();
    }
    this.trackBest(target);
    if (!dir && this.o.saveTotalLimit !== undefined) await this.rotate(outputDir as string);
    await this.emit('onSave', this.state, target);
    return target;
  }

  private trainStep(chunk: T[][]): StepResult {
    const names = new Map<string, string>();
    const vars: tf.Variable[] = [];
    for (const [name, p] of this.optimizer.namedParameters()) {
      if (!p.trainable) continue;
      names.set(p.variable.name, name);
      vars.push(p.variable);
    }
    if (vars.length === 0) throw new FinetuneError('Trainer: no trainable parameters (everything is frozen)');
    const grads = new Map<string, tf.Tensor>();
    const disposeAll = (m: Map<string, tf.Tensor>) => m.forEach((t) => t.dispose());
    try {
      let loss = 0;
      for (const examples of chunk) {
        const batch = this.o.collator(examples);
        try {
          const { value, grads: g } = lossAndGrads(() => tf.div(this.computeLoss(this.forward(this.model, batch), batch), chunk.length) as tf.Scalar, vars);
          loss += value;
          for (const [varName, grad] of g) {
            const name = names.get(varName) as string;
            const prev = grads.get(name);
            if (prev) {
              grads.set(name, tf.add(prev, grad));
              prev.dispose();
              grad.dispose();
            } else grads.set(name, grad);
          }
        } finally {
          for (const t of Object.values(batch)) t.dispose();
        }
      }
      const step = this.state.globalStep + 1;
      if (!Number.isFinite(loss)) return this.nonFinite(step, loss, 'loss');
      const gradNorm = globalNorm(grads);
      if (!Number.isFinite(gradNorm)) return this.nonFinite(step, gradNorm, 'gradient norm');
      const learningRate = this.optimizer.paramGroups[0]?.lr ?? 0;
      // Clipping scales the gradients inside the update, and the optimizer disposes each one as
      // soon as it is used (reusing its memory where it can): no second set of gradients.
      const gradScale = this.o.maxGradNorm === null ? undefined : clipCoefficient(gradNorm, this.o.maxGradNorm ?? 1.0);
      this.optimizer.step(grads, { gradScale, disposeGrads: true });
      this.scheduler?.step();
      return { skipped: false, loss, learningRate, gradNorm };
    } finally {
      disposeAll(grads);
    }
  }

  private nonFinite(step: number, value: number, what: string): StepResult {
    if ((this.o.onNonFiniteLoss ?? 'error') === 'error') throw new NonFiniteLossError(step, value, what);
    return { skipped: true, value, what };
  }

  private async predictions(dataset: Dataset<T>): Promise<EvalPrediction> {
    return predictLoop({
      model: this.model,
      dataset,
      collator: this.o.collator,
      batchSize: this.o.evalBatchSize ?? this.batchSize,
      forward: this.forward,
      computeLoss: this.computeLoss,
    });
  }

  private async resume(from: string | boolean): Promise<void> {
    let dir = typeof from === 'string' ? from : undefined;
    if (!dir) {
      if (!this.o.outputDir) throw new FinetuneError('Trainer: resumeFrom: true needs outputDir');
      dir = (await listCheckpoints(this.o.outputDir)).at(-1)?.dir;
      if (!dir) throw new FinetuneError(`Trainer: no checkpoint-<step> directory in ${this.o.outputDir} to resume from`);
    }
    const loaded = await loadTrainingCheckpoint(dir);
    try {
      this.model.loadStateDict(loaded.weights, { where: `${dir}/model.safetensors` });
      this.optimizer.loadStateDict({ tensors: loaded.optimizerTensors, meta: loaded.checkpoint.optimizer });
      if (loaded.checkpoint.scheduler) this.scheduler?.loadStateDict(loaded.checkpoint.scheduler);
      for (const [name, rng] of moduleGenerators(this.model)) {
        const saved = loaded.checkpoint.rng[name];
        if (saved) rng.setState(saved);
      }
      for (const [key, cb] of this.statefulCallbacks()) {
        const meta = loaded.checkpoint.callbacks?.[key];
        if (!meta) throw new CheckpointError(`${dir}: no state for callback "${key}" (the checkpoint was written without it); resume with the callbacks of the original run`);
        const tensors = new Map<string, tf.Tensor>();
        for (const [name, t] of loaded.callbackTensors) if (name.startsWith(`${key}/`)) tensors.set(name.slice(key.length + 1), t);
        (cb.loadStateDict as (s: CallbackState) => void)({ meta, tensors });
      }
      this.state = { ...loaded.checkpoint.state, maxSteps: this.state.maxSteps, shouldStop: false };
    } finally {
      for (const t of [...loaded.weights.values(), ...loaded.optimizerTensors.values(), ...loaded.callbackTensors.values()]) t.dispose();
    }
  }

  /** Callbacks that checkpoint state of their own, by key (keys must be unique). */
  private statefulCallbacks(): [string, TrainerCallback][] {
    const out = new Map<string, TrainerCallback>();
    for (const cb of this.callbacks) {
      if (!cb.stateKey || !cb.stateDict || !cb.loadStateDict) continue;
      if (out.has(cb.stateKey)) throw new FinetuneError(`Trainer: two callbacks checkpoint their state under the key "${cb.stateKey}"; give them different stateKey values`);
      out.set(cb.stateKey, cb);
    }
    return [...out];
  }

  private makeScheduler(steps: number): LrScheduler {
    const s = this.o.scheduler ?? 'linear';
    if (typeof s === 'function') return s(this.optimizer, steps);
    const warmup = this.o.warmupSteps ?? Math.ceil((this.o.warmupRatio ?? 0) * steps);
    return new LrScheduler(this.optimizer, s, { numTrainingSteps: steps, numWarmupSteps: warmup });
  }

  private trackBest(dir: string): void {
    const metric = this.o.metricForBestModel;
    if (!metric) return;
    const key = metric.startsWith('eval_') ? metric : `eval_${metric}`;
    const last = [...this.state.logHistory].reverse().find((e) => e[key] !== undefined)?.[key];
    if (last === undefined) return;
    const greater = this.o.greaterIsBetter ?? !key.includes('loss');
    const best = this.state.bestMetric;
    if (best === undefined || (greater ? last > best : last < best)) {
      this.state.bestMetric = last;
      this.state.bestCheckpoint = dir;
    }
  }

  private async rotate(outputDir: string): Promise<void> {
    const fs = await importNodeBuiltin('node:fs/promises');
    const all = await listCheckpoints(outputDir);
    const removable = all.filter((c) => c.dir !== this.state.bestCheckpoint);
    const excess = all.length - (this.o.saveTotalLimit as number);
    for (const c of removable.slice(0, Math.max(0, excess))) await fs.rm(c.dir, { recursive: true, force: true });
  }

  private async log(entry: LogEntry): Promise<void> {
    const clean = Object.fromEntries(Object.entries(entry).filter(([, v]) => v !== undefined)) as LogEntry;
    this.state.logHistory.push(clean);
    await this.emit('onLog', this.state, clean);
  }

  private async emit<K extends TrainerHook>(hook: K, ...args: Parameters<NonNullable<TrainerCallback[K]>>): Promise<void> {
    for (const cb of this.callbacks) {
      const fn = cb[hook] as ((...a: unknown[]) => unknown) | undefined;
      if (fn) await fn.apply(cb, args);
    }
  }

  private get batchSize(): number {
    return this.o.batchSize ?? 8;
  }

  private requireTrain(): Dataset<T> {
    if (!this.o.trainDataset) throw new FinetuneError('Trainer: no trainDataset configured');
    if (this.o.trainDataset.length === 0) throw new FinetuneError('Trainer: trainDataset is empty');
    return this.o.trainDataset;
  }
}

type StepResult = { skipped: false; loss: number; learningRate: number; gradNorm: number } | { skipped: true; value: number; what: string };

/** Resolves after pending timers, I/O and signal handlers have had their turn. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
