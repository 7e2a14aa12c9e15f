import { TfkitError } from '@tfkit/core-tensor';

/** An export that cannot be written: an unknown family, an opset out of range, a graph that refers to a value nobody made. */
export class OnnxExportError extends TfkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_ONNX_EXPORT', message, options);
    this.name = 'OnnxExportError';
  }
}

/** An ONNX Runtime package the caller asked for is not installed (or failed to load); the message names what to install. */
export class OnnxRuntimeMissingError extends TfkitError {
  readonly packageName: string;
  constructor(packageName: string, what: string, options?: { cause?: unknown }) {
    super(
      'ERR_ONNX_RUNTIME_MISSING',
      `${what} needs the optional package "${packageName}", which is not installed or failed to load; install it with \`pnpm add ${packageName}\` (or npm install ${packageName})`,
      options,
    );
    this.name = 'OnnxRuntimeMissingError';
    this.packageName = packageName;
  }
}

/** An ONNX folder or session that cannot serve the request (no model file, a missing input, a task it has no head for). */
export class OnnxInferenceError extends TfkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_ONNX_INFERENCE', message, options);
    this.name = 'OnnxInferenceError';
  }
}
