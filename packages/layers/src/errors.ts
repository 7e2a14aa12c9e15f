/**
 * Typed errors of @tfkit/layers beyond the module system's `StateDictError`: model inputs that do
 * not fit the model. Config problems are `ConfigError`s (core-tensor) or a family's subclass.
 */
import { ConfigError, ShapeError } from '@tfkit/core-tensor';

/**
 * A model input that does not fit the model: a token id outside the vocabulary, a ragged or empty
 * batch, a mask of another shape than the ids, a value of the wrong type. `argument` names the
 * input (`inputIds`, `attentionMask`, …) and `index` the offending entry when there is one. A
 * `ShapeError` (code `ERR_INPUT`), so code catching shape errors keeps working.
 */
export class InputError extends ShapeError {
  readonly argument: string;
  readonly index: readonly number[] | undefined;

  constructor(message: string, where: { argument: string; index?: readonly number[] }) {
    super(message, 'ERR_INPUT');
    this.name = 'InputError';
    this.argument = where.argument;
    this.index = where.index;
  }
}

// Defined in core-tensor (the text-to-text pipeline of @tfkit/generation checks it too); re-exported here.
export { TokenizerMismatchError } from '@tfkit/core-tensor';

/**
 * A config value that is missing, of the wrong type, out of range or too large; `key` is its
 * `config.json` name (snake_case), whichever form the config came in. Each family's config error
 * (`BertConfigError`, `BartConfigError`, …) is one.
 */
export class ConfigKeyError extends ConfigError {
  readonly key: string;

  constructor(where: string, key: string, problem: string) {
    super(`${where}: ${key} ${problem}`);
    this.name = 'ConfigKeyError';
    this.key = key;
  }
}
