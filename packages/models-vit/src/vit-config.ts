/**
 * ViTConfig: the camelCase configuration the modeling code reads, and its translation from and to
 * Hugging Face `config.json`. This is the only file where Hugging Face key names appear.
 */
import { getActivation, type HfConfig } from '@tfkit/core-tensor';
import {
  checkConfigSizes, checkHfLabelTypes, checkNumLabels, ConfigKeyError, configWithLabels, finishHfConfig, labelsFromHf, numLabels, type ConfigSizes,
} from '@tfkit/layers';

export { defaultLabels, numLabels } from '@tfkit/layers';

export type ViTProblemType = 'regression' | 'single_label_classification' | 'multi_label_classification';

export interface ViTConfig {
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  /** Hugging Face activation name of the feed-forward block (`gelu`, `gelu_new`, `relu`, …). */
  hiddenAct: string;
  hiddenDropoutProb: number;
  attentionProbsDropoutProb: number;
  initializerRange: number;
  layerNormEps: number;
  /** Side of the (square) input image, in pixels. */
  imageSize: number;
  /** Side of the (square) patches, in pixels; `imageSize` must be a multiple of it. */
  patchSize: number;
  numChannels: number;
  /** Biases on the query/key/value projections. */
  qkvBias: boolean;
  /** Output size of the pooler; `null` means `hiddenSize`. */
  poolerOutputSize: number | null;
  /** Activation of the pooler (Hugging Face name). */
  poolerAct: string;
  /** Label names by class index; its size is the number of labels. */
  id2label: Record<number, string>;
  label2id: Record<string, number>;
  /** How image classification computes its loss; inferred from the labels when absent. */
  problemType: ViTProblemType | null;
}

/** Hugging Face's ViTConfig defaults (google/vit-base-patch16-224). */
export const VIT_DEFAULTS: ViTConfig = {
  hiddenSize: 768,
  numHiddenLayers: 12,
  numAttentionHeads: 12,
  intermediateSize: 3072,
  hiddenAct: 'gelu',
  hiddenDropoutProb: 0,
  attentionProbsDropoutProb: 0,
  initializerRange: 0.02,
  layerNormEps: 1e-12,
  imageSize: 224,
  patchSize: 16,
  numChannels: 3,
  qkvBias: true,
  poolerOutputSize: null,
  poolerAct: 'tanh',
  id2label: { 0: 'LABEL_0', 1: 'LABEL_1' },
  label2id: { LABEL_0: 0, LABEL_1: 1 },
  problemType: null,
};

/** Hugging Face key → ViTConfig key, for the keys that map one to one. */
const HF_KEYS = {
  hidden_size: 'hiddenSize',
  num_hidden_layers: 'numHiddenLayers',
  num_attention_heads: 'numAttentionHeads',
  intermediate_size: 'intermediateSize',
  hidden_act: 'hiddenAct',
  hidden_dropout_prob: 'hiddenDropoutProb',
  attention_probs_dropout_prob: 'attentionProbsDropoutProb',
  initializer_range: 'initializerRange',
  layer_norm_eps: 'layerNormEps',
  image_size: 'imageSize',
  patch_size: 'patchSize',
  num_channels: 'numChannels',
  qkv_bias: 'qkvBias',
  pooler_output_size: 'poolerOutputSize',
  pooler_act: 'poolerAct',
  problem_type: 'problemType',
} as const satisfies Record<string, keyof ViTConfig>;

type HfKey = keyof typeof HF_KEYS | 'id2label' | 'label2id' | 'num_labels' | 'model_type';
const HF_NAME = Object.fromEntries(Object.entries(HF_KEYS).map(([hf, key]) => [key, hf])) as Record<keyof ViTConfig, HfKey>;
HF_NAME.id2label = 'id2label';
HF_NAME.label2id = 'label2id';

