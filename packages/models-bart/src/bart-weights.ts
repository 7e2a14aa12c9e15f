/**
 * Everything checkpoint-specific about BART: the `model.` prefix between a BartModel checkpoint and
 * a task model, the tied token table (`model.shared.weight` stands for the encoder's and decoder's
 * `embed_tokens` and the LM head, whichever of those names a file holds), the `final_logits_bias`
 * buffer, re-initialising a classification head of another size, and saving as Hugging Face does.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  CheckpointError, loadCheckpoint, Random, saveCheckpoint,
  type Checkpoint, type FromPretrainedOptions, type HfConfig, type SavePretrainedOptions, type TensorMap,
} from '@tfkit/core-tensor';
import { fromHfGenerationConfig, toHfGenerationConfig } from '@tfkit/generation';
import { LayerNorm, StateDictError, type Module, type Parameter } from '@tfkit/layers';
import { bartConfigFromHf, bartConfigToHf, type BartConfig } from './bart-config.js';

/** What loading found: weights the checkpoint lacked or had at another shape (both initialised anew), and weights it held that the model has no use for. */
export interface LoadReport {
  missing: string[];
  unexpected: string[];
  /** Only with `ignoreMismatchedSizes`: weights whose checkpoint shape differed. */
  mismatched: { name: string; expected: number[]; got: number[] }[];
}

/** The parts of a BART model the loader needs (avoids a cycle with the modeling files). */
export interface BartLike extends Module {
  readonly config: BartConfig;
  readonly hfConfig: HfConfig;
  hfGenerationConfig: HfConfig | undefined;
  readonly architecture: string;
  readonly basePrefix: string;
  loadReport: LoadReport;
}

export type BartModelClass<T extends BartLike> = {
  new (config: BartConfig, options: { hfConfig?: HfConfig; hfGenerationConfig?: HfConfig; rng?: Random }): T;
  readonly architecture: string;
};

export type BartFromPretrainedOptions = Omit<FromPretrainedOptions, 'registry' | 'architecture'> & {
  /**
   * Re-initialise weights whose shape differs from the checkpoint's (a classification head for
   * another number of labels) instead of failing, as Hugging Face's `ignore_mismatched_sizes`.
   */
  ignoreMismatchedSizes?: boolean;
};

/** Weights a model may lack in a checkpoint: Hugging Face starts `final_logits_bias` at zero and ignores its absence. */
const OPTIONAL = /^final_logits_bias$/;

/**
 * Checkpoint names → this model's names: the `model.` prefix added (a BartModel checkpoint in a
 * task model) or removed (a task checkpoint in BartModel). Returns a new map of the same tensors.
 */
export function adaptBartStateDict(weights: TensorMap, model: BartLike): TensorMap {
  const prefix = model.basePrefix;
  const names = [...weights.keys()];
  const isBase = (n: string) => /^(shared|encoder|decoder)\./.test(n);
  if (prefix && !names.some((n) => n.startsWith(`${prefix}.`)) && names.some(isBase)) {
    return new Map([...weights].map(([n, t]) => [`${prefix}.${n}`, t]));
  }
  if (!prefix && names.some((n) => n.startsWith('model.'))) {
    return new Map([...weights].map(([n, t]) => [n.startsWith('model.') ? n.slice(6) : n, t]));
  }
  return new Map(weights);
}

