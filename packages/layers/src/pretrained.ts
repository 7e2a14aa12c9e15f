/**
 * Checkpoint plumbing every model family shares, after Hugging Face's `PreTrainedModel`: building a
 * model fast when a checkpoint is about to overwrite its weights, matching the base-model prefix,
 * loading with a report under the strict rules, initialising what the checkpoint lacked as
 * `_init_weights` does, and saving as `save_pretrained` writes. What differs between families
 * (renames, tied weights, which weights may be absent) stays in their `*-weights.ts` and comes in
 * as parameters.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  CheckpointError, loadCheckpoint, Random, saveCheckpoint,
  type Checkpoint, type HfConfig, type SavePretrainedOptions, type SourceOptions, type TensorMap,
} from '@tfkit/core-tensor';
import { isUnwrittenPlaceholder, normal, sharingPlaceholders } from './init.js';
import { LayerNorm } from './layer-norm.js';
import { ConfigKeyError } from './errors.js';
import { releaseOnAssign, StateDictError, type Module, type Parameter } from './module.js';

export { PlaceholderInit } from './init.js';

export interface InitializeMissingOptions {
  /** Standard deviation of the normal initialisation (`initializer_range`; BART's `init_std`). */
  std: number;
  /** Weights set to zero whatever their rank (BART's `final_logits_bias`, a `[1, vocab]` buffer). */
  zeros?: (name: string) => boolean;
  /** Default: `new Random(0)`. */
  rng?: Random;
}

/**
 * Hugging Face's `_init_weights` for weights a checkpoint lacked or held at another shape (a new
 * task head): ones for LayerNorm scales, zeros for biases and other vectors, N(0, std²) for
 * matrices and embeddings. Names the model does not have are skipped.
 */
export function initializeMissingWeights(model: Module, names: readonly string[], options: InitializeMissingOptions): void {
  const rng = options.rng ?? new Random(0);
  const params = new Map(model.namedParameters());
  const norms = new Set(model.namedModules().filter(([, m]) => m instanceof LayerNorm).map(([n]) => (n ? `${n}.weight` : 'weight')));
  for (const name of names) {
    const p = params.get(name);
    if (!p) continue;
    const value = tf.tidy(() => {
      if (norms.has(name)) return tf.onesLike(p.variable);
      if (p.variable.rank < 2 || options.zeros?.(name)) return tf.zerosLike(p.variable);
      return normal(p.variable.shape, options.std, rng);
    });
    p.variable.assign(value);
    value.dispose();
  }
}

/**
 * A checkpoint saved from another class of the family, renamed for `model` as Hugging Face does
 * with `base_model_prefix`: a base-model checkpoint (recognised by top-level names matching
 * `base.baseNames`, such as `embeddings.…`) loaded into a task model gets the task model's prefix;
 * a task model's checkpoint loaded into the base model loses `base.basePrefix` from its backbone
 * names, while its heads keep theirs (the loader reports them unexpected). Returns a new map of
 * the same tensors.
 */
export function adaptBasePrefix(weights: TensorMap, model: { readonly basePrefix: string }, base: { basePrefix: string; baseNames: RegExp }): TensorMap {
  const prefix = model.basePrefix;
  const names = [...weights.keys()];
  if (prefix && !names.some((n) => n.startsWith(`${prefix}.`)) && names.some((n) => base.baseNames.test(n))) {
    return new Map([...weights].map(([n, t]) => [`${prefix}.${n}`, t]));
  }
  const strip = `${base.basePrefix}.`;
  if (!prefix && names.some((n) => n.startsWith(strip))) {
    return new Map([...weights].map(([n, t]) => [n.startsWith(strip) ? n.slice(strip.length) : n, t]));
  }
  return new Map(weights);
}

/** A checkpoint weight whose shape differs from the model's (both in checkpoint layout). */
export interface MismatchedWeight {
  name: string;
  expected: number[];
  got: number[];
}

/** Weights a checkpoint lacked (initialised anew) and weights it held that the model has no use for. */
export interface LoadReport {
  missing: string[];
  unexpected: string[];
}

/** A load report of a family that offers `ignoreMismatchedSizes`. */
export interface LoadReportWithMismatched extends LoadReport {
  /** Only with `ignoreMismatchedSizes`: weights whose checkpoint shape differed (initialised anew). */
  mismatched: MismatchedWeight[];
}

