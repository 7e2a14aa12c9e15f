/** Errors raised while generating. */
import { TfkitError } from '@tfkit/core-tensor';

/** A generation that cannot proceed: inputs that do not fit the settings, or a model that broke an invariant. */
export class GenerationError extends TfkitError {
  constructor(message: string) {
    super('ERR_GENERATION', message);
    this.name = 'GenerationError';
  }
}
