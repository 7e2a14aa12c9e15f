/**
 * BertConfig: the camelCase configuration the modeling code reads, and its translation from and to
 * Hugging Face `config.json`. This is the only file where Hugging Face key names appear.
 */
import type { HfConfig } from '@tfkit/core-tensor';
import {
  checkConfigSizes, checkHfLabelTypes, checkNumLabels, ConfigChecks, ConfigKeyError, configWithLabels, finishHfConfig, labelsFromHf, numLabels, type ConfigSizes,
} from '@tfkit/layers';

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
  /** The padding token (its embedding row gets no gradient, as `padding_idx`); `null`: none. */
  padTokenId: number | null;
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

/** A BERT config value that is missing, of the wrong type or out of range; `key` is its `config.json` name. */
export class BertConfigError extends ConfigKeyError {
  constructor(where: string, key: string, problem: string) {
    super(where, key, problem);
    this.name = 'BertConfigError';
  }
}

/** What model constructors take: any subset of BertConfig (defaults fill the rest), optionally `numLabels`. */
export type BertConfigInput = Partial<BertConfig> & { numLabels?: number };

/** A full config from a partial one: defaults filled in and every value checked (nothing is built). */
export function bertConfig(partial: BertConfigInput = {}, where = 'BertConfig'): BertConfig {
  checkNumLabels(partial.numLabels, (key, problem) => new BertConfigError(where, key, problem));
  const config = configWithLabels(BERT_DEFAULTS, partial);
  validate(config, where);
  return config;
}

function validate(c: BertConfig, where: string): void {
  const fail = (key: string, problem: string) => new BertConfigError(where, key, problem);
  new ConfigChecks(c, HF_NAME, fail)
    .positiveInts('vocabSize', 'hiddenSize', 'numHiddenLayers', 'numAttentionHeads', 'intermediateSize', 'maxPositionEmbeddings', 'typeVocabSize')
    .divides('numAttentionHeads', 'hiddenSize')
    .probabilities('hiddenDropoutProb', 'attentionProbsDropoutProb')
    .optionalProbability('classifierDropout')
    .positiveNumber('layerNormEps')
    .nonNegativeNumber('initializerRange')
    .activations('hiddenAct')
    .tokenId('padTokenId', { vocabSize: c.vocabSize, nullable: true })
    .booleans('tieWordEmbeddings')
    .oneOf('positionEmbeddingType', ['absolute'])
    .oneOf('problemType', ['regression', 'single_label_classification', 'multi_label_classification', null]);
  if (numLabels(c) < 1) throw fail('id2label', 'must name at least one label');
  checkConfigSizes(bertConfigSizes(c), where, fail);
}

/**
 * What a config implies, computed without building anything: the shapes of the weights it sizes
 * (PyTorch layout, names of a BertModel checkpoint), the layer stack, and the parameter count of
 * the encoder. Checked against a checkpoint's header before a model is built from it.
 */
export function bertConfigSizes(c: BertConfig): ConfigSizes {
  const h = c.hiddenSize;
  const perLayer = 4 * h * h + 2 * h * c.intermediateSize + 9 * h + c.intermediateSize;
  return {
    weights: [
      { name: 'embeddings.word_embeddings.weight', dims: [[c.vocabSize, 'vocab_size'], [h, 'hidden_size']] },
      { name: 'embeddings.position_embeddings.weight', dims: [[c.maxPositionEmbeddings, 'max_position_embeddings'], [h, 'hidden_size']] },
      { name: 'embeddings.token_type_embeddings.weight', dims: [[c.typeVocabSize, 'type_vocab_size'], [h, 'hidden_size']] },
      { name: 'encoder.layer.0.attention.self.query.weight', dims: [[h, 'hidden_size'], [h, 'hidden_size']] },
      { name: 'encoder.layer.0.intermediate.dense.weight', dims: [[c.intermediateSize, 'intermediate_size'], [h, 'hidden_size']] },
    ],
    stacks: [{ prefix: 'encoder.layer.', count: c.numHiddenLayers, key: 'num_hidden_layers' }],
    parameters: [
      { count: c.vocabSize * h, keys: 'vocab_size × hidden_size' },
      { count: (c.maxPositionEmbeddings + c.typeVocabSize) * h, keys: 'max_position_embeddings × hidden_size' },
      { count: c.numHiddenLayers * perLayer, keys: 'num_hidden_layers × (hidden_size, intermediate_size)' },
      { count: h * h + 3 * h, keys: 'hidden_size × hidden_size' },
      { count: numLabels(c) * (h + 1), keys: 'num_labels × hidden_size' },
    ],
  };
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

/** BertConfig key → its `config.json` name, for messages. */
const HF_NAME: Partial<Record<keyof BertConfig, string>> = {
  ...Object.fromEntries(Object.entries(HF_KEYS).map(([hf, key]) => [key, hf])),
  id2label: 'id2label',
  label2id: 'label2id',
};

/** Reads a Hugging Face BERT `config.json`; keys it omits take BertConfig's (= Hugging Face's) defaults. */
export function bertConfigFromHf(json: HfConfig, where = 'config.json'): BertConfig {
  if (json['model_type'] !== undefined && json['model_type'] !== 'bert') {
    throw new BertConfigError(where, 'model_type', `is ${JSON.stringify(json['model_type'])}, expected "bert"`);
  }
  if (json['is_decoder'] === true || json['add_cross_attention'] === true) {
    throw new BertConfigError(where, json['is_decoder'] === true ? 'is_decoder' : 'add_cross_attention', 'is true: BERT as a decoder is not supported; tfkit\'s BERT is an encoder');
  }
  const partial: Record<string, unknown> = {};
  for (const [hf, key] of Object.entries(HF_KEYS)) if (json[hf] !== undefined) partial[key] = json[hf];
  checkHfLabelTypes(json, (key, problem) => new BertConfigError(where, key, problem));
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
