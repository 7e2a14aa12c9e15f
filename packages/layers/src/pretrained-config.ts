/**
 * The parts of Hugging Face's `PretrainedConfig` every family's config shares: the label maps of
 * classification heads (`id2label`, `label2id`, `num_labels`) and how `save_pretrained` finishes a
 * `config.json`. Each family keeps its own keys, defaults and validation.
 */
import { getActivation, type HfConfig } from '@tfkit/core-tensor';
import { CONFIG_LIMITS } from './pretrained.js';

/** Label names by class index and back; the size of `id2label` is the number of labels. */
export interface LabelMaps {
  id2label: Record<number, string>;
  label2id: Record<string, number>;
}

/** Number of labels of a config (the size of `id2label`). */
export function numLabels(config: Pick<LabelMaps, 'id2label'>): number {
  return Object.keys(config.id2label).length;
}

/** Labels `LABEL_0 … LABEL_{n-1}` for a head with `n` classes. */
export function defaultLabels(n: number): LabelMaps {
  const id2label: Record<number, string> = {};
  const label2id: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    id2label[i] = `LABEL_${i}`;
    label2id[`LABEL_${i}`] = i;
  }
  return { id2label, label2id };
}

/**
 * A config from a family's defaults and a partial input: `numLabels` gives labels `LABEL_0 …
 * LABEL_{n-1}` unless `id2label` is given, and `label2id` follows `id2label` when only that is.
 */
export function configWithLabels<C extends LabelMaps>(defaults: C, partial: Partial<C> & { numLabels?: number }): C {
  const { numLabels: n, ...rest } = partial;
  const given = rest as Partial<C>;
  const labels = given.id2label ? {} : n !== undefined ? defaultLabels(n) : {};
  const config: C = { ...defaults, ...labels, ...given };
  if (given.id2label && !given.label2id) {
    config.label2id = Object.fromEntries(Object.entries(given.id2label).map(([i, l]) => [l, Number(i)]));
  }
  return config;
}

/**
 * The labels of a `config.json` as a family's config input takes them: `id2label` with numeric
 * keys, `label2id` only when it names the same labels, or `numLabels` when the file gives only
 * `num_labels` — or an explicit `num_labels` of another size than `id2label`, which wins as in
 * Hugging Face (`LABEL_0 … LABEL_{n-1}`). An `id2label` that is not an object is ignored: the
 * family rejects it first, its own way.
 */
export function labelsFromHf(json: HfConfig): Partial<LabelMaps> & { numLabels?: number } {
  const id2label = json['id2label'];
  const n = json['num_labels'];
  const out: Partial<LabelMaps> & { numLabels?: number } = {};
  if (id2label && typeof id2label === 'object') {
    const labels = Object.fromEntries(Object.entries(id2label).map(([i, l]) => [Number(i), String(l)]));
    if (typeof n !== 'number' || n === Object.keys(labels).length) {
      out.id2label = labels;
      const label2id = json['label2id'];
      const names = Object.values(labels).sort().join('\u0000');
      if (label2id && typeof label2id === 'object' && Object.keys(label2id).sort().join('\u0000') === names) {
        out.label2id = Object.fromEntries(Object.entries(label2id).map(([l, i]) => [l, Number(i)]));
      }
    }
  }
  if (typeof n === 'number' && !out.id2label) out.numLabels = n;
  return out;
}

/**
 * A `numLabels` (`num_labels`) that is a positive integer up to `CONFIG_LIMITS.labels`, checked
 * before any label map of that size is made; `fail` makes the family's error.
 */
export function checkNumLabels(n: unknown, fail: (key: string, problem: string) => Error): void {
  if (n === undefined) return;
  if (!(typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= CONFIG_LIMITS.labels)) {
    throw fail('num_labels', `must be a positive integer up to ${CONFIG_LIMITS.labels}, got ${show(n)}`);
  }
}

/**
 * Rejects label keys of the wrong type in a `config.json` (an `id2label` that is not an object of
 * index → label, a `num_labels` that is not a number) with the family's error, made by `fail`.
 */
export function checkHfLabelTypes(json: HfConfig, fail: (key: string, problem: string) => Error): void {
  const id2label = json['id2label'];
  if (id2label !== undefined && id2label !== null && (typeof id2label !== 'object' || Array.isArray(id2label))) {
    throw fail('id2label', 'must be an object of index → label');
  }
  const n = json['num_labels'];
  if (n !== undefined && typeof n !== 'number') throw fail('num_labels', `must be a positive integer, got ${JSON.stringify(n)}`);
}

/**
 * Finishes a `config.json` as `save_pretrained` writes it: the labels (string keys), no
 * `num_labels` (`id2label` says it), `torch_dtype` float32 unless the loaded file named one, keys
 * sorted.
 */
