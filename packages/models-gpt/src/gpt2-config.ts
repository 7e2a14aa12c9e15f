/**
 * Gpt2Config: the camelCase configuration the modeling code reads, and its translation from and to
 * Hugging Face `config.json`. This is the only file where Hugging Face key names appear.
 */
import type { HfConfig } from '@tfkit/core-tensor';
import { checkConfigSizes, checkHfLabelTypes, checkNumLabels, ConfigChecks, ConfigKeyError, finishHfConfig, numLabels, type ConfigSizes } from '@tfkit/layers';

export { numLabels } from '@tfkit/layers';

export type Gpt2ProblemType = 'regression' | 'single_label_classification' | 'multi_label_classification';

export interface Gpt2Config {
  vocabSize: number;
  /** Longest sequence (the position table's size). */
  nPositions: number;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  /** MLP width; `null` means 4 · nEmbd. */
  nInner: number | null;
  /** Hugging Face activation name (`gelu_new` for GPT-2). */
  activationFunction: string;
  residPdrop: number;
  embdPdrop: number;
  attnPdrop: number;
  layerNormEpsilon: number;
  initializerRange: number;
  /** Divide attention scores by √headDim. */
  scaleAttnWeights: boolean;
  /** Also divide attention scores of layer i by i + 1 (Mistral-style stabilisation). */
  scaleAttnByInverseLayerIdx: boolean;
  /** Upcast attention to float32 (a no-op here: tfkit computes in float32). */
  reorderAndUpcastAttn: boolean;
  bosTokenId: number | null;
  eosTokenId: number | number[] | null;
  padTokenId: number | null;
  /** The LM head shares the token embedding matrix (Hugging Face default). */
  tieWordEmbeddings: boolean;
  useCache: boolean;
  /** Label names by class index (sequence classification); its size is the number of labels. */
  id2label: Record<number, string>;
  label2id: Record<string, number>;
  problemType: Gpt2ProblemType | null;
}

export const GPT2_DEFAULTS: Gpt2Config = {
  vocabSize: 50257,
  nPositions: 1024,
  nEmbd: 768,
  nLayer: 12,
  nHead: 12,
  nInner: null,
  activationFunction: 'gelu_new',
  residPdrop: 0.1,
  embdPdrop: 0.1,
  attnPdrop: 0.1,
  layerNormEpsilon: 1e-5,
  initializerRange: 0.02,
  scaleAttnWeights: true,
  scaleAttnByInverseLayerIdx: false,
  reorderAndUpcastAttn: false,
  bosTokenId: 50256,
  eosTokenId: 50256,
  padTokenId: null,
  tieWordEmbeddings: true,
  useCache: true,
  id2label: { 0: 'LABEL_0', 1: 'LABEL_1' },
  label2id: { LABEL_0: 0, LABEL_1: 1 },
  problemType: null,
};

/** The MLP width. */
export function innerDim(config: Gpt2Config): number {
  return config.nInner ?? 4 * config.nEmbd;
}

/** A GPT-2 config value that is missing, of the wrong type or out of range; `key` is its `config.json` name. */
export class Gpt2ConfigError extends ConfigKeyError {
  constructor(where: string, key: string, problem: string) {
    super(where, key, problem);
    this.name = 'Gpt2ConfigError';
  }
}

/** What model constructors take: any subset of Gpt2Config, optionally `numLabels`. */
export type Gpt2ConfigInput = Partial<Gpt2Config> & { numLabels?: number };

/** A full config from a partial one: defaults filled in and every value checked (nothing is built). */
export function gpt2Config(partial: Gpt2ConfigInput = {}, where = 'Gpt2Config'): Gpt2Config {
  const { numLabels: n, ...rest } = partial;
  checkNumLabels(n, (key, problem) => new Gpt2ConfigError(where, key, problem));
  const labels: Partial<Gpt2Config> = {};
  if (!rest.id2label && n !== undefined) {
    labels.id2label = Object.fromEntries(Array.from({ length: n }, (_, i) => [i, `LABEL_${i}`]));
  }
  const config: Gpt2Config = { ...GPT2_DEFAULTS, ...labels, ...rest };
  if (!rest.label2id && (rest.id2label || labels.id2label)) {
    config.label2id = Object.fromEntries(Object.entries(config.id2label).map(([i, l]) => [l, Number(i)]));
  }
  validate(config, where);
  return config;
}

function validate(c: Gpt2Config, where: string): void {
  const fail = (key: string, problem: string) => new Gpt2ConfigError(where, key, problem);
  const checks = new ConfigChecks(c, HF_NAME, fail)
    .positiveInts('vocabSize', 'nPositions', 'nEmbd', 'nLayer', 'nHead')
    .optionalPositiveInt('nInner')
    .divides('nHead', 'nEmbd')
    .probabilities('residPdrop', 'embdPdrop', 'attnPdrop')
    .positiveNumber('layerNormEpsilon')
    .nonNegativeNumber('initializerRange')
    .activations('activationFunction')
    .booleans('scaleAttnWeights', 'scaleAttnByInverseLayerIdx', 'reorderAndUpcastAttn', 'tieWordEmbeddings', 'useCache')
    // Token ids are not checked against vocab_size: Hugging Face's defaults (50256) outlive tiny vocabularies.
    .tokenId('bosTokenId', { nullable: true })
    .tokenId('padTokenId', { nullable: true })
    .oneOf('problemType', ['regression', 'single_label_classification', 'multi_label_classification', null]);
  const eos = c.eosTokenId;
  if (!(eos === null || (Number.isInteger(eos) && (eos as number) >= 0) || (Array.isArray(eos) && eos.length > 0 && eos.every((e) => Number.isInteger(e) && e >= 0)))) {
    throw checks.error('eosTokenId', `must be a non-negative integer, a non-empty list of them, or null, got ${JSON.stringify(eos)}`);
  }
  if (numLabels(c) < 1) throw fail('id2label', 'must name at least one label');
  checkConfigSizes(gpt2ConfigSizes(c), where, fail);
}

