/**
 * BartConfig: the camelCase configuration the modeling code reads, and its translation from and to
 * Hugging Face `config.json`. This is the only file where Hugging Face key names appear.
 */
import type { HfConfig } from '@tfkit/core-tensor';
import {
  checkConfigSizes, checkEncoderDecoderConfig, checkHfLabelTypes, checkNumLabels, ConfigChecks, ConfigKeyError, configWithLabels, ENCODER_DECODER_HF_KEYS, finishHfConfig, labelsFromHf, numLabels,
  type ConfigSizes, type EncoderDecoderConfig,
} from '@tfkit/layers';

export { numLabels } from '@tfkit/layers';

export type BartProblemType = 'regression' | 'single_label_classification' | 'multi_label_classification';

/** BART's config: the encoder-decoder keys (`EncoderDecoderConfig`; decoderStartTokenId is eos, positions offset by 2) and BART's own. */
export interface BartConfig extends EncoderDecoderConfig {
  /** Dropout in the sequence-classification head. */
  classifierDropout: number;
  /** LayerDrop (Fan et al., 2019): chance that a whole encoder / decoder layer is skipped in training. */
  encoderLayerdrop: number;
  decoderLayerdrop: number;
  useCache: boolean;
  /** Token forced as the first generated one (bart-large-cnn: bos), or null. */
  forcedBosTokenId: number | null;
  /** Label names by class index (sequence classification); its size is the number of labels. */
  id2label: Record<number, string>;
  label2id: Record<string, number>;
  problemType: BartProblemType | null;
}

/** Hugging Face's BartConfig defaults (facebook/bart-large). */
export const BART_DEFAULTS: BartConfig = {
  vocabSize: 50265,
  maxPositionEmbeddings: 1024,
  dModel: 1024,
  encoderLayers: 12,
  encoderAttentionHeads: 16,
  encoderFfnDim: 4096,
  decoderLayers: 12,
  decoderAttentionHeads: 16,
  decoderFfnDim: 4096,
  activationFunction: 'gelu',
  dropout: 0.1,
  attentionDropout: 0,
  activationDropout: 0,
  classifierDropout: 0,
  encoderLayerdrop: 0,
  decoderLayerdrop: 0,
  initStd: 0.02,
  scaleEmbedding: false,
  useCache: true,
  padTokenId: 1,
  bosTokenId: 0,
  eosTokenId: 2,
  decoderStartTokenId: 2,
  forcedBosTokenId: null,
  forcedEosTokenId: 2,
  tieWordEmbeddings: true,
  id2label: { 0: 'LABEL_0', 1: 'LABEL_1', 2: 'LABEL_2' },
  label2id: { LABEL_0: 0, LABEL_1: 1, LABEL_2: 2 },
  problemType: null,
};

/** Hugging Face key → BartConfig key, for the keys that map one to one: the encoder-decoder keys and BART's own. */
const HF_KEYS = {
  ...ENCODER_DECODER_HF_KEYS,
  classifier_dropout: 'classifierDropout',
  encoder_layerdrop: 'encoderLayerdrop',
  decoder_layerdrop: 'decoderLayerdrop',
  use_cache: 'useCache',
  forced_bos_token_id: 'forcedBosTokenId',
  problem_type: 'problemType',
} as const satisfies Record<string, keyof BartConfig>;

type HfKey = keyof typeof HF_KEYS | 'id2label' | 'label2id' | 'num_labels' | 'model_type';
const HF_NAME = Object.fromEntries(Object.entries(HF_KEYS).map(([hf, key]) => [key, hf])) as Record<keyof BartConfig, HfKey>;
HF_NAME.id2label = 'id2label';
HF_NAME.label2id = 'label2id';

/** A BART config value that is missing, of the wrong type or out of range; `key` is its Hugging Face name. */
export class BartConfigError extends ConfigKeyError {
  constructor(where: string, key: string, problem: string) {
    super(where, key, problem);
    this.name = 'BartConfigError';
  }
}

/** What model constructors take: any subset of BartConfig (defaults fill the rest), optionally `numLabels`. */
export type BartConfigInput = Partial<BartConfig> & { numLabels?: number };

/** A full config from a partial one: defaults filled in and every value checked. */
export function bartConfig(partial: BartConfigInput = {}, where = 'BartConfig'): BartConfig {
  checkNumLabels(partial.numLabels, (key, problem) => new BartConfigError(where, key, problem));
  const config = configWithLabels(BART_DEFAULTS, partial);
  validate(config, where);
  return config;
}

