/**
 * Seq2SeqConfig: the camelCase configuration the modeling code reads, and its translation from and
 * to `config.json` (`model_type: "rnn-seq2seq"`). This is the only file where the JSON key names appear.
 */
import type { HfConfig } from '@tfkit/core-tensor';
import { checkConfigSizes, CONFIG_LIMITS, ConfigKeyError, type ConfigSizes } from '@tfkit/layers';

/** The recurrent cell: PyTorch's nn.GRU, nn.LSTM or nn.RNN (tanh). */
export type Seq2SeqCell = 'gru' | 'lstm' | 'rnn';

/**
 * How the decoder attends to the encoder states: additive attention queried with the previous
 * decoder state, its context joining the RNN input (Bahdanau et al., 2015); multiplicative
 * attention queried with the new state, its context combined with it after the RNN (Luong et
 * al., 2015, `dot` or `general` score); or none (Sutskever et al., 2014: the encoder's final state only).
 */
export type Seq2SeqAttentionType = 'bahdanau' | 'luong-dot' | 'luong-general' | 'none';

export const MODEL_TYPE = 'rnn-seq2seq';

export interface Seq2SeqConfig {
  cell: Seq2SeqCell;
  /** Source (encoder) vocabulary size. */
  sourceVocabSize: number;
  /** Target (decoder, output) vocabulary size. */
  targetVocabSize: number;
  /** Width of the token embeddings, both sides. */
  embeddingSize: number;
  /** Width of every recurrent layer (the encoder's per direction). */
  hiddenSize: number;
  /** Recurrent layers of the encoder and of the decoder. */
  numLayers: number;
  /** A bidirectional encoder; a `bridge` maps its two final states to the decoder's initial state. */
  bidirectional: boolean;
  attention: Seq2SeqAttentionType;
  /** Dropout on embeddings, between recurrent layers and before the output projection (training only). */
  dropout: number;
  padTokenId: number;
  bosTokenId: number;
  eosTokenId: number;
  /** The token every decoder input starts with (default: bos). */
  decoderStartTokenId: number;
  /** The output projection shares the target embedding matrix (needs embeddingSize = hiddenSize). */
  tieWordEmbeddings: boolean;
}

export const SEQ2SEQ_DEFAULTS: Omit<Seq2SeqConfig, 'sourceVocabSize' | 'targetVocabSize'> = {
  cell: 'gru',
  embeddingSize: 256,
  hiddenSize: 256,
  numLayers: 1,
  bidirectional: false,
  attention: 'bahdanau',
  dropout: 0.1,
  padTokenId: 0,
  bosTokenId: 1,
  eosTokenId: 2,
  decoderStartTokenId: 1,
  tieWordEmbeddings: false,
};

/** JSON key → Seq2SeqConfig key. */
const JSON_KEYS = {
  cell: 'cell',
  src_vocab_size: 'sourceVocabSize',
  tgt_vocab_size: 'targetVocabSize',
  embedding_size: 'embeddingSize',
  hidden_size: 'hiddenSize',
  num_layers: 'numLayers',
  bidirectional: 'bidirectional',
  attention: 'attention',
  dropout: 'dropout',
  pad_token_id: 'padTokenId',
  bos_token_id: 'bosTokenId',
  eos_token_id: 'eosTokenId',
  decoder_start_token_id: 'decoderStartTokenId',
  tie_word_embeddings: 'tieWordEmbeddings',
} as const satisfies Record<string, keyof Seq2SeqConfig>;

const JSON_NAME = Object.fromEntries(Object.entries(JSON_KEYS).map(([json, key]) => [key, json])) as Record<keyof Seq2SeqConfig, string>;

/** A config value that is missing, of the wrong type or out of range; `key` is its config.json name. */
export class Seq2SeqConfigError extends ConfigKeyError {
  constructor(where: string, key: string, problem: string) {
    super(where, key, problem);
    this.name = 'Seq2SeqConfigError';
  }
}

/** What constructors take: any subset of the config; `vocabSize` sets both vocabularies (one shared vocabulary). */
export type Seq2SeqConfigInput = Partial<Seq2SeqConfig> & { vocabSize?: number };

const CELLS: readonly Seq2SeqCell[] = ['gru', 'lstm', 'rnn'];
const ATTENTIONS: readonly Seq2SeqAttentionType[] = ['bahdanau', 'luong-dot', 'luong-general', 'none'];

/** A full config from a partial one: defaults filled in and every value checked. */
export function seq2seqConfig(partial: Seq2SeqConfigInput = {}, where = 'Seq2SeqConfig'): Seq2SeqConfig {
  const { vocabSize, ...rest } = partial;
  const sourceVocabSize = rest.sourceVocabSize ?? vocabSize;
  const targetVocabSize = rest.targetVocabSize ?? vocabSize;
  const fail = (key: keyof Seq2SeqConfig, problem: string) => new Seq2SeqConfigError(where, JSON_NAME[key], problem);
  if (sourceVocabSize === undefined) throw fail('sourceVocabSize', 'is required: give src_vocab_size and tgt_vocab_size, or vocab_size for one shared vocabulary');
  if (targetVocabSize === undefined) throw fail('targetVocabSize', 'is required: give src_vocab_size and tgt_vocab_size, or vocab_size for one shared vocabulary');
  const config: Seq2SeqConfig = { ...SEQ2SEQ_DEFAULTS, ...rest, sourceVocabSize, targetVocabSize };
  if (rest.decoderStartTokenId === undefined && rest.bosTokenId !== undefined) config.decoderStartTokenId = rest.bosTokenId;
  validate(config, fail);
  checkConfigSizes(seq2seqConfigSizes(config), where, (key, problem) => new Seq2SeqConfigError(where, key, problem));
  return config;
}

