/**
 * The base class of every typed tfkit error, in a file (and build entry) of its own: a package that
 * only subclasses it (the tokenizers) bundles this class and none of the other error classes.
 * Import it from `@tfkit/core-tensor/errors` (or the main entry), which re-export it.
 */
export class TfkitError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'TfkitError';
  }
}
