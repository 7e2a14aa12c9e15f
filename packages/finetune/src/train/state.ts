/** What the Trainer tracks while it runs, and what callbacks receive. */

/** One logged training step (the loss curve) or evaluation. */
export interface LogEntry {
  step: number;
  /** Fractional epoch: 1.5 = half-way through the second epoch. */
  epoch: number;
  loss?: number;
  learningRate?: number;
  gradNorm?: number;
  /** Evaluation results, prefixed `eval_` (`eval_loss`, `eval_accuracy`, …). */
  [key: string]: number | undefined;
}

export interface TrainerState {
  /** Optimizer steps taken. */
  globalStep: number;
  /** Total optimizer steps this run will take. */
  maxSteps: number;
  /** Current epoch (0-based) and how many batches of it are consumed. */
  epochIndex: number;
  batchInEpoch: number;
  /** Fractional epoch for logs. */
  epoch: number;
  /** Steps whose loss was not finite and were skipped (`onNonFiniteLoss: 'skip'`). */
  skippedSteps: number;
  /** Every logged step and evaluation. */
  logHistory: LogEntry[];
  /** Best value of `metricForBestModel` seen, and the checkpoint that had it. */
  bestMetric?: number;
  bestCheckpoint?: string;
  /** Set by a callback (early stopping) to end training after the current step. */
  shouldStop: boolean;
}

export function initialState(maxSteps: number): TrainerState {
  return { globalStep: 0, maxSteps, epochIndex: 0, batchInEpoch: 0, epoch: 0, skippedSteps: 0, logHistory: [], shouldStop: false };
}

/** Step-level numbers a progress display needs. */
export interface StepInfo {
  loss: number;
  learningRate: number;
  gradNorm?: number;
  /** Seconds the step took. */
  seconds: number;
  /** Examples in the step (all accumulated micro-batches). */
  examples: number;
}
