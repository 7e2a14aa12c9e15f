// The base class alone (not `@tfkit/core-tensor/errors`, whose other classes a page would then load with it).
import { TfkitError } from '@tfkit/core-tensor/tfkit-error';

/** A tokenizer file, option or input that cannot be used. The message says what, where and what to do. */
export class TokenizerError extends TfkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_TOKENIZER', message, options);
    this.name = 'TokenizerError';
  }
}