/** A ViT config value that is missing, of the wrong type or out of range; `key` is its Hugging Face name. */
export class ViTConfigError extends ConfigKeyError {
  constructor(where: string, key: string, problem: string) {
    super(where, key, problem);
    this.name = 'ViTConfigError';
  }
}

/** What model constructors take: any subset of ViTConfig (defaults fill the rest), optionally `numLabels`. */
export type ViTConfigInput = Partial<ViTConfig> & { numLabels?: number };

/** A full config from a partial one: defaults filled in and every value checked. */
export function vitConfig(partial: ViTConfigInput = {}, where = 'ViTConfig'): ViTConfig {
  checkNumLabels(partial.numLabels, (key, problem) => new ViTConfigError(where, key, problem));
  const config = configWithLabels(VIT_DEFAULTS, partial);
  validate(config, where);
  return config;
}

function validate(c: ViTConfig, where: string): void {
  const fail = (key: keyof ViTConfig, problem: string) => new ViTConfigError(where, HF_NAME[key], problem);
  const positiveInts = ['hiddenSize', 'numHiddenLayers', 'numAttentionHeads', 'intermediateSize', 'imageSize', 'patchSize', 'numChannels'] as const;
  for (const key of positiveInts) {
    const v: unknown = c[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw fail(key, `must be a positive integer, got ${JSON.stringify(v)}`);
  }
  if (c.poolerOutputSize !== null && !(Number.isInteger(c.poolerOutputSize) && c.poolerOutputSize > 0)) {
    throw fail('poolerOutputSize', `must be null or a positive integer, got ${JSON.stringify(c.poolerOutputSize)}`);
  }
  if (c.hiddenSize % c.numAttentionHeads !== 0) {
    throw fail('numAttentionHeads', `(${c.numAttentionHeads}) must divide hidden_size (${c.hiddenSize})`);
  }
  if (c.imageSize % c.patchSize !== 0) {
    throw fail('patchSize', `(${c.patchSize}) must divide image_size (${c.imageSize}) so the image is cut into whole patches`);
  }
  for (const key of ['hiddenDropoutProb', 'attentionProbsDropoutProb'] as const) {
    if (!(typeof c[key] === 'number' && c[key] >= 0 && c[key] < 1)) throw fail(key, `must be in [0, 1), got ${JSON.stringify(c[key])}`);
  }
  if (!(typeof c.layerNormEps === 'number' && c.layerNormEps > 0)) throw fail('layerNormEps', `must be a positive number, got ${JSON.stringify(c.layerNormEps)}`);
  if (!(typeof c.initializerRange === 'number' && c.initializerRange >= 0 && Number.isFinite(c.initializerRange))) {
    throw fail('initializerRange', `must be a non-negative number, got ${JSON.stringify(c.initializerRange)}`);
  }
  if (typeof c.qkvBias !== 'boolean') throw fail('qkvBias', `must be true or false, got ${JSON.stringify(c.qkvBias)}`);
  for (const key of ['hiddenAct', 'poolerAct'] as const) {
    try {
      getActivation(c[key]);
    } catch (error) {
      throw fail(key, `"${String(c[key])}" is not a known activation (${(error as Error).message.replace(/^.*known: /, 'known: ')})`);
    }
  }
  if (numLabels(c) < 1) throw fail('id2label', 'must name at least one label');
  const problems: (ViTProblemType | null)[] = ['regression', 'single_label_classification', 'multi_label_classification', null];
  if (!problems.includes(c.problemType)) {
    throw fail('problemType', `"${String(c.problemType)}" is not one of regression, single_label_classification, multi_label_classification`);
  }
  checkConfigSizes(vitConfigSizes(c), where, (key, problem) => new ViTConfigError(where, key, problem));
}

/**
 * What a config implies, computed without building anything: the shapes of the weights it sizes
 * (names of a ViTModel checkpoint), the layer stack, and the parameter count. Checked against a
 * checkpoint's header before a model is built from it.
 */
export function vitConfigSizes(c: ViTConfig): ConfigSizes {
  const h = c.hiddenSize;
  const patches = (c.imageSize / c.patchSize) ** 2;
  const patchDim = c.numChannels * c.patchSize * c.patchSize;
  return {
    weights: [
      { name: 'embeddings.patch_embeddings.projection.weight', dims: [[h, 'hidden_size'], [c.numChannels, 'num_channels'], [c.patchSize, 'patch_size'], [c.patchSize, 'patch_size']] },
      { name: 'embeddings.position_embeddings', dims: [[1, 'position_embeddings'], [patches + 1, 'image_size'], [h, 'hidden_size']] },
      { name: 'encoder.layer.0.attention.attention.query.weight', dims: [[h, 'hidden_size'], [h, 'hidden_size']] },
      { name: 'encoder.layer.0.intermediate.dense.weight', dims: [[c.intermediateSize, 'intermediate_size'], [h, 'hidden_size']] },
    ],
    stacks: [{ prefix: 'encoder.layer.', count: c.numHiddenLayers, key: 'num_hidden_layers' }],
    parameters: [
      { count: patchDim * h + (patches + 2) * h, keys: 'image_size × hidden_size' },
      { count: c.numHiddenLayers * (4 * h * h + 2 * h * c.intermediateSize + 9 * h + c.intermediateSize), keys: 'num_hidden_layers × (hidden_size, intermediate_size)' },
      { count: numLabels(c) * (h + 1), keys: 'num_labels × hidden_size' },
    ],
  };
}

/** `image_size` / `patch_size` may be written as `[h, w]`; tfkit's ViT takes square sizes. */
function squareSize(value: unknown, key: HfKey, where: string): unknown {
  if (!Array.isArray(value)) return value;
  if (value.length === 2 && value[0] === value[1]) return value[0];
  throw new ViTConfigError(where, key, `is ${JSON.stringify(value)}; tfkit's ViT supports square sizes only (one number, or [n, n])`);
}

/** Reads a Hugging Face ViT `config.json`; keys it omits take ViTConfig's (= Hugging Face's) defaults. */
export function vitConfigFromHf(json: HfConfig, where = 'config.json'): ViTConfig {
  if (json['model_type'] !== undefined && json['model_type'] !== 'vit') {
    throw new ViTConfigError(where, 'model_type', `is "${String(json['model_type'])}", expected "vit"`);
  }
  const partial: Record<string, unknown> = {};
  for (const [hf, key] of Object.entries(HF_KEYS)) if (json[hf] !== undefined) partial[key] = json[hf];
  for (const key of ['image_size', 'patch_size'] as const) {
    if (json[key] !== undefined) partial[HF_KEYS[key]] = squareSize(json[key], key, where);
  }
  checkHfLabelTypes(json, (key, problem) => new ViTConfigError(where, key, problem));
  return vitConfig({ ...(partial as Partial<ViTConfig>), ...labelsFromHf(json) }, where);
}

/**
 * The Hugging Face `config.json` for a config. Keys of `base` (the loaded file) that tfkit does
 * not interpret are kept, so a load → save round trip loses nothing. The pooler keys (added in
 * later transformers versions) are written only when set or not at their defaults.
 */
export function vitConfigToHf(config: ViTConfig, architecture: string, base: HfConfig = {}): HfConfig {
  const out: HfConfig = { ...base, architectures: [architecture], model_type: 'vit' };
  for (const [hf, key] of Object.entries(HF_KEYS)) out[hf] = config[key];
  if (out['problem_type'] === null) delete out['problem_type'];
  if (config.poolerOutputSize === null && !('pooler_output_size' in base)) delete out['pooler_output_size'];
  if (config.poolerAct === VIT_DEFAULTS.poolerAct && !('pooler_act' in base)) delete out['pooler_act'];
  return finishHfConfig(out, config);
}
