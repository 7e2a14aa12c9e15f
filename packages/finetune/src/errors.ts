/** Errors raised while training or adapting a model. */
import { CheckpointError, TfkitError } from '@tfkit/core-tensor';

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
  /** With `onNonFiniteLoss: 'skip'`: the steps skipped in a row when training gave up (0 otherwise). */
  readonly consecutiveSkips: number;
  constructor(step: number, value: number, what = 'loss', consecutiveSkips = 0) {
    super(
      'ERR_NON_FINITE_LOSS',
      consecutiveSkips > 0
        ? `training step ${step}: the ${what} is ${value}, the ${consecutiveSkips}th step in a row that was not finite (onNonFiniteLoss: 'skip' ` +
            'gives up after maxConsecutiveSkips). The weights were not updated by any of them. Check the data for empty or broken ' +
            'examples and the loss for a division by zero, lower the learning rate, or raise maxConsecutiveSkips.'
        : `training step ${step}: the ${what} is ${value}. The weights were not updated and no checkpoint was written. ` +
            'Lower the learning rate, set maxGradNorm, check the data for empty or broken examples, ' +
            "or pass onNonFiniteLoss: 'skip' to drop such steps.",
    );
    this.name = 'NonFiniteLossError';
    this.step = step;
    this.value = value;
    this.consecutiveSkips = consecutiveSkips;
  }
}

/**
 * A training checkpoint could not be written (disk full, no permission, …). The half-written
 * temporary folder has been removed and the checkpoints already on disk are untouched.
 */
export class CheckpointSaveError extends CheckpointError {
  /** The checkpoint folder that was being written. */
  readonly path: string;
  /** The system error code of the failure (`ENOSPC`, `EACCES`, …), when there was one. */
  readonly systemCode: string | undefined;
  constructor(path: string, cause: unknown) {
    const code = systemErrorCode(cause);
    const hint = code === 'ENOSPC' ? 'free disk space or point outputDir at a larger disk' : 'check that outputDir is writable and has free space';
    super(`cannot save the checkpoint ${path}: ${(cause as Error)?.message ?? String(cause)}. The partial copy was removed and earlier checkpoints are intact; ${hint}, then resume from the last checkpoint.`, { cause });
    this.name = 'CheckpointSaveError';
    this.path = path;
    this.systemCode = code;
  }
}

/** The first `ENOSPC`-style code along an error's `cause` chain. */
function systemErrorCode(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
  }
  return undefined;
}