export interface LoadWeightsOptions {
  /** The weights' origin, for error messages (`<dir> (model.safetensors)`). */
  where: string;
  /** Fail on a missing or unexpected backbone weight, and on any missing weight when `sameArchitecture`. */
  strict: boolean;
  /** The checkpoint was saved from this very class, so its heads must be there too. */
  sameArchitecture: boolean;
  /**
   * Whether a name belongs to the backbone, whose weights a checkpoint of any class of the family
   * holds; other names are heads, which may be absent (a new task) or extra (another task's).
   */
  isBackbone: (name: string) => boolean;
  /** Weights that may be absent even from a checkpoint of this very class (a pooler, `final_logits_bias`). */
  optional?: (name: string) => boolean;
  /**
   * For families that offer Hugging Face's `ignore_mismatched_sizes`: shapes are checked before
   * anything else, and a weight at another shape fails the load with a hint to pass the option
   * (`'fail'`) or is left out and listed in `mismatched` (`'ignore'`). Without it, `loadStateDict`
   * rejects mis-shaped weights after the strict checks.
   */
  mismatchedSizes?: 'fail' | 'ignore';
}

/**
 * Loads checkpoint weights (already named as the model names them) into a model. A tied parameter
 * is satisfied by any of its names. Under `strict`, a missing or unexpected backbone weight is an
 * error, and so is any missing weight (bar `optional` ones) when the checkpoint was saved from this
 * very class; heads the checkpoint lacks keep their values and are reported `missing`, extra ones
 * `unexpected`. Everything that fits is assigned.
 */
export function loadWeightsWithReport(model: Module, weights: TensorMap, options: LoadWeightsOptions): LoadReportWithMismatched {
  const { where, isBackbone } = options;
  const byParam = new Map<Parameter, string[]>();
  for (const [name, p] of model.namedParameters({ includeAliases: true })) byParam.set(p, [...(byParam.get(p) ?? []), name]);
  const known = new Map([...byParam].flatMap(([p, names]) => names.map((n) => [n, p] as const)));
  const mismatched: MismatchedWeight[] = [];
  if (options.mismatchedSizes) {
    for (const [name, t] of weights) {
      const expected = known.get(name)?.checkpointShape;
      if (expected && expected.join() !== t.shape.join()) mismatched.push({ name, expected, got: t.shape });
    }
  }
  if (mismatched.length && options.mismatchedSizes === 'fail') {
    const error = new StateDictError({ missing: [], unexpected: [], mismatched }, where);
    error.message += '. To train a new head for other labels, pass ignoreMismatchedSizes: true (those weights are initialised anew)';
    throw error;
  }
  const missing = [...byParam.values()].filter((names) => !names.some((n) => weights.has(n))).map((names) => names[0] as string);
  const unexpected = [...weights.keys()].filter((n) => !known.has(n));
  if (options.strict) {
    const badMissing = missing.filter((n) => !options.optional?.(n) && (options.sameArchitecture || isBackbone(n)));
    const badUnexpected = unexpected.filter(isBackbone);
    if (badMissing.length || badUnexpected.length) throw new StateDictError({ missing: badMissing, unexpected: badUnexpected, mismatched: [] }, where);
  }
  const reshaped = new Set(mismatched.map((m) => m.name));
  model.loadStateDict(new Map([...weights].filter(([n]) => known.has(n) && !reshaped.has(n))), { strict: false, where });
  return { missing, unexpected, mismatched };
}

/** What the loaders need of a model; every family's pretrained model base class has it. */
export interface PretrainedModule<C, R extends LoadReport = LoadReport> extends Module {
  readonly config: C;
  /** The loaded `config.json` (or `{}`): keys tfkit does not read are written back on save. */
  readonly hfConfig: HfConfig;
  /** The Hugging Face class name. */
  readonly architecture: string;
  /** The backbone's attribute in task models (`bert`, `transformer`, …); '' in the base model. */
  readonly basePrefix: string;
  /** What loading the checkpoint found. */
  loadReport: R;
}

/** A model class as `fromPretrained` takes it: built from a config and options, named as in Hugging Face. */
export type PretrainedClass<T, C, O> = {
  new (config: C, options: O): T;
  readonly architecture: string;
};

