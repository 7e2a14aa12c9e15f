/**
 * BertConfig: the camelCase configuration the modeling code reads, and its translation from and to
 * Hugging Face `config.json`. This is the only file where Hugging Face key names appear.
 */
import { ConfigError, type HfConfig } from '@tfkit/core-tensor';
import { configWithLabels, finishHfConfig, labelsFromHf, numLabels } from '@tfkit/layers';

export { defaultLabels, numLabels } from '@tfkit/layers';

export type BertProblemType = 'regression' | 'single_label_classification' | 'multi_label_classification';

export interface BertConfig {
  vocabSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  /** Hugging Face activation name (`gelu`, `gelu_new`, `relu`, …). */
  hiddenAct: string;
  hiddenDropoutProb: number;
  attentionProbsDropoutProb: number;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  initializerRange: number;
  layerNormEps: number;
  padTokenId: number;
  positionEmbeddingType: 'absolute';
  /** Dropout before classification heads; `null` means `hiddenDropoutProb`. */
  classifierDropout: number | null;
  /** Label names by class index; its size is the number of labels. */
  id2label: Record<number, string>;
  label2id: Record<string, number>;
  /** How sequence classification computes its loss; inferred from the labels when absent. */
  problemType: BertProblemType | null;
  /** The MLM decoder shares the word embedding matrix (Hugging Face default). */
  tieWordEmbeddings: boolean;
}

export const BERT_DEFAULTS: BertConfig = {
  vocabSize: 30522,
  hiddenSize: 768,
  numHiddenLayers: 12,
  numAttentionHeads: 12,
  intermediateSize: 3072,
  hiddenAct: 'gelu',
  hiddenDropoutProb: 0.1,
  attentionProbsDropoutProb: 0.1,
  maxPositionEmbeddings: 512,
  typeVocabSize: 2,
  initializerRange: 0.02,
  layerNormEps: 1e-12,
  padTokenId: 0,
  positionEmbeddingType: 'absolute',
  classifierDropout: null,
  id2label: { 0: 'LABEL_0', 1: 'LABEL_1' },
  label2id: { LABEL_0: 0, LABEL_1: 1 },
  problemType: null,
  tieWordEmbeddings: true,
};

/** What model constructors take: any subset of BertConfig (defaults fill the rest), optionally `numLabels`. */
export type BertConfigInput = Partial<BertConfig> & { numLabels?: number };

/** A full config from a partial one: defaults filled in and every value checked. */
export function bertConfig(partial: BertConfigInput = {}, where = 'BertConfig'): BertConfig {
  const config = configWithLabels(BERT_DEFAULTS, partial);
  validate(config, where);
  return config;
}

function validate(c: BertConfig, where: string): void {
  const positiveInts: (keyof BertConfig)[] = [
    'vocabSize', 'hiddenSize', 'numHiddenLayers', 'numAttentionHeads', 'intermediateSize', 'maxPositionEmbeddings', 'typeVocabSize',
  ];
  for (const key of positiveInts) {
    const v = c[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new ConfigError(`${where}: ${key} must be a positive integer, got ${String(v)}`);
  }
  if (c.hiddenSize % c.numAttentionHeads !== 0) {
    throw new ConfigError(`${where}: hidden size ${c.hiddenSize} is not a multiple of the number of attention heads ${c.numAttentionHeads}`);
  }
  for (const key of ['hiddenDropoutProb', 'attentionProbsDropoutProb'] as const) {
    if (!(c[key] >= 0 && c[key] < 1)) throw new ConfigError(`${where}: ${key} must be in [0, 1), got ${c[key]}`);
  }
  if (c.classifierDropout !== null && !(c.classifierDropout >= 0 && c.classifierDropout < 1)) {
    throw new ConfigError(`${where}: classifierDropout must be null or in [0, 1), got ${c.classifierDropout}`);
  }
  if (c.positionEmbeddingType !== 'absolute') {
    throw new ConfigError(`${where}: position_embedding_type "${String(c.positionEmbeddingType)}" is not supported; tfkit's BERT implements "absolute"`);
  }
  if (numLabels(c) < 1) throw new ConfigError(`${where}: id2label must name at least one label`);
  const problems: (BertProblemType | null)[] = ['regression', 'single_label_classification', 'multi_label_classification', null];
  if (!problems.includes(c.problemType)) {
    throw new ConfigError(`${where}: problem_type "${String(c.problemType)}" is not one of regression, single_label_classification, multi_label_classification`);
  }
}

/** Hugging Face key → BertConfig key, for the keys that map one to one. */
const HF_KEYS = {
  vocab_size: 'vocabSize',
  hidden_size: 'hiddenSize',
  num_hidden_layers: 'numHiddenLayers',
  num_attention_heads: 'numAttentionHeads',
  intermediate_size: 'intermediateSize',
  hidden_act: 'hiddenAct',
  hidden_dropout_prob: 'hiddenDropoutProb',
  attention_probs_dropout_prob: 'attentionProbsDropoutProb',
  max_position_embeddings: 'maxPositionEmbeddings',
  type_vocab_size: 'typeVocabSize',
  initializer_range: 'initializerRange',
  layer_norm_eps: 'layerNormEps',
  pad_token_id: 'padTokenId',
  position_embedding_type: 'positionEmbeddingType',
  classifier_dropout: 'classifierDropout',
  problem_type: 'problemType',
  tie_word_embeddings: 'tieWordEmbeddings',
} as const satisfies Record<string, keyof BertConfig>;

/** Reads a Hugging Face BERT `config.json`; keys it omits take BertConfig's (= Hugging Face's) defaults. */
export function bertConfigFromHf(json: HfConfig, where = 'config.json'): BertConfig {
  if (json['model_type'] !== undefined && json['model_type'] !== 'bert') {
    throw new ConfigError(`${where}: model_type is "${String(json['model_type'])}", expected "bert"`);
  }
  if (json['is_decoder'] === true || json['add_cross_attention'] === true) {
    throw new ConfigError(`${where}: BERT as a decoder (is_decoder / add_cross_attention) is not supported; tfkit's BERT is an encoder`);
  }
  const partial: Record<string, unknown> = {};
  for (const [hf, key] of Object.entries(HF_KEYS)) if (json[hf] !== undefined) partial[key] = json[hf];
  const id2label = json['id2label'];
  if (id2label !== undefined && id2label !== null && typeof id2label !== 'object') throw new ConfigError(`${where}: id2label must be an object of index → label`);
  return bertConfig({ ...(partial as Partial<BertConfig>), ...labelsFromHf(json) }, where);
}

/**
 * The Hugging Face `config.json` for a config. Keys of `base` (the loaded file) that tfkit does
 * not interpret are kept, so a load → save round trip loses nothing.
 */
export function bertConfigToHf(config: BertConfig, architecture: string, base: HfConfig = {}): HfConfig {
  const out: HfConfig = { ...base, architectures: [architecture], model_type: 'bert' };
  for (const [hf, key] of Object.entries(HF_KEYS)) out[hf] = config[key];
  if (out['problem_type'] === null) delete out['problem_type'];
  return finishHfConfig(out, config);
}
