/**
 * Everything checkpoint-specific about ViT: the `vit.` prefix between a ViTModel checkpoint and a
 * task model, which missing or extra weights are fine when a checkpoint is loaded into another
 * class, re-initialising a classifier of another size, and saving as Hugging Face does.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  CheckpointError, loadCheckpoint, Random, saveCheckpoint,
  type Checkpoint, type FromPretrainedOptions, type HfConfig, type SavePretrainedOptions, type TensorMap,
} from '@tfkit/core-tensor';
import { LayerNorm, StateDictError, type Module } from '@tfkit/layers';
import { vitConfigFromHf, vitConfigToHf, type ViTConfig } from './vit-config.js';

/** What loading found: weights the checkpoint lacked or had at another shape (both initialised anew), and weights it held that the model has no use for. */
export interface LoadReport {
  missing: string[];
  unexpected: string[];
  /** Only with `ignoreMismatchedSizes`: weights whose checkpoint shape differed. */
  mismatched: { name: string; expected: number[]; got: number[] }[];
}

/** The parts of a ViT model the loader needs (avoids a cycle with vit-modeling.ts). */
export interface ViTLike extends Module {
  readonly config: ViTConfig;
  readonly hfConfig: HfConfig;
  readonly architecture: string;
  readonly basePrefix: string;
  loadReport: LoadReport;
}

export type ViTModelClass<T extends ViTLike> = {
  new (config: ViTConfig, options: { hfConfig?: HfConfig; rng?: Random }): T;
  readonly architecture: string;
};

export type ViTFromPretrainedOptions = Omit<FromPretrainedOptions, 'registry' | 'architecture'> & {
  /**
   * Re-initialise weights whose shape differs from the checkpoint's (a classifier for another
   * number of labels) instead of failing, as Hugging Face's `ignore_mismatched_sizes`.
   */
  ignoreMismatchedSizes?: boolean;
};

/**
 * Checkpoint names → this model's names: the `vit.` prefix added (a ViTModel checkpoint in a task
 * model) or removed (a task checkpoint in ViTModel). Returns a new map of the same tensors.
 */
export function adaptViTStateDict(weights: TensorMap, model: ViTLike): TensorMap {
  const prefix = model.basePrefix;
  const names = [...weights.keys()];
  if (prefix && !names.some((n) => n.startsWith(`${prefix}.`)) && names.some((n) => n.startsWith('embeddings.'))) {
    return new Map([...weights].map(([n, t]) => [`${prefix}.${n}`, t]));
  }
  if (!prefix && names.some((n) => n.startsWith('vit.'))) {
    return new Map([...weights].map(([n, t]) => [n.startsWith('vit.') ? n.slice(4) : n, t]));
  }
  return new Map(weights);
}

/**
 * Loads checkpoint weights into a model. With `strict` (default), a backbone weight the checkpoint
 * lacks is an error, and so is any missing weight when the checkpoint was saved from this very
 * class; a new head (the classifier on a ViTModel checkpoint) and the pooler keep their initial
 * values and are listed in the report, as are extra weights the model ignores. Mis-shaped weights
 * are an error unless `ignoreMismatchedSizes`.
 */
export function loadViTWeights(
  model: ViTLike,
  weights: TensorMap,
  options: { strict?: boolean; source?: string; sameArchitecture?: boolean; ignoreMismatchedSizes?: boolean } = {},
): LoadReport {
  const where = options.source ? `${options.source} (model.safetensors)` : 'ViT state dict';
  const adapted = adaptViTStateDict(weights, model);
  const params = new Map(model.namedParameters());
  const mismatched: LoadReport['mismatched'] = [];
  for (const [name, t] of adapted) {
    const expected = params.get(name)?.checkpointShape;
    if (expected && expected.join() !== t.shape.join()) mismatched.push({ name, expected, got: t.shape });
  }
  if (mismatched.length && !options.ignoreMismatchedSizes) {
    const error = new StateDictError({ missing: [], unexpected: [], mismatched }, where);
    error.message += '. To train a new head for other labels, pass ignoreMismatchedSizes: true (those weights are initialised anew)';
    throw error;
  }
  for (const { name } of mismatched) adapted.delete(name);
  const prefix = model.basePrefix;
  const pooler = prefix ? `${prefix}.pooler.` : 'pooler.';
  const inBackbone = (n: string) => (!prefix || n.startsWith(`${prefix}.`)) && !n.startsWith(pooler);
  const missing = [...params.keys()].filter((n) => !adapted.has(n) && !mismatched.some((m) => m.name === n));
  const unexpected = [...adapted.keys()].filter((n) => !params.has(n));
  if (options.strict ?? true) {
    // The pooler is optional (a checkpoint saved without one leaves it initialised, as Hugging Face warns and does).
    const badMissing = missing.filter((n) => inBackbone(n) || (options.sameArchitecture && !n.startsWith(pooler)));
    const badUnexpected = unexpected.filter((n) => inBackbone(n) && !(!prefix && n.startsWith('classifier.')));
    if (badMissing.length || badUnexpected.length) throw new StateDictError({ missing: badMissing, unexpected: badUnexpected, mismatched: [] }, where);
  }
  model.loadStateDict(new Map([...adapted].filter(([n]) => params.has(n))), { strict: false, where });
  return { missing, unexpected, mismatched };
}