/** What a family's loader is told about a checkpoint. */
export interface CheckpointLoadContext {
  /** The caller's `strict` (default true). */
  strict: boolean;
  /** Where the checkpoint came from. */
  source: string;
  /** `config.architectures[0]` names the class being built. */
  sameArchitecture: boolean;
}

/**
 * Bounds on what a config may ask tfkit to build. Checkpoints of every family tfkit implements are
 * far inside them (gpt2-xl: 48 layers; bart-large: 12 + 12; vit-huge: 32); a config beyond them
 * is a mistake or an attack, refused with a typed error naming the config key before anything is
 * allocated.
 */
export const CONFIG_LIMITS = {
  /** Layers in one stack (`num_hidden_layers`, `n_layer`, `encoder_layers`, …). */
  layers: 1000,
  /** Classes of a classification head (`num_labels`; ImageNet-21k has 21 843). */
  labels: 1_000_000,
  /** Entries of one weight: typed arrays and tfjs index with 32-bit integers (2³¹ − 1, 8 GiB of float32). */
  weightElements: 2 ** 31 - 1,
  /**
   * Parameters a checkpoint load may initialise instead of reading (50 M: 200 MB of float32, a few
   * seconds of seeded initialisation) — new task heads, layers absent from a non-strict load,
   * tables resized with `ignoreMismatchedSizes` (a 50k × 768 vocabulary fits). What the checkpoint
   * file holds is not counted: it is backed by bytes the caller already has.
   */
  initialisedParameters: 50_000_000,
} as const;

/** One dimension of a weight that a config sets: its size and the `config.json` key it comes from. */
export type SizedDim = readonly [size: number, key: string];

/** A weight whose checkpoint shape follows from config keys. */
export interface ExpectedWeight {
  /** Its name in a base-model checkpoint (`embeddings.word_embeddings.weight`); task checkpoints prefix it with the family's base prefix. */
  name: string;
  /** Its checkpoint shape, each dimension with the key it comes from (`[[vocab, 'vocab_size'], [hidden, 'hidden_size']]`). */
  dims: readonly SizedDim[];
}

/** What a config implies about the model and its checkpoint, computed without building anything. */
export interface ConfigSizes {
  /** Weights whose checkpoint shapes the config sets (embedding tables, the first layer's projections). */
  weights: readonly ExpectedWeight[];
  /** Stacks of layers, named `${prefix}${i}.…` for i < count in a base-model checkpoint (`encoder.layer.`, `num_hidden_layers`). */
  stacks: readonly { prefix: string; count: number; key: string }[];
  /** The parameters the config implies, in parts named by the keys that drive them (`vocab_size × hidden_size`). */
  parameters: readonly { count: number; keys: string }[];
}

type KeyError = (key: string, problem: string) => Error;

function keyError(where: string): KeyError {
  return (key, problem) => new ConfigKeyError(where, key, problem);
}

/**
 * The bounds every config must keep, checkpoint or not (`CONFIG_LIMITS`: layers per stack, entries
 * per weight). `fail` makes the family's error for a `config.json` key.
 */
export function checkConfigSizes(sizes: ConfigSizes, where: string, fail: KeyError = keyError(where)): void {
  for (const { count, key } of sizes.stacks) {
    if (count > CONFIG_LIMITS.layers) throw fail(key, `is ${count}; tfkit builds at most ${CONFIG_LIMITS.layers} layers per stack`);
  }
  for (const { name, dims } of sizes.weights) {
    const entries = dims.reduce((n, [d]) => n * d, 1);
    if (entries > CONFIG_LIMITS.weightElements) {
      const keys = dims.map(([d, k]) => `${k} ${d}`).join(' × ');
      throw fail(dims.reduce((a, b) => (b[0] > a[0] ? b : a))[1], `makes ${name} ${keys} = ${entries} entries, more than one weight can hold (${CONFIG_LIMITS.weightElements})`);
    }
  }
}

