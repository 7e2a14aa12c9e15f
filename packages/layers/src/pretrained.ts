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
import { normal } from './init.js';
import { LayerNorm } from './layer-norm.js';
import { StateDictError, type Module, type Parameter } from './module.js';

/**
 * A `Random` that draws nothing for weights: every `normal` is its mean and every `uniform` its low
 * end. A model about to receive a checkpoint's weights is built with it in a fraction of the time;
 * dropout seeds still come from `fork()`, which draws from the real generator.
 */
export class PlaceholderInit extends Random {
  override normal(mean = 0): number {
    return mean;
  }

  override uniform(low = 0): number {
    return low;
  }
}

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
 * Builds a model from a loaded checkpoint the way every family does: `config.json` with the
 * caller's `configOverrides` merged in, the model made by `family.create`, its weights loaded by
 * `family.load`, the model disposed if that fails, and returned in eval mode.
 */
export function buildFromCheckpointWith<M extends Module>(
  checkpoint: Checkpoint,
  options: { configOverrides?: HfConfig; strict?: boolean },
  family: {
    /** The Hugging Face class name of the model being built. */
    architecture: string;
    create(hfConfig: HfConfig): M;
    load(model: M, context: CheckpointLoadContext): void;
  },
): M {
  const hfConfig = options.configOverrides ? { ...checkpoint.config, ...options.configOverrides } : checkpoint.config;
  const model = family.create(hfConfig);
  try {
    const architectures = hfConfig['architectures'];
    family.load(model, {
      strict: options.strict ?? true,
      source: checkpoint.source,
      sameArchitecture: Array.isArray(architectures) && architectures[0] === family.architecture,
    });
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model.eval();
}

/** Loads a checkpoint (directory, URL or hub id), builds from it, and disposes the checkpoint's tensors. */
export async function fromPretrainedWith<T>(source: string, options: SourceOptions, build: (checkpoint: Checkpoint) => T): Promise<T> {
  const checkpoint = await loadCheckpoint(source, options);
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
    await saveCheckpoint(dir, { ...files, weights, metadata: { format: 'pt', ...options.metadata } });
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    throw new CheckpointError(`saving ${model.architecture} to ${dir} failed: ${(error as Error).message}`, { cause: error });
  } finally {
    for (const t of weights.values()) t.dispose();
  }
}
