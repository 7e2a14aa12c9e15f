/**
 * Everything checkpoint-specific about BART: the `model.` prefix between a BartModel checkpoint and
 * a task model, the tied token table (`model.shared.weight` stands for the encoder's and decoder's
 * `embed_tokens` and the LM head, whichever of those names a file holds), the `final_logits_bias`
 * buffer, re-initialising a classification head of another size, and saving as Hugging Face does.
 */
import type { Checkpoint, FromPretrainedOptions, HfConfig, Random, SavePretrainedOptions, TensorMap } from '@tfkit/core-tensor';
import { fromHfGenerationConfig, toHfGenerationConfig } from '@tfkit/generation';
import {
  adaptBasePrefix, buildFromCheckpointWith, fromPretrainedWith, initializeMissingWeights, loadWeightsWithReport, PlaceholderInit, saveModelCheckpoint,
  type LoadReportWithMismatched as LoadReport, type PretrainedClass, type PretrainedModule,
} from '@tfkit/layers';
import { BartConfigError, bartConfigFromHf, bartConfigSizes, bartConfigToHf, type BartConfig } from './bart-config.js';

/** What loading found: weights the checkpoint lacked or had at another shape (both initialised anew), and weights it held that the model has no use for. */
export type { LoadReportWithMismatched as LoadReport } from '@tfkit/layers';

/** The parts of a BART model the loader needs (avoids a cycle with the modeling files). */
export interface BartLike extends PretrainedModule<BartConfig, LoadReport> {
  hfGenerationConfig: HfConfig | undefined;
}

export type BartModelClass<T extends BartLike> = PretrainedClass<T, BartConfig, { hfConfig?: HfConfig; hfGenerationConfig?: HfConfig; rng?: Random }>;

export type BartFromPretrainedOptions = Omit<FromPretrainedOptions, 'registry' | 'architecture'> & {
  /**
   * Re-initialise weights whose shape differs from the checkpoint's (a classification head for
   * another number of labels) instead of failing, as Hugging Face's `ignore_mismatched_sizes`.
   */
  ignoreMismatchedSizes?: boolean;
};

/** A weight a model may lack in a checkpoint: Hugging Face starts `final_logits_bias` at zero and ignores its absence. */
const isFinalLogitsBias = (name: string) => name === 'final_logits_bias';

/** Top-level names of BartModel's weights: they mark a BartModel checkpoint, and BartModel's backbone. */
const BASE_NAMES = /^(shared|encoder|decoder)\./;

/**
 * Checkpoint names → this model's names: the `model.` prefix added (a BartModel checkpoint in a
 * task model) or removed (a task checkpoint in BartModel). Returns a new map of the same tensors.
 */
export function adaptBartStateDict(weights: TensorMap, model: BartLike): TensorMap {
  return adaptBasePrefix(weights, model, { basePrefix: 'model', baseNames: BASE_NAMES });
}

/**
 * Loads checkpoint weights into a model. A tied parameter is satisfied by any of its names. With
 * `strict` (default), a backbone weight the checkpoint lacks is an error, and so is any missing
 * weight when the checkpoint was saved from this very class (except `final_logits_bias`); a new
 * head keeps its initial values and is listed in the report, as are extra weights the model
 * ignores. Mis-shaped weights are an error unless `ignoreMismatchedSizes`.
 */
export function loadBartWeights(
  model: BartLike,
  weights: TensorMap,
  options: { strict?: boolean; source?: string; sameArchitecture?: boolean; ignoreMismatchedSizes?: boolean } = {},
): LoadReport {
  const prefix = model.basePrefix;
  return loadWeightsWithReport(model, adaptBartStateDict(weights, model), {
    where: options.source ? `${options.source} (model.safetensors)` : 'BART state dict',
    strict: options.strict ?? true,
    sameArchitecture: options.sameArchitecture ?? false,
    // Heads are another matter: BartModel ignores any, a task model another task's.
    isBackbone: prefix ? (n) => n.startsWith(`${prefix}.`) : (n) => BASE_NAMES.test(n),
    optional: isFinalLogitsBias,
    mismatchedSizes: options.ignoreMismatchedSizes ? 'ignore' : 'fail',
  });
}

/**
 * Hugging Face's initialisation for weights a checkpoint lacked or had at another shape:
 * N(0, init_std) for matrices, zeros for biases (and `final_logits_bias`), ones for LayerNorm scales.
 */
export function initializeWeights(model: BartLike, names: readonly string[], rng?: Random): void {
  initializeMissingWeights(model, names, { std: model.config.initStd, zeros: isFinalLogitsBias, rng });
}

/** Builds `cls` from a loaded checkpoint (config overrides applied) and loads its weights. */
export function buildBartFromCheckpoint<T extends BartLike>(cls: BartModelClass<T>, checkpoint: Checkpoint, options: BartFromPretrainedOptions = {}): T {
  return buildFromCheckpointWith(checkpoint, options, {
    architecture: cls.architecture,
    readConfig: bartConfigFromHf,
    sizes: bartConfigSizes,
    basePrefix: 'model',
    fail: (where) => (key, problem) => new BartConfigError(where, key, problem),
    create: (hfConfig, config) => new cls(config, {
      hfConfig, rng: new PlaceholderInit(0), ...(checkpoint.generationConfig ? { hfGenerationConfig: checkpoint.generationConfig } : {}),
    }),
    load: (model, context) => {
      model.loadReport = loadBartWeights(model, checkpoint.weights, { ...context, ignoreMismatchedSizes: options.ignoreMismatchedSizes });
      initializeWeights(model, [...model.loadReport.missing, ...model.loadReport.mismatched.map((m) => m.name)]);
    },
  });
}

/** Loads a checkpoint into `cls`, disposing the checkpoint's tensors afterwards. */
export async function bartFromPretrained<T extends BartLike>(cls: BartModelClass<T>, source: string, options: BartFromPretrainedOptions = {}): Promise<T> {
  return fromPretrainedWith(source, options, (checkpoint) => buildBartFromCheckpoint(cls, checkpoint, options));
}

/** generation_config.json as Hugging Face's `GenerationConfig.from_model_config` writes it for a model without one. */
function generationConfigFor(model: BartLike): HfConfig {
  if (model.hfGenerationConfig) return model.hfGenerationConfig;
  const c = model.config;
  const fromConfig = fromHfGenerationConfig({
    ...model.hfConfig,
    bos_token_id: c.bosTokenId, eos_token_id: c.eosTokenId, pad_token_id: c.padTokenId,
    decoder_start_token_id: c.decoderStartTokenId, forced_bos_token_id: c.forcedBosTokenId, forced_eos_token_id: c.forcedEosTokenId,
  });
  return { _from_model_config: true, ...toHfGenerationConfig(fromConfig) };
}

/**
 * Writes `config.json` + `model.safetensors` with Hugging Face's names and layouts (Linear
 * `[out, in]`), the token table once as `model.shared.weight` (its tied aliases dropped, as
 * `save_pretrained` drops them), and `generation_config.json` for BartForConditionalGeneration.
 */
export async function saveBartCheckpoint(model: BartLike, dir: string, options: SavePretrainedOptions = {}): Promise<void> {
  await saveModelCheckpoint(model, dir, {
    config: bartConfigToHf(model.config, model.architecture, model.hfConfig),
    generationConfig: model.architecture === 'BartForConditionalGeneration' ? generationConfigFor(model) : undefined,
  }, options);
}