/** How a checkpoint backs a config: `checkConfigAgainstCheckpoint`'s options. */
export interface CheckpointSizeOptions {
  /** The config's origin (`<dir>/config.json`), for messages. */
  where: string;
  /** The weights' origin (`<dir> (model.safetensors)`), for messages. */
  file: string;
  /** The backbone's attribute in task checkpoints (`bert`, `transformer`); weights are looked up with and without it. */
  basePrefix: string;
  /** A strict load needs every layer the config asks for. */
  strict: boolean;
  /** Hugging Face's `ignore_mismatched_sizes`: a weight of another shape is initialised anew (and counted as such). */
  ignoreMismatchedSizes?: boolean;
  /** The family's error for a `config.json` key (default `ConfigKeyError`). */
  fail?: KeyError;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Checks a config against a checkpoint's weights — their shapes only, as the safetensors header
 * gives them — before the model is built: every weight the config sizes must have that shape (a
 * `StateDictError` naming the weight and the config key), a strict load needs every layer the
 * config asks for and no more, and what the checkpoint does not back (new heads, missing layers,
 * resized tables) must stay under `CONFIG_LIMITS.initialisedParameters`.
 */
export function checkConfigAgainstCheckpoint(
  sizes: ConfigSizes,
  weights: ReadonlyMap<string, { readonly shape: readonly number[] }>,
  options: CheckpointSizeOptions,
): void {
  const fail = options.fail ?? keyError(options.where);
  checkConfigSizes(sizes, options.where, fail);
  const prefixed = options.basePrefix ? `${options.basePrefix}.` : '';
  const find = (name: string) => {
    for (const n of prefixed ? [name, `${prefixed}${name}`] : [name]) {
      const t = weights.get(n);
      if (t) return { name: n, shape: t.shape };
    }
    return undefined;
  };
  const mismatched: { name: string; expected: number[]; got: number[]; keys: string[] }[] = [];
  for (const { name, dims } of sizes.weights) {
    const found = find(name);
    if (!found) continue;
    const expected = dims.map(([d]) => d);
    if (expected.length === found.shape.length && expected.every((d, i) => d === found.shape[i])) continue;
    const differing = found.shape.length === dims.length ? dims.filter(([d], i) => d !== found.shape[i]) : dims;
    const keys = differing.map(([d, k]) => `${k} ${d}`);
    mismatched.push({ name: found.name, expected, got: [...found.shape], keys });
  }
  if (mismatched.length && !options.ignoreMismatchedSizes) {
    const error = new StateDictError({ missing: [], unexpected: [], mismatched }, options.file);
    const keys = [...new Set(mismatched.flatMap((m) => m.keys))];
    error.message += `. ${options.where} says ${keys.join(', ')}, which the checkpoint's weights do not have: use the config.json saved with these weights`;
    throw error;
  }
  if (options.strict) {
    for (const { prefix, count, key } of sizes.stacks) {
      const pattern = new RegExp(`^(?:${escapeRegExp(prefixed)})?${escapeRegExp(prefix)}(\\d+)\\.`);
      let held = 0;
      for (const name of weights.keys()) {
        const m = pattern.exec(name);
        if (m) held = Math.max(held, Number(m[1]) + 1);
      }
      // Fewer layers than the config asks for fail here, before they are built; surplus ones are
      // reported by name by the loader (unexpected weights).
      if (held < count) {
        const holds = held ? `${held} layer${held === 1 ? '' : 's'} (${prefix}0 … ${prefix}${held - 1})` : `no ${prefix}N layers`;
        throw fail(key, `is ${count} but ${options.file} holds ${holds}; use the config.json saved with these weights, or load with strict: false to initialise the others`);
      }
    }
  }
  let held = 0;
  for (const t of weights.values()) held += t.shape.reduce((n, d) => n * d, 1);
  const total = sizes.parameters.reduce((n, p) => n + p.count, 0);
  if (total - held > CONFIG_LIMITS.initialisedParameters) {
    const largest = sizes.parameters.reduce((a, b) => (b.count > a.count ? b : a));
    throw fail(
      largest.keys.split(' ')[0] as string,
      `and the other sizes in ${options.where} make ${total} parameters (${largest.keys}: ${largest.count}), of which ${options.file} holds ${held}; ` +
        `tfkit initialises at most ${CONFIG_LIMITS.initialisedParameters} that a checkpoint does not back. Use the config.json saved with these weights`,
    );
  }
}

/**
 * Gives every parameter that still holds an unwritten placeholder (`sharingPlaceholders` on wasm:
 * a zeros placeholder never filled) the zeros it stands for. A load assigns every parameter, from
 * the checkpoint or `initializeMissingWeights`, so this normally finds none; it keeps a family
 * that leaves one from exposing undefined values.
 */
export function assignUnwrittenPlaceholders(model: Module): void {
  for (const p of model.parameters()) {
    if (!isUnwrittenPlaceholder(p.variable)) continue;
    const zeros = tf.zeros(p.shape, p.variable.dtype);
    p.variable.assign(zeros);
    zeros.dispose();
  }
}

/**
 * Builds a model from a loaded checkpoint the way every family does: `config.json` with the
 * caller's `configOverrides` merged in and read by `family.readConfig` (which builds nothing),
 * checked against the checkpoint's weight shapes with `family.sizes` before any tensor is
 * allocated, the model made by `family.create`, its weights loaded by `family.load`, the model
 * disposed if that fails, and returned in eval mode.
 */
export function buildFromCheckpointWith<M extends Module, C = HfConfig>(
  checkpoint: Checkpoint,
  options: { configOverrides?: HfConfig; strict?: boolean; ignoreMismatchedSizes?: boolean },
  family: {
    /** The Hugging Face class name of the model being built. */
    architecture: string;
    /** Reads and checks `config.json` (the family's config); builds nothing. Default: the JSON itself. */
    readConfig?(hfConfig: HfConfig, where: string): C;
    /** What the config implies about the checkpoint, checked against it before the model is built. */
    sizes?(config: C): ConfigSizes;
    /** The backbone's attribute in task checkpoints (`bert`), where `sizes` looks for its weights too. */
    basePrefix?: string;
    /** The family's error for a `config.json` key. */
    fail?(where: string): KeyError;
    create(hfConfig: HfConfig, config: C): M;
    load(model: M, context: CheckpointLoadContext): void;
  },
): M {
  const hfConfig = options.configOverrides ? { ...checkpoint.config, ...options.configOverrides } : checkpoint.config;
  const where = `${checkpoint.source}/config.json`;
  const config = family.readConfig ? family.readConfig(hfConfig, where) : (hfConfig as C);
  const strict = options.strict ?? true;
  if (family.sizes) {
    checkConfigAgainstCheckpoint(family.sizes(config), checkpoint.weights, {
      where,
      file: `${checkpoint.source} (model.safetensors)`,
      basePrefix: family.basePrefix ?? '',
      strict,
      ignoreMismatchedSizes: options.ignoreMismatchedSizes ?? false,
      ...(family.fail ? { fail: family.fail(where) } : {}),
    });
  }
  const model = sharingPlaceholders(() => family.create(hfConfig, config));
  try {
    const architectures = hfConfig['architectures'];
    family.load(model, {
      strict,
      source: checkpoint.source,
      sameArchitecture: Array.isArray(architectures) && architectures[0] === family.architecture,
    });
    assignUnwrittenPlaceholders(model);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model.eval();
}

/** Loads a checkpoint (directory, URL or hub id), builds from it, and disposes the checkpoint's tensors. */
export async function fromPretrainedWith<T>(source: string, options: SourceOptions, build: (checkpoint: Checkpoint) => T): Promise<T> {
  const checkpoint = await loadCheckpoint(source, options);
  // The tensors are this function's: each is freed as soon as its parameter holds it.
  releaseOnAssign(checkpoint.weights.values());
  try {
    return build(checkpoint);
  } finally {
    for (const t of checkpoint.weights.values()) t.dispose();
  }
}

/**
 * Writes `config.json` (+ `generation_config.json` when given) and `model.safetensors` as
 * `save_pretrained` does: the state dict in checkpoint layout without tied aliases, `format: pt`
 * metadata. A failure other than a CheckpointError comes back as one naming the model and `dir`.
 */
export async function saveModelCheckpoint(
  model: Module & { readonly architecture: string },
  dir: string,
  files: { config: HfConfig; generationConfig?: HfConfig | undefined },
  options: SavePretrainedOptions = {},
): Promise<void> {
  const weights = model.stateDict({ includeAliases: false });
  try {
    await saveCheckpoint(dir, { ...files, weights, metadata: { format: 'pt', ...options.metadata }, ...(options.dtype ? { dtype: options.dtype, int8Axis: 'auto' as const } : {}) });
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    throw new CheckpointError(`saving ${model.architecture} to ${dir} failed: ${(error as Error).message}`, { cause: error });
  } finally {
    for (const t of weights.values()) t.dispose();
  }
}