function validate(c: BartConfig, where: string): void {
  const checks = checkEncoderDecoderConfig(new ConfigChecks(c, HF_NAME, (key, problem) => new BartConfigError(where, key, problem)))
    .probabilities('classifierDropout', 'encoderLayerdrop', 'decoderLayerdrop')
    .booleans('useCache');
  const { vocabSize } = c;
  for (const key of ['padTokenId', 'eosTokenId', 'decoderStartTokenId'] as const) checks.tokenId(key, { vocabSize });
  for (const key of ['bosTokenId', 'forcedBosTokenId', 'forcedEosTokenId'] as const) checks.tokenId(key, { vocabSize, nullable: true });
  if (numLabels(c) < 1) throw checks.error('id2label', 'must name at least one label');
  const problems: (BartProblemType | null)[] = ['regression', 'single_label_classification', 'multi_label_classification', null];
  if (!problems.includes(c.problemType)) {
    throw checks.error('problemType', `"${String(c.problemType)}" is not one of regression, single_label_classification, multi_label_classification`);
  }
  checkConfigSizes(bartConfigSizes(c), where, (key, problem) => new BartConfigError(where, key, problem));
}

/**
 * What a config implies, computed without building anything: the shapes of the weights it sizes
 * (names of a BartModel checkpoint; position tables hold 2 rows more, Hugging Face's offset), the
 * two layer stacks, and the parameter count. Checked against a checkpoint's header before a model
 * is built from it.
 */
export function bartConfigSizes(c: BartConfig): ConfigSizes {
  const d = c.dModel;
  const positions = c.maxPositionEmbeddings + 2;
  const layer = (ffn: number, cross: boolean) => (cross ? 8 : 4) * d * d + 2 * d * ffn + (cross ? 15 : 9) * d + ffn;
  return {
    weights: [
      { name: 'shared.weight', dims: [[c.vocabSize, 'vocab_size'], [d, 'd_model']] },
      { name: 'encoder.embed_positions.weight', dims: [[positions, 'max_position_embeddings'], [d, 'd_model']] },
      { name: 'decoder.embed_positions.weight', dims: [[positions, 'max_position_embeddings'], [d, 'd_model']] },
      { name: 'encoder.layers.0.fc1.weight', dims: [[c.encoderFfnDim, 'encoder_ffn_dim'], [d, 'd_model']] },
      { name: 'decoder.layers.0.fc1.weight', dims: [[c.decoderFfnDim, 'decoder_ffn_dim'], [d, 'd_model']] },
    ],
    stacks: [
      { prefix: 'encoder.layers.', count: c.encoderLayers, key: 'encoder_layers' },
      { prefix: 'decoder.layers.', count: c.decoderLayers, key: 'decoder_layers' },
    ],
    parameters: [
      { count: c.vocabSize * d, keys: 'vocab_size × d_model' },
      { count: 2 * positions * d, keys: 'max_position_embeddings × d_model' },
      { count: c.encoderLayers * layer(c.encoderFfnDim, false), keys: 'encoder_layers × (d_model, encoder_ffn_dim)' },
      { count: c.decoderLayers * layer(c.decoderFfnDim, true), keys: 'decoder_layers × (d_model, decoder_ffn_dim)' },
      { count: numLabels(c) * (d + 1), keys: 'num_labels × d_model' },
    ],
  };
}

/** Reads a Hugging Face BART `config.json`; keys it omits take BartConfig's (= Hugging Face's) defaults. */
export function bartConfigFromHf(json: HfConfig, where = 'config.json'): BartConfig {
  if (json['model_type'] !== undefined && json['model_type'] !== 'bart') {
    throw new BartConfigError(where, 'model_type', `is "${String(json['model_type'])}", expected "bart"`);
  }
  const partial: Record<string, unknown> = {};
  for (const [hf, key] of Object.entries(HF_KEYS)) if (json[hf] !== undefined) partial[key] = json[hf];
  // Old configs ask for a forced bos this way (Hugging Face's BartConfig maps it the same).
  if (partial['forcedBosTokenId'] == null && json['force_bos_token_to_be_generated'] === true) partial['forcedBosTokenId'] = partial['bosTokenId'] ?? BART_DEFAULTS.bosTokenId;
  checkHfLabelTypes(json, (key, problem) => new BartConfigError(where, key, problem));
  return bartConfig({ ...(partial as Partial<BartConfig>), ...labelsFromHf(json) }, where);
}

/**
 * The Hugging Face `config.json` for a config. Keys of `base` (the loaded file) that tfkit does
 * not interpret are kept, so a load → save round trip loses nothing. Keys Hugging Face leaves out
 * at their defaults (`forced_bos_token_id: null`, `tie_word_embeddings: true`, `problem_type:
 * null`) are written only when set otherwise or present in `base`.
 */
export function bartConfigToHf(config: BartConfig, architecture: string, base: HfConfig = {}): HfConfig {
  const out: HfConfig = { ...base, architectures: [architecture], model_type: 'bart', is_encoder_decoder: true };
  for (const [hf, key] of Object.entries(HF_KEYS)) out[hf] = config[key];
  // BartConfig's attribute maps num_hidden_layers to encoder_layers; Hugging Face writes it.
  out['num_hidden_layers'] = config.encoderLayers;
  delete out['force_bos_token_to_be_generated'];
  const omitAtDefault = { forced_bos_token_id: null, tie_word_embeddings: true, problem_type: null } as const;
  for (const [hf, value] of Object.entries(omitAtDefault)) if (out[hf] === value && !(hf in base)) delete out[hf];
  return finishHfConfig(out, config);
}