export function finishHfConfig(out: HfConfig, labels: LabelMaps): HfConfig {
  out['id2label'] = Object.fromEntries(Object.entries(labels.id2label).map(([i, l]) => [String(i), l]));
  out['label2id'] = { ...labels.label2id };
  delete out['num_labels'];
  if (out['torch_dtype'] === undefined) out['torch_dtype'] = 'float32';
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * The checks every family makes of its config values, each failing with the family's error for
 * the value's `config.json` key (`names` maps the camelCase field to it), so that a config built
 * in code and one read from a file get the same message. Nothing is built before they pass.
 */
export class ConfigChecks<C extends object> {
  constructor(
    private readonly config: C,
    private readonly names: Partial<Record<keyof C, string>>,
    private readonly fail: (key: string, problem: string) => Error,
  ) {}

  /** The family's error for `key`. */
  error(key: keyof C, problem: string): Error {
    return this.fail(this.names[key] ?? String(key), problem);
  }

  private value(key: keyof C): unknown {
    return this.config[key];
  }

  positiveInts(...keys: (keyof C)[]): this {
    for (const key of keys) {
      const v = this.value(key);
      if (!(typeof v === 'number' && Number.isInteger(v) && v > 0)) throw this.error(key, `must be a positive integer, got ${show(v)}`);
    }
    return this;
  }

  /** `null` or a positive integer. */
  optionalPositiveInt(key: keyof C): this {
    const v = this.value(key);
    if (v !== null && !(typeof v === 'number' && Number.isInteger(v) && v > 0)) throw this.error(key, `must be null or a positive integer, got ${show(v)}`);
    return this;
  }

  /** Probabilities in [0, 1) (dropout rates). */
  probabilities(...keys: (keyof C)[]): this {
    for (const key of keys) {
      const v = this.value(key);
      if (!(typeof v === 'number' && v >= 0 && v < 1)) throw this.error(key, `must be in [0, 1), got ${show(v)}`);
    }
    return this;
  }

  /** `null` or a probability in [0, 1) (`classifier_dropout`). */
  optionalProbability(key: keyof C): this {
    const v = this.value(key);
    if (v !== null && !(typeof v === 'number' && v >= 0 && v < 1)) throw this.error(key, `must be null or in [0, 1), got ${show(v)}`);
    return this;
  }

  /** A finite number > 0 (`layer_norm_eps`). */
  positiveNumber(key: keyof C): this {
    const v = this.value(key);
    if (!(typeof v === 'number' && Number.isFinite(v) && v > 0)) throw this.error(key, `must be a positive number, got ${show(v)}`);
    return this;
  }

  /** A finite number ≥ 0 (`initializer_range`). */
  nonNegativeNumber(key: keyof C): this {
    const v = this.value(key);
    if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0)) throw this.error(key, `must be a non-negative number, got ${show(v)}`);
    return this;
  }

  booleans(...keys: (keyof C)[]): this {
    for (const key of keys) {
      const v = this.value(key);
      if (typeof v !== 'boolean') throw this.error(key, `must be true or false, got ${show(v)}`);
    }
    return this;
  }

  /** Hugging Face activation names tfkit implements. */
  activations(...keys: (keyof C)[]): this {
    for (const key of keys) {
      const v = this.value(key);
      try {
        getActivation(v as string);
      } catch (error) {
        throw this.error(key, `${show(v)} is not a known activation (${(error as Error).message.replace(/^.*known: /, 'known: ')})`);
      }
    }
    return this;
  }

  oneOf(key: keyof C, values: readonly unknown[]): this {
    const v = this.value(key);
    if (!values.includes(v)) throw this.error(key, `${show(v)} is not one of ${values.map((x) => (x === null ? 'null' : String(x))).join(', ')}`);
    return this;
  }

  /** A token id: an integer in [0, vocabSize) (when given) or ≥ 0, or `null` when `nullable`. */
  tokenId(key: keyof C, options: { vocabSize?: number; nullable?: boolean } = {}): this {
    const v = this.value(key);
    if (v === null && options.nullable) return this;
    const high = options.vocabSize ?? Infinity;
    if (!(typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < high)) {
      const range = options.vocabSize === undefined ? 'a non-negative integer' : `a token id in [0, vocab_size = ${options.vocabSize})`;
      throw this.error(key, `must be ${range}${options.nullable ? ' or null' : ''}, got ${show(v)}`);
    }
    return this;
  }

  /** `key` (a head count) divides `of` (the width). */
  divides(key: keyof C, of: keyof C): this {
    const d = this.value(key) as number;
    const n = this.value(of) as number;
    if (n % d !== 0) throw this.error(key, `(${d}) must divide ${this.names[of] ?? String(of)} (${n})`);
    return this;
  }
}

/** A config value as JSON shows it (`"x"`, `null`, `[1,2]`); `NaN` and `Infinity` as themselves. */
function show(v: unknown): string {
  if (typeof v === 'number' || v === undefined) return String(v);
  try {
    const text = JSON.stringify(v);
    return text === undefined ? String(v) : text.length > 60 ? `${text.slice(0, 60)}…` : text;
  } catch {
    return Object.prototype.toString.call(v);
  }
}