/** Each parameter with all its names (a tied table has several). */
function parameterNames(model: Module): Map<Parameter, string[]> {
  const byParam = new Map<Parameter, string[]>();
  for (const [name, p] of model.namedParameters({ includeAliases: true })) byParam.set(p, [...(byParam.get(p) ?? []), name]);
  return byParam;
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
  const where = options.source ? `${options.source} (model.safetensors)` : 'BART state dict';
  const adapted = adaptBartStateDict(weights, model);
  const byParam = parameterNames(model);
  const known = new Map([...byParam].flatMap(([p, names]) => names.map((n) => [n, p] as const)));
  const mismatched: LoadReport['mismatched'] = [];
  for (const [name, t] of adapted) {
    const expected = known.get(name)?.checkpointShape;
    if (expected && expected.join() !== t.shape.join()) mismatched.push({ name, expected, got: t.shape });
  }
  if (mismatched.length && !options.ignoreMismatchedSizes) {
    const error = new StateDictError({ missing: [], unexpected: [], mismatched }, where);
    error.message += '. To train a new head for other labels, pass ignoreMismatchedSizes: true (those weights are initialised anew)';
    throw error;
  }
  for (const { name } of mismatched) adapted.delete(name);
  const reshaped = new Set(mismatched.map((m) => m.name));
  const missing = [...byParam.values()]
    .filter((names) => !names.some((n) => adapted.has(n) || reshaped.has(n)))
    .map((names) => names[0] as string);
  const unexpected = [...adapted.keys()].filter((n) => !known.has(n));
  const prefix = model.basePrefix;
  const inBackbone = (n: string) => (prefix ? n.startsWith(`${prefix}.`) : /^(shared|encoder|decoder)\./.test(n));
  if (options.strict ?? true) {
    const badMissing = missing.filter((n) => !OPTIONAL.test(n) && (inBackbone(n) || options.sameArchitecture));
    // Heads are another matter: BartModel ignores any, a task model another task's.
    const badUnexpected = unexpected.filter(inBackbone);
    if (badMissing.length || badUnexpected.length) throw new StateDictError({ missing: badMissing, unexpected: badUnexpected, mismatched: [] }, where);
  }
  model.loadStateDict(new Map([...adapted].filter(([n]) => known.has(n))), { strict: false, where });
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
 * N(0, init_std) for matrices, zeros for biases (and `final_logits_bias`), ones for LayerNorm scales.
 */
export function initializeWeights(model: BartLike, names: readonly string[], rng: Random = new Random(0)): void {
  const params = new Map(model.namedParameters());
  const norms = new Set(model.namedModules().filter(([, m]) => m instanceof LayerNorm).map(([n]) => (n ? `${n}.weight` : 'weight')));
  for (const name of names) {
    const p = params.get(name);
    if (!p) continue;
    const value = tf.tidy(() => {
      if (norms.has(name)) return tf.onesLike(p.variable);
      if (p.variable.rank < 2 || OPTIONAL.test(name)) return tf.zerosLike(p.variable);
      const data = new Float32Array(p.variable.size);
      for (let i = 0; i < data.length; i++) data[i] = rng.normal(0, model.config.initStd);
      return tf.tensor(data, p.variable.shape);
    });
    p.variable.assign(value);
    value.dispose();
  }
}

/** Builds `cls` from a loaded checkpoint (config overrides applied) and loads its weights. */
export function buildBartFromCheckpoint<T extends BartLike>(cls: BartModelClass<T>, checkpoint: Checkpoint, options: BartFromPretrainedOptions = {}): T {
  const hfConfig = options.configOverrides ? { ...checkpoint.config, ...options.configOverrides } : checkpoint.config;
  const config = bartConfigFromHf(hfConfig, `${checkpoint.source}/config.json`);
  const model = new cls(config, { hfConfig, rng: new PlaceholderInit(0), ...(checkpoint.generationConfig ? { hfGenerationConfig: checkpoint.generationConfig } : {}) });
  try {
    const architectures = hfConfig['architectures'];
    model.loadReport = loadBartWeights(model, checkpoint.weights, {
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
export async function bartFromPretrained<T extends BartLike>(cls: BartModelClass<T>, source: string, options: BartFromPretrainedOptions = {}): Promise<T> {
  const checkpoint = await loadCheckpoint(source, options);
  try {
    return buildBartFromCheckpoint(cls, checkpoint, options);
  } finally {
    for (const t of checkpoint.weights.values()) t.dispose();
  }
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
  const weights = model.stateDict({ includeAliases: false });
  try {
    await saveCheckpoint(dir, {
      config: bartConfigToHf(model.config, model.architecture, model.hfConfig),
      weights,
      ...(model.architecture === 'BartForConditionalGeneration' ? { generationConfig: generationConfigFor(model) } : {}),
      metadata: { format: 'pt', ...options.metadata },
    });
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    throw new CheckpointError(`saving ${model.architecture} to ${dir} failed: ${(error as Error).message}`, { cause: error });
  } finally {
    for (const t of weights.values()) t.dispose();
  }
}
