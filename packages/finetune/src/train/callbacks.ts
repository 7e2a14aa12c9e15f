/**
 * Trainer callbacks: hooks called at the start and end of training, after each optimizer step,
 * after each evaluation and after each save. A callback can stop training by setting
 * `state.shouldStop`. Built in: logging, early stopping and a progress bar.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { LogEntry, StepInfo, TrainerState } from './state.js';
import { formatProgress } from './progress.js';

export interface TrainerCallback {
  onTrainBegin?(state: TrainerState): void | Promise<void>;
  onStepEnd?(state: TrainerState, step: StepInfo): void | Promise<void>;
  /** A training-loss entry (every `logEvery` steps) or evaluation results. */
  onLog?(state: TrainerState, entry: LogEntry): void | Promise<void>;
  onEvaluate?(state: TrainerState, metrics: Record<string, number>): void | Promise<void>;
  onSave?(state: TrainerState, dir: string): void | Promise<void>;
  onTrainEnd?(state: TrainerState): void | Promise<void>;
  /**
   * A callback with state of its own (a running average, a patience counter) names it here, and
   * the Trainer saves `stateDict()` in every checkpoint under this key and hands it back to
   * `loadStateDict` on resume, so a resumed run continues exactly.
   */
  readonly stateKey?: string;
  stateDict?(): CallbackState;
  loadStateDict?(state: CallbackState): void;
}

/** A callback's checkpointed state: JSON metadata and named tensors (copies, owned by the caller). */
export interface CallbackState {
  meta: Record<string, unknown>;
  tensors?: Map<string, tf.Tensor>;
}

/** Writes each log entry as one line (JSON when `json` is set). */
export class LoggingCallback implements TrainerCallback {
  private readonly write: (line: string) => void;
  private readonly json: boolean;
  constructor(options: { write?: (line: string) => void; json?: boolean } = {}) {
    this.write = options.write ?? ((line) => console.log(line));
    this.json = options.json ?? false;
  }

  onLog(_state: TrainerState, entry: LogEntry): void {
    if (this.json) {
      this.write(JSON.stringify(entry));
      return;
    }
    const parts = Object.entries(entry)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : (v as number).toPrecision(4)}`);
    this.write(parts.join(' '));
  }
}

export interface EarlyStoppingOptions {
  /** Metric to watch, as evaluation reports it (default `eval_loss`). */
  metric?: string;
  /** Evaluations without improvement before stopping (default 3). */
  patience?: number;
  /** Improvement smaller than this does not count (default 0). */
  threshold?: number;
  /** Default: false for names containing `loss`, true otherwise. */
  greaterIsBetter?: boolean;
}

/** Stops training when the watched metric has not improved for `patience` evaluations. */
export class EarlyStoppingCallback implements TrainerCallback {
  readonly metric: string;
  readonly patience: number;
  readonly threshold: number;
  readonly greaterIsBetter: boolean;
  private best: number | undefined;
  /** Evaluations since the last improvement. */
  waited = 0;
  readonly stateKey = 'early_stopping';

  constructor(options: EarlyStoppingOptions = {}) {
    this.metric = options.metric ?? 'eval_loss';
    this.patience = options.patience ?? 3;
    this.threshold = options.threshold ?? 0;
    this.greaterIsBetter = options.greaterIsBetter ?? !this.metric.includes('loss');
  }

  onEvaluate(state: TrainerState, metrics: Record<string, number>): void {
    const value = metrics[this.metric];
    if (value === undefined) return;
    const improved = this.best === undefined || (this.greaterIsBetter ? value > this.best + this.threshold : value < this.best - this.threshold);
    if (improved) {
      this.best = value;
      this.waited = 0;
    } else if (++this.waited >= this.patience) {
      state.shouldStop = true;
    }
  }

  stateDict(): CallbackState {
    return { meta: { best: this.best ?? null, waited: this.waited } };
  }

  loadStateDict(state: CallbackState): void {
    const { best, waited } = state.meta as { best: number | null; waited: number };
    this.best = best ?? undefined;
    this.waited = waited;
  }
}

/**
 * A one-line progress bar — step, loss, learning rate, speed, ETA — redrawn in place on a
 * terminal, or printed every `every` steps otherwise.
 */
export class ProgressCallback implements TrainerCallback {
  private readonly write: (text: string) => void;
  private readonly isTTY: boolean;
  private readonly every: number;
  private readonly width: number;
  private started = 0;
  private stepsAtStart = 0;
  private smoothedLoss: number | undefined;

  constructor(options: { write?: (text: string) => void; isTTY?: boolean; every?: number; width?: number } = {}) {
    this.write = options.write ?? ((text) => process.stderr.write(text));
    this.isTTY = options.isTTY ?? Boolean(process.stderr.isTTY);
    this.every = options.every ?? 10;
    this.width = options.width ?? 24;
  }

  onTrainBegin(state: TrainerState): void {
    this.started = Date.now();
    this.stepsAtStart = state.globalStep;
  }

  onStepEnd(state: TrainerState, step: StepInfo): void {
    this.smoothedLoss = this.smoothedLoss === undefined ? step.loss : 0.9 * this.smoothedLoss + 0.1 * step.loss;
    const elapsed = (Date.now() - this.started) / 1000;
    const done = state.globalStep - this.stepsAtStart;
    const line = formatProgress({
      step: state.globalStep,
      maxSteps: state.maxSteps,
      loss: this.smoothedLoss,
      learningRate: step.learningRate,
      examplesPerSecond: step.seconds > 0 ? step.examples / step.seconds : 0,
      etaSeconds: done > 0 ? (elapsed / done) * (state.maxSteps - state.globalStep) : undefined,
      width: this.width,
    });
    if (this.isTTY) this.write(`\r${line}\x1b[K`);
    else if (state.globalStep % this.every === 0 || state.globalStep === state.maxSteps) this.write(`${line}\n`);
  }

  onLog(_state: TrainerState, entry: LogEntry): void {
    const evals = Object.entries(entry).filter(([k]) => k.startsWith('eval_'));
    if (evals.length === 0) return;
    const text = evals.map(([k, v]) => `${k}=${(v as number).toPrecision(4)}`).join(' ');
    this.write(`${this.isTTY ? '\r\x1b[K' : ''}step ${entry.step}: ${text}\n`);
  }

  onTrainEnd(): void {
    if (this.isTTY) this.write('\n');
  }
}