/**
 * What a config implies, computed without building anything: the shapes of the weights it sizes
 * (checkpoint layout — GPT-2's Conv1D keeps `[in, out]` — and names of a GPT2Model checkpoint), the
 * block stack, and the parameter count. Checked against a checkpoint's header before a model is
 * built from it.
 */
export function gpt2ConfigSizes(c: Gpt2Config): ConfigSizes {
  const e = c.nEmbd;
  const inner = innerDim(c);
  return {
    weights: [
      { name: 'wte.weight', dims: [[c.vocabSize, 'vocab_size'], [e, 'n_embd']] },
      { name: 'wpe.weight', dims: [[c.nPositions, 'n_positions'], [e, 'n_embd']] },
      { name: 'h.0.attn.c_attn.weight', dims: [[e, 'n_embd'], [3 * e, 'n_embd']] },
      { name: 'h.0.mlp.c_fc.weight', dims: [[e, 'n_embd'], [inner, 'n_inner']] },
    ],
    stacks: [{ prefix: 'h.', count: c.nLayer, key: 'n_layer' }],
    parameters: [
      { count: c.vocabSize * e, keys: 'vocab_size × n_embd' },
      { count: c.nPositions * e, keys: 'n_positions × n_embd' },
      { count: c.nLayer * (4 * e * e + 2 * e * inner + 9 * e + inner), keys: 'n_layer × (n_embd, n_inner)' },
      { count: numLabels(c) * e, keys: 'num_labels × n_embd' },
    ],
  };
}

const HF_KEYS = {
  vocab_size: 'vocabSize',
  n_positions: 'nPositions',
  n_embd: 'nEmbd',
  n_layer: 'nLayer',
  n_head: 'nHead',
  n_inner: 'nInner',
  activation_function: 'activationFunction',
  resid_pdrop: 'residPdrop',
  embd_pdrop: 'embdPdrop',
  attn_pdrop: 'attnPdrop',
  layer_norm_epsilon: 'layerNormEpsilon',
  initializer_range: 'initializerRange',
  scale_attn_weights: 'scaleAttnWeights',
  scale_attn_by_inverse_layer_idx: 'scaleAttnByInverseLayerIdx',
  reorder_and_upcast_attn: 'reorderAndUpcastAttn',
  bos_token_id: 'bosTokenId',
  eos_token_id: 'eosTokenId',
  pad_token_id: 'padTokenId',
  tie_word_embeddings: 'tieWordEmbeddings',
  use_cache: 'useCache',
  problem_type: 'problemType',
} as const satisfies Record<string, keyof Gpt2Config>;

/** Gpt2Config key → its `config.json` name, for messages. */
const HF_NAME: Partial<Record<keyof Gpt2Config, string>> = {
  ...Object.fromEntries(Object.entries(HF_KEYS).map(([hf, key]) => [key, hf])),
  id2label: 'id2label',
  label2id: 'label2id',
};

/** Reads a Hugging Face GPT-2 `config.json`; keys it omits take Hugging Face's defaults. */
export function gpt2ConfigFromHf(json: HfConfig, where = 'config.json'): Gpt2Config {
  if (json['model_type'] !== undefined && json['model_type'] !== 'gpt2') {
    throw new Gpt2ConfigError(where, 'model_type', `is ${JSON.stringify(json['model_type'])}, expected "gpt2"`);
  }
  if (json['add_cross_attention'] === true) throw new Gpt2ConfigError(where, 'add_cross_attention', 'is true: GPT-2 with cross-attention is not supported');
  checkHfLabelTypes(json, (key, problem) => new Gpt2ConfigError(where, key, problem));
  const partial: Record<string, unknown> = {};
  for (const [hf, key] of Object.entries(HF_KEYS)) if (json[hf] !== undefined) partial[key] = json[hf];
  // Old configs name the context length n_ctx.
  if (json['n_positions'] === undefined && typeof json['n_ctx'] === 'number') partial['nPositions'] = json['n_ctx'];
  const id2label = json['id2label'];
  if (id2label && typeof id2label === 'object') {
    // An id2label names the labels; num_labels is only read without one.
    partial['id2label'] = Object.fromEntries(Object.entries(id2label).map(([i, l]) => [Number(i), String(l)]));
    const label2id = json['label2id'];
    if (label2id && typeof label2id === 'object') partial['label2id'] = Object.fromEntries(Object.entries(label2id).map(([l, i]) => [l, Number(i)]));
  }
  const n = json['num_labels'];
  return gpt2Config({ ...(partial as Partial<Gpt2Config>), ...(typeof n === 'number' && !partial['id2label'] ? { numLabels: n } : {}) }, where);
}

/** The Hugging Face `config.json` for a config; keys of `base` tfkit does not read are kept. */
export function gpt2ConfigToHf(config: Gpt2Config, architecture: string, base: HfConfig = {}): HfConfig {
  const out: HfConfig = { ...base, architectures: [architecture], model_type: 'gpt2' };
  for (const [hf, key] of Object.entries(HF_KEYS)) out[hf] = config[key];
  delete out['n_ctx'];
  if (out['problem_type'] === null) delete out['problem_type'];
  return finishHfConfig(out, config);
}
