/**
 * Typed errors. Every error tfkit throws on bad input is a `TfkitError` with a stable `code`, and
 * its message says what was wrong, where (file, tensor, field, key) and what to do about it.
 */
export class TfkitError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'TfkitError';
  }
}

/** Unknown or duplicate registry key. */
export class RegistryError extends TfkitError {
  constructor(message: string) {
    super('ERR_REGISTRY', message);
    this.name = 'RegistryError';
  }
}

/** A malformed or unsupported safetensors file. `file` and `tensor` say where. */
export class SafetensorsError extends TfkitError {
  readonly file: string;
  readonly tensor: string | undefined;
  constructor(message: string, where: { file: string; tensor?: string }) {
    super('ERR_SAFETENSORS', `${where.file}${where.tensor ? ` (tensor "${where.tensor}")` : ''}: ${message}`);
    this.name = 'SafetensorsError';
    this.file = where.file;
    this.tensor = where.tensor;
  }
}

/** A checkpoint or config that cannot be read or does not describe a usable model. */
export class CheckpointError extends TfkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_CHECKPOINT', message, options);
    this.name = 'CheckpointError';
  }
}

/** A tensor whose shape or dtype does not fit where it was passed. */
export class ShapeError extends TfkitError {
  constructor(message: string) {
    super('ERR_SHAPE', message);
    this.name = 'ShapeError';
  }
}

/** A config value that is missing, of the wrong type or out of range. */
export class ConfigError extends TfkitError {
  constructor(message: string) {
    super('ERR_CONFIG', message);
    this.name = 'ConfigError';
  }
}