/**
 * What a config implies, computed without building anything: the embedding tables' shapes, the
 * recurrent stack and the parameter count (attention and bridge left out: they are small). Checked
 * against a checkpoint's header before a model is built from it.
 */
export function seq2seqConfigSizes(c: Seq2SeqConfig): ConfigSizes {
  const gates = c.cell === 'lstm' ? 4 : c.cell === 'gru' ? 3 : 1;
  const h = c.hiddenSize;
  const dirs = c.bidirectional ? 2 : 1;
  const layer = (input: number) => gates * h * (input + h + 2);
  const encoder = dirs * (layer(c.embeddingSize) + (c.numLayers - 1) * layer(dirs * h));
  const decoder = layer(c.embeddingSize) + (c.numLayers - 1) * layer(h);
  return {
    weights: [
      { name: 'encoder.embedding.weight', dims: [[c.sourceVocabSize, 'src_vocab_size'], [c.embeddingSize, 'embedding_size']] },
      { name: 'decoder.embedding.weight', dims: [[c.targetVocabSize, 'tgt_vocab_size'], [c.embeddingSize, 'embedding_size']] },
      { name: 'encoder.rnn.weight_ih_l0', dims: [[gates * h, 'hidden_size'], [c.embeddingSize, 'embedding_size']] },
    ],
    stacks: [],
    parameters: [
      { count: (c.sourceVocabSize + 2 * c.targetVocabSize) * c.embeddingSize, keys: 'tgt_vocab_size × embedding_size' },
      { count: encoder + decoder, keys: 'num_layers × hidden_size' },
    ],
  };
}

function validate(c: Seq2SeqConfig, fail: (key: keyof Seq2SeqConfig, problem: string) => Seq2SeqConfigError): void {
  if (!CELLS.includes(c.cell)) throw fail('cell', `must be one of ${CELLS.join(', ')}, got ${JSON.stringify(c.cell)}`);
  if (!ATTENTIONS.includes(c.attention)) throw fail('attention', `must be one of ${ATTENTIONS.join(', ')}, got ${JSON.stringify(c.attention)}`);
  for (const key of ['sourceVocabSize', 'targetVocabSize', 'embeddingSize', 'hiddenSize', 'numLayers'] as const) {
    const v: unknown = c[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw fail(key, `must be a positive integer, got ${JSON.stringify(v)}`);
  }
  if (!(typeof c.dropout === 'number' && c.dropout >= 0 && c.dropout < 1)) throw fail('dropout', `must be in [0, 1), got ${JSON.stringify(c.dropout)}`);
  for (const key of ['bidirectional', 'tieWordEmbeddings'] as const) {
    if (typeof c[key] !== 'boolean') throw fail(key, `must be true or false, got ${JSON.stringify(c[key])}`);
  }
  // pad is used on both sides; bos / eos / decoder start are target tokens.
  const tokenIds = [['padTokenId', Math.min(c.sourceVocabSize, c.targetVocabSize)], ['bosTokenId', c.targetVocabSize], ['eosTokenId', c.targetVocabSize], ['decoderStartTokenId', c.targetVocabSize]] as const;
  for (const [key, size] of tokenIds) {
    const v: unknown = c[key];
    if (!(typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < size)) throw fail(key, `must be a token id in [0, ${size}), got ${JSON.stringify(v)}`);
  }
  if (c.attention === 'luong-dot' && c.bidirectional) {
    throw fail('attention', `"luong-dot" scores sᵀh, so the encoder states (2 × hidden_size with bidirectional: true) must be as wide as the decoder's (hidden_size); use "luong-general" or "bahdanau"`);
  }
  if (c.numLayers > CONFIG_LIMITS.layers) throw fail('numLayers', `is ${c.numLayers}; tfkit builds at most ${CONFIG_LIMITS.layers} layers per stack`);
  if (c.tieWordEmbeddings && c.embeddingSize !== c.hiddenSize) {
    throw fail('tieWordEmbeddings', `needs embedding_size (${c.embeddingSize}) = hidden_size (${c.hiddenSize}): the output projection reads hidden_size-wide decoder outputs`);
  }
}

/** Reads `config.json`; omitted keys take the defaults (decoder_start_token_id: bos_token_id). `vocab_size` sets both vocabularies. */
export function seq2seqConfigFromHf(json: HfConfig, where = 'config.json'): Seq2SeqConfig {
  if (json['model_type'] !== undefined && json['model_type'] !== MODEL_TYPE) {
    throw new Seq2SeqConfigError(where, 'model_type', `is "${String(json['model_type'])}", expected "${MODEL_TYPE}"`);
  }
  const partial: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(JSON_KEYS)) if (json[key] !== undefined) partial[name] = json[key];
  if (json['vocab_size'] !== undefined) partial['vocabSize'] = json['vocab_size'];
  return seq2seqConfig(partial as Seq2SeqConfigInput, where);
}

/** The `config.json` for a config; keys of `base` (the file it was loaded from) that tfkit does not read are kept. */
export function seq2seqConfigToHf(config: Seq2SeqConfig, architecture: string, base: HfConfig = {}): HfConfig {
  const out: HfConfig = { ...base, architectures: [architecture], model_type: MODEL_TYPE, is_encoder_decoder: true };
  delete out['vocab_size'];
  for (const [key, name] of Object.entries(JSON_KEYS)) out[key] = config[name];
  if (out['torch_dtype'] === undefined) out['torch_dtype'] = 'float32';
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}
