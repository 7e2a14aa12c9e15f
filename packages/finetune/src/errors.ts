/** Errors raised while training or adapting a model. */
import { TfkitError } from '@tfkit/core-tensor';

/** A training or fine-tuning setup that cannot work (bad option, nothing to train, unknown adapter). */
export class FinetuneError extends TfkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_FINETUNE', message, options);
    this.name = 'FinetuneError';
  }
}

/**
 * The loss (or the gradient norm) became NaN or ±∞. Training stops before the optimizer touches the
 * weights, and no checkpoint is written for the bad step, so the last checkpoint on disk is good.
 */
export class NonFiniteLossError extends TfkitError {
  readonly step: number;
  readonly value: number;
  constructor(step: number, value: number, what = 'loss') {
    super(
      'ERR_NON_FINITE_LOSS',
      `training step ${step}: the ${what} is ${value}. The weights were not updated and no checkpoint was written. ` +
        'Lower the learning rate, set maxGradNorm, check the data for empty or broken examples, ' +
        "or pass onNonFiniteLoss: 'skip' to drop such steps.",
    );
    this.name = 'NonFiniteLossError';
    this.step = step;
    this.value = value;
  }
}
