/**
 * Typed errors. Every error tfkit throws on bad input is a `TfkitError` with a stable `code`, and
 * its message says what was wrong, where (file, tensor, field, key) and what to do about it.
 */
import { TfkitError } from './tfkit-error.js';

export { TfkitError };

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
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? 'ERR_CHECKPOINT', message, options);
    this.name = 'CheckpointError';
  }
}

/** A download that made no progress for `stallTimeout` ms, or took longer than `timeout` ms in all. */
export class SourceTimeoutError extends CheckpointError {
  readonly url: string;
  readonly timeoutMs: number;
  readonly kind: 'stall' | 'total';
  constructor(message: string, where: { url: string; timeoutMs: number; kind: 'stall' | 'total' }) {
    super(message, { code: 'ERR_TIMEOUT' });
    this.name = 'SourceTimeoutError';
    this.url = where.url;
    this.timeoutMs = where.timeoutMs;
    this.kind = where.kind;
  }
}

/** A download or read stopped by the caller's `signal`; `cause` is the signal's reason. */
export class SourceAbortedError extends CheckpointError {
  readonly url: string;
  constructor(message: string, where: { url: string; cause?: unknown }) {
    super(message, { code: 'ERR_ABORTED', cause: where.cause });
    this.name = 'SourceAbortedError';
    this.url = where.url;
  }
}

/** A file (local, cached or downloaded) larger than the `maxFileSize` / `maxTextSize` limit. */
export class FileTooLargeError extends CheckpointError {
  /** The URL or path. */
  readonly file: string;
  readonly limit: number;
  /** The size announced or found so far, in bytes. */
  readonly size: number;
  constructor(message: string, where: { file: string; limit: number; size: number }) {
    super(message, { code: 'ERR_TOO_LARGE' });
    this.name = 'FileTooLargeError';
    this.file = where.file;
    this.limit = where.limit;
    this.size = where.size;
  }
}

/**
 * A model id, revision or file name that would leave its folder (`..`, an absolute path, a
 * backslash, a NUL), or a symbolic link in a checkpoint folder that leads outside it.
 */
export class UnsafePathError extends CheckpointError {
  readonly path: string;
  constructor(message: string, path: string) {
    super(message, { code: 'ERR_UNSAFE_PATH' });
    this.name = 'UnsafePathError';
    this.path = path;
  }
}

/** A tensor whose shape or dtype does not fit where it was passed. */
export class ShapeError extends TfkitError {
  /** `code` lets a subclass (an invalid model input: `ERR_INPUT`) keep its own. */
  constructor(message: string, code = 'ERR_SHAPE') {
    super(code, message);
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

/** A tokenizer paired with a model that has fewer embedding rows than the tokenizer has ids. */
export class TokenizerMismatchError extends ConfigError {
  readonly tokenizerVocab: number;
  readonly modelVocab: number;

  constructor(message: string, sizes: { tokenizerVocab: number; modelVocab: number }) {
    super(message);
    this.name = 'TokenizerMismatchError';
    this.tokenizerVocab = sizes.tokenizerVocab;
    this.modelVocab = sizes.modelVocab;
  }
}

/**
 * A tokenizer paired with a model (pipelines, the CLI) must not produce ids the model has no embedding row for:
 * `tokenizerVocab` (the tokenizer's `vocabSize`, added tokens included) must not exceed the
 * model's `vocab_size`. A model with more rows than the tokenizer has ids is fine (tables are
 * often padded to a multiple of 8 or 64).
 */
export function checkTokenizerFitsModel(tokenizerVocab: number, modelVocab: number, where: string): void {
  if (tokenizerVocab > modelVocab) {
    throw new TokenizerMismatchError(
      `${where}: the tokenizer has ${tokenizerVocab} ids but the model's vocabulary has ${modelVocab} rows (vocab_size); ` +
        `ids ${modelVocab}…${tokenizerVocab - 1} would have no embedding. Use the tokenizer saved with the model, or resize the model's token embeddings`,
      { tokenizerVocab, modelVocab },
    );
  }
}

/** `pipeline(task)` without a model, for a task that has no default model. `task` names it. */
export class NoDefaultModelError extends TfkitError {
  readonly task: string;
  constructor(task: string) {
    super(
      'ERR_NO_DEFAULT_MODEL',
      `pipeline("${task}"): this task has no default model; pass one, e.g. pipeline("${task}", "./my-model") ` +
        `with a checkpoint directory, a URL or a hub id such as "org/name"`,
    );
    this.name = 'NoDefaultModelError';
    this.task = task;
  }
}

/** No TensorFlow.js backend is registered or active, so no tensor can be made. */
export class NoBackendError extends TfkitError {
  constructor(where: string) {
    super(
      'ERR_NO_BACKEND',
      `${where}: no TensorFlow.js backend is registered. Install one (npm i @tensorflow/tfjs-backend-wasm, or @tensorflow/tfjs-backend-cpu) ` +
        `and activate it first: registerAllBackends(registry) and await useBackend(registry) from @tfkit/backends, or use @tfkit/all's pipeline()`,
    );
    this.name = 'NoBackendError';
  }
}
