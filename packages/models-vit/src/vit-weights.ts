/**
 * Everything checkpoint-specific about ViT: the `vit.` prefix between a ViTModel checkpoint and a
 * task model, which missing or extra weights are fine when a checkpoint is loaded into another
 * class, re-initialising a classifier of another size, and saving as Hugging Face does.
 */
import type { Checkpoint, FromPretrainedOptions, HfConfig, Random, SavePretrainedOptions, TensorMap } from '@tfkit/core-tensor';
import {
  adaptBasePrefix, buildFromCheckpointWith, fromPretrainedWith, initializeMissingWeights, loadWeightsWithReport, PlaceholderInit, saveModelCheckpoint,
  type LoadReportWithMismatched as LoadReport, type PretrainedClass, type PretrainedModule,
} from '@tfkit/layers';
import { ViTConfigError, vitConfigFromHf, vitConfigSizes, vitConfigToHf, type ViTConfig } from './vit-config.js';

/** What loading found: weights the checkpoint lacked or had at another shape (both initialised anew), and weights it held that the model has no use for. */
export type { LoadReportWithMismatched as LoadReport } from '@tfkit/layers';

/** The parts of a ViT model the loader needs (avoids a cycle with vit-modeling.ts). */
export type ViTLike = PretrainedModule<ViTConfig, LoadReport>;

export type ViTModelClass<T extends ViTLike> = PretrainedClass<T, ViTConfig, { hfConfig?: HfConfig; rng?: Random }>;

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
  return adaptBasePrefix(weights, model, { basePrefix: 'vit', baseNames: /^embeddings\./ });
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
  const prefix = model.basePrefix;
  // The pooler is optional (a checkpoint saved without one leaves it initialised, as Hugging Face warns and does).
  const pooler = prefix ? `${prefix}.pooler.` : 'pooler.';
  return loadWeightsWithReport(model, adaptViTStateDict(weights, model), {
    where: options.source ? `${options.source} (model.safetensors)` : 'ViT state dict',
    strict: options.strict ?? true,
    sameArchitecture: options.sameArchitecture ?? false,
    // ViTModel ignores the classifier of a task model's checkpoint.
    isBackbone: prefix ? (n) => n.startsWith(`${prefix}.`) && !n.startsWith(pooler) : (n) => !/^(pooler|classifier)\./.test(n),
    optional: (n) => n.startsWith(pooler),
    mismatchedSizes: options.ignoreMismatchedSizes ? 'ignore' : 'fail',
  });
}

/**
 * Hugging Face's initialisation for weights a checkpoint lacked or had at another shape:
 * N(0, initializer_range) for matrices, [CLS] and positions, zeros for biases, ones for LayerNorm scales.
 */
export function initializeWeights(model: ViTLike, names: readonly string[], rng?: Random): void {
  initializeMissingWeights(model, names, { std: model.config.initializerRange, rng });
}

/** Builds `cls` from a loaded checkpoint (config overrides applied) and loads its weights. */
export function buildViTFromCheckpoint<T extends ViTLike>(cls: ViTModelClass<T>, checkpoint: Checkpoint, options: ViTFromPretrainedOptions = {}): T {
  return buildFromCheckpointWith(checkpoint, options, {
    architecture: cls.architecture,
    readConfig: vitConfigFromHf,
    sizes: vitConfigSizes,
    basePrefix: 'vit',
    fail: (where) => (key, problem) => new ViTConfigError(where, key, problem),
    create: (hfConfig, config) => new cls(config, { hfConfig, rng: new PlaceholderInit(0) }),
    load: (model, context) => {
      model.loadReport = loadViTWeights(model, checkpoint.weights, { ...context, ignoreMismatchedSizes: options.ignoreMismatchedSizes });
      initializeWeights(model, [...model.loadReport.missing, ...model.loadReport.mismatched.map((m) => m.name)]);
    },
  });
}

/** Loads a checkpoint into `cls`, disposing the checkpoint's tensors afterwards. */
export async function vitFromPretrained<T extends ViTLike>(cls: ViTModelClass<T>, source: string, options: ViTFromPretrainedOptions = {}): Promise<T> {
  return fromPretrainedWith(source, options, (checkpoint) => buildViTFromCheckpoint(cls, checkpoint, options));
}

/**
 * Writes `config.json` + `model.safetensors` with Hugging Face's names and layouts (Linear
 * `[out, in]`, patch projection Conv2d `[hidden, C, p, p]`); ViT ties no weights.
 */
export async function saveViTCheckpoint(model: ViTLike, dir: string, options: SavePretrainedOptions = {}): Promise<void> {
  await saveModelCheckpoint(model, dir, { config: vitConfigToHf(model.config, model.architecture, model.hfConfig) }, options);
}
