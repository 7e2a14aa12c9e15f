import { TfkitError } from '@tfkit/core-tensor';

/** A backend that cannot run here, failed to start, or was asked for something it cannot do. */
export class BackendError extends TfkitError {
  readonly backend: string;
  constructor(backend: string, message: string, options?: { cause?: unknown }) {
    super('ERR_BACKEND', `backend "${backend}": ${message}`, options);
    this.name = 'BackendError';
    this.backend = backend;
  }
}

/** The message of anything thrown (tfjs-backend-wasm rejects with plain `{ message }` objects). */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && 'message' in error) return String((error as { message: unknown }).message);
  return String(error);
}
