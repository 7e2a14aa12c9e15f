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

/** True when `error` says a module could not be found (Node, browsers and bundlers word it differently). */
function isModuleNotFound(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null && 'code' in error ? (error as { code: unknown }).code : undefined;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return true;
  return /cannot find (module|package)|failed to resolve module specifier|failed to fetch dynamically imported module|could not resolve/i.test(describeError(error));
}

/**
 * The error for a backend whose optional peer package is not installed: a `BackendError` naming the
 * package to install. Anything else (a failing install, a broken module) is rethrown unchanged.
 *
 * The backends import their tfjs package inside `try`, so a browser bundler (esbuild, Vite) leaves an
 * uninstalled peer out of the bundle instead of failing the build.
 */
export function missingPeer(backend: string, pkg: string, error: unknown): never {
  if (!isModuleNotFound(error)) throw error;
  throw new BackendError(backend, `its package is not installed: add ${pkg} (npm install ${pkg}) or pick another backend`, { cause: error });
}
