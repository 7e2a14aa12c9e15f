/**
 * Learning-rate schedules as multipliers of each group's initial learning rate (PyTorch's
 * LambdaLR, which is how Hugging Face's `get_scheduler` builds them), so per-group rates such as
 * layer-wise decay keep their ratios. `step()` is called after each optimizer step.
 */
import { FinetuneError } from '../errors.js';
import type { Optimizer } from './optimizer.js';

export type SchedulerName = 'constant' | 'constant_with_warmup' | 'linear' | 'cosine' | 'swa';

export interface SchedulerOptions {
  /** Total optimizer steps of the run (needed by every schedule that decays). */
  numTrainingSteps?: number;
  numWarmupSteps?: number;
  /** `cosine`: number of cosine waves (0.5, the default, is one half-cosine from 1 down to 0). */
  numCycles?: number;
  /** `swa`: fraction of training after which the rate is held constant (default 0.75). */
  swaStart?: number;
  /** `swa`: the constant multiplier of the last phase (default 0.5 of the peak rate). */
  swaLrRatio?: number;
}

/** The multiplier at `step` (0-based count of steps already taken). */
export function lrLambda(name: SchedulerName, o: SchedulerOptions): (step: number) => number {
  const warmup = o.numWarmupSteps ?? 0;
  const total = o.numTrainingSteps;
  const needTotal = (): number => {
    if (total === undefined || !(total > 0)) throw new FinetuneError(`scheduler "${name}": numTrainingSteps must be a positive number`);
    return total;
  };
  const warm = (step: number): number | undefined => (step < warmup ? step / Math.max(1, warmup) : undefined);
  switch (name) {
    case 'constant':
      return () => 1;
    case 'constant_with_warmup':
      return (step) => warm(step) ?? 1;
    case 'linear': {
      const t = needTotal();
      return (step) => warm(step) ?? Math.max(0, (t - step) / Math.max(1, t - warmup));
    }
    case 'cosine': {
      const t = needTotal();
      const cycles = o.numCycles ?? 0.5;
      return (step) => {
        const w = warm(step);
        if (w !== undefined) return w;
        const progress = (step - warmup) / Math.max(1, t - warmup);
        return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * cycles * 2 * progress)));
      };
    }
    case 'swa': {
      // Linear warmup, then linear decay from 1 to swaLrRatio over the first swaStart of training,
      // then constant swaLrRatio while weights are averaged.
      const t = needTotal();
      const start = Math.round(t * (o.swaStart ?? 0.75));
      const ratio = o.swaLrRatio ?? 0.5;
      return (step) => {
        const w = warm(step);
        if (w !== undefined) return w;
        if (step >= start) return ratio;
        return 1 - (1 - ratio) * ((step - warmup) / Math.max(1, start - warmup));
      };
    }
    default: {
      const never: never = name;
      throw new FinetuneError(`unknown scheduler "${String(never)}"; use constant, constant_with_warmup, linear, cosine or swa`);
    }
  }
}

export class LrScheduler {
  readonly name: SchedulerName;
  readonly optimizer: Optimizer;
  private readonly lambda: (step: number) => number;
  /** Steps taken so far. */
  stepCount = 0;

  constructor(optimizer: Optimizer, name: SchedulerName, options: SchedulerOptions = {}) {
    this.name = name;
    this.optimizer = optimizer;
    this.lambda = lrLambda(name, options);
    this.apply();
  }

  /** Advances one step and sets every group's learning rate for the next one. */
  step(): void {
    this.stepCount++;
    this.apply();
  }

  /** The learning rate of each group for the next step. */
  getLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  stateDict(): { name: SchedulerName; stepCount: number } {
    return { name: this.name, stepCount: this.stepCount };
  }

  loadStateDict(state: { name: string; stepCount: number }): void {
    if (state.name !== this.name) throw new FinetuneError(`scheduler: a "${state.name}" state cannot be loaded into "${this.name}"`);
    this.stepCount = state.stepCount;
    this.apply();
  }

  private apply(): void {
    const factor = this.lambda(this.stepCount);
    for (const g of this.optimizer.paramGroups) g.lr = g.initialLr * factor;
  }
}