/**
 * Draws no random numbers for weights (every `normal`/`uniform` is its mean/low end), so a model
 * about to receive a checkpoint's weights is built fast; dropout seeds still come from `fork()`.
 */
class PlaceholderInit extends Random {
  override normal(mean = 0): number {
    return mean;
  }

  override uniform(low = 0): number {
    return low;
  }
}

/**
 * Hugging Face's initialisation for weights a checkpoint lacked or had at another shape:
 * N(0, initializer_range) for matrices, [CLS] and positions, zeros for biases, ones for LayerNorm scales.
 */
export function initializeWeights(model: ViTLike, names: readonly string[], rng: Random = new Random(0)): void {
  const params = new Map(model.namedParameters());
  const norms = new Set(model.namedModules().filter(([, m]) => m instanceof LayerNorm).map(([n]) => (n ? `${n}.weight` : 'weight')));
  for (const name of names) {
    const p = params.get(name);
    if (!p) continue;
    const value = tf.tidy(() => {
      if (norms.has(name)) return tf.onesLike(p.variable);
      if (p.variable.rank < 2) return tf.zerosLike(p.variable);
      const data = new Float32Array(p.variable.size);
      for (let i = 0; i < data.length; i++) data[i] = rng.normal(0, model.config.initializerRange);
      return tf.tensor(data, p.variable.shape);
    });
    p.variable.assign(value);
    value.dispose();
  }
}

/** Builds `cls` from a loaded checkpoint (config overrides applied) and loads its weights. */
export function buildViTFromCheckpoint<T extends ViTLike>(cls: ViTModelClass<T>, checkpoint: Checkpoint, options: ViTFromPretrainedOptions = {}): T {
  const hfConfig = options.configOverrides ? { ...checkpoint.config, ...options.configOverrides } : checkpoint.config;
  const config = vitConfigFromHf(hfConfig, `${checkpoint.source}/config.json`);
  const model = new cls(config, { hfConfig, rng: new PlaceholderInit(0) });
  try {
    const architectures = hfConfig['architectures'];
    model.loadReport = loadViTWeights(model, checkpoint.weights, {
      strict: options.strict ?? true,
      source: checkpoint.source,
      sameArchitecture: Array.isArray(architectures) && architectures[0] === cls.architecture,
      ignoreMismatchedSizes: options.ignoreMismatchedSizes,
    });
    initializeWeights(model, [...model.loadReport.missing, ...model.loadReport.mismatched.map((m) => m.name)]);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model.eval();
}

/** Loads a checkpoint into `cls`, disposing the checkpoint's tensors afterwards. */
export async function vitFromPretrained<T extends ViTLike>(cls: ViTModelClass<T>, source: string, options: ViTFromPretrainedOptions = {}): Promise<T> {
  const checkpoint = await loadCheckpoint(source, options);
  try {
    return buildViTFromCheckpoint(cls, checkpoint, options);
  } finally {
    for (const t of checkpoint.weights.values()) t.dispose();
  }
}

/**
 * Writes `config.json` + `model.safetensors` with Hugging Face's names and layouts (Linear
 * `[out, in]`, patch projection Conv2d `[hidden, C, p, p]`); ViT ties no weights.
 */
export async function saveViTCheckpoint(model: ViTLike, dir: string, options: SavePretrainedOptions = {}): Promise<void> {
  const weights = model.stateDict();
  try {
    await saveCheckpoint(dir, {
      config: vitConfigToHf(model.config, model.architecture, model.hfConfig),
      weights,
      metadata: { format: 'pt', ...options.metadata },
    });
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    throw new CheckpointError(`saving ${model.architecture} to ${dir} failed: ${(error as Error).message}`, { cause: error });
  } finally {
    for (const t of weights.values()) t.dispose();
  }
}
