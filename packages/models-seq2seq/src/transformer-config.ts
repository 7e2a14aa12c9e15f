/**
 * TransformerConfig: the camelCase configuration of the Transformer (Vaswani et al., 2017) that the
 * modeling code reads, and its translation from and to `config.json`. Checkpoints are Hugging Face
 * Marian checkpoints (`model_type: "marian"`, MarianMTModel: the paper's architecture with static
 * sinusoidal positions), so transformers loads them as they are. The only file where the JSON key
 * names appear.
 */
import type { HfConfig } from '@tfkit/core-tensor';
import { checkConfigSizes, checkEncoderDecoderConfig, ConfigChecks, ConfigKeyError, ENCODER_DECODER_HF_KEYS, type ConfigSizes, type EncoderDecoderConfig } from '@tfkit/layers';

export const TRANSFORMER_MODEL_TYPE = 'marian';

/** The Transformer's config: the encoder-decoder keys (`EncoderDecoderConfig`; Marian's OPUS models start the decoder with the pad token) and its vocabularies. */
export interface TransformerConfig extends EncoderDecoderConfig {
  /** Target vocabulary size (= vocabSize with a shared vocabulary). */
  decoderVocabSize: number;
  /** One token table for the encoder and the decoder (a shared source/target vocabulary). */
  shareEncoderDecoderEmbeddings: boolean;
}

/** What constructors take: any subset of the config but `vocabSize`; `decoderVocabSize` alone implies separate vocabularies. */
export type TransformerConfigInput = Partial<TransformerConfig> & { vocabSize: number };

/** The base model of the paper (§6.1, Table 3), with the special tokens tfkit's other seq2seq models use. */
export const TRANSFORMER_DEFAULTS: Omit<TransformerConfig, 'vocabSize' | 'decoderVocabSize' | 'shareEncoderDecoderEmbeddings'> = {
  tieWordEmbeddings: true,
  maxPositionEmbeddings: 512,
  dModel: 512,
  encoderLayers: 6,
  encoderAttentionHeads: 8,
  encoderFfnDim: 2048,
  decoderLayers: 6,
  decoderAttentionHeads: 8,
  decoderFfnDim: 2048,
  activationFunction: 'relu',
  dropout: 0.1,
  attentionDropout: 0,
  activationDropout: 0,
  initStd: 0.02,
  scaleEmbedding: true,
  padTokenId: 0,
  bosTokenId: 1,
  eosTokenId: 2,
  decoderStartTokenId: 1,
  forcedEosTokenId: null,
};

/** Hugging Face's MarianConfig defaults: what a `config.json` means by the keys it leaves out. */
const MARIAN_HF_DEFAULTS: Omit<TransformerConfig, 'decoderVocabSize'> = {
  vocabSize: 58101,
  shareEncoderDecoderEmbeddings: true,
  tieWordEmbeddings: true,
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
  initStd: 0.02,
  scaleEmbedding: false,
  padTokenId: 58100,
  bosTokenId: null,
  eosTokenId: 0,
  decoderStartTokenId: 58100,
  forcedEosTokenId: 0,
};

/** JSON key → TransformerConfig key: the encoder-decoder keys and the vocabularies'. */
const HF_KEYS = {
  ...ENCODER_DECODER_HF_KEYS,
  decoder_vocab_size: 'decoderVocabSize',
  share_encoder_decoder_embeddings: 'shareEncoderDecoderEmbeddings',
} as const satisfies Record<string, keyof TransformerConfig>;

const HF_NAME = Object.fromEntries(Object.entries(HF_KEYS).map(([hf, key]) => [key, hf])) as Record<keyof TransformerConfig, string>;

/** A config value that is missing, of the wrong type, out of range or inconsistent; `key` is its `config.json` name. */
export class TransformerConfigError extends ConfigKeyError {
  constructor(where: string, key: string, problem: string) {
    super(where, key, problem);
    this.name = 'TransformerConfigError';
  }
}

/**
 * A full config from a partial one: defaults (the paper's base model) filled in and every value
 * checked. Without `shareEncoderDecoderEmbeddings`, the vocabularies are shared unless
 * `decoderVocabSize` differs from `vocabSize`.
 */
export function transformerConfig(partial: TransformerConfigInput, where = 'TransformerConfig'): TransformerConfig {
  const input = (partial ?? {}) as Partial<TransformerConfig>;
  const { vocabSize } = input;
  const decoderVocabSize = input.decoderVocabSize ?? vocabSize;
  const share = input.shareEncoderDecoderEmbeddings ?? decoderVocabSize === vocabSize;
  const config = { ...TRANSFORMER_DEFAULTS, ...input, decoderVocabSize, shareEncoderDecoderEmbeddings: share } as TransformerConfig;
  validate(config, where);
  return config;
}

function validate(c: TransformerConfig, where: string): void {
  const checks = checkEncoderDecoderConfig(new ConfigChecks(c, HF_NAME, (key, problem) => new TransformerConfigError(where, key, problem)))
    .positiveInts('decoderVocabSize')
    .booleans('shareEncoderDecoderEmbeddings');
  const fail = (key: keyof TransformerConfig, problem: string) => checks.error(key, problem);
  const show = (v: unknown) => JSON.stringify(v) ?? String(v);
  if (c.shareEncoderDecoderEmbeddings && c.decoderVocabSize !== c.vocabSize) {
    throw fail('decoderVocabSize', `(${c.decoderVocabSize}) differs from vocab_size (${c.vocabSize}), but one token table serves both sides (share_encoder_decoder_embeddings: true); set share_encoder_decoder_embeddings to false for separate vocabularies`);
  }
  // Padding appears on both sides; the other special tokens are target tokens.
  const tokenIds = [
    ['padTokenId', Math.min(c.vocabSize, c.decoderVocabSize), false], ['eosTokenId', c.decoderVocabSize, false], ['decoderStartTokenId', c.decoderVocabSize, false],
    ['bosTokenId', c.decoderVocabSize, true], ['forcedEosTokenId', c.decoderVocabSize, true],
  ] as const;
  for (const [key, size, nullable] of tokenIds) {
    const v: unknown = c[key];
    if (v === null && nullable) continue;
    if (!(typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < size)) {
      throw fail(key, `must be a token id in [0, ${size})${nullable ? ' or null' : ''}, got ${show(v)}`);
    }
  }
  checkConfigSizes(transformerConfigSizes(c), where, (key, problem) => new TransformerConfigError(where, key, problem));
}

/**
 * What a config implies, computed without building anything: the token tables and first layers'
 * shapes (names of a MarianModel checkpoint), the two layer stacks and the parameter count.
 * Checked against a checkpoint's header before a model is built from it.
 */
export function transformerConfigSizes(c: TransformerConfig): ConfigSizes {
  const d = c.dModel;
  const layer = (ffn: number, cross: boolean) => (cross ? 8 : 4) * d * d + 2 * d * ffn + (cross ? 15 : 9) * d + ffn;
  const tables: ConfigSizes['weights'] = c.shareEncoderDecoderEmbeddings
    ? [{ name: 'shared.weight', dims: [[c.vocabSize, 'vocab_size'], [d, 'd_model']] }]
    : [
      { name: 'encoder.embed_tokens.weight', dims: [[c.vocabSize, 'vocab_size'], [d, 'd_model']] },
      { name: 'decoder.embed_tokens.weight', dims: [[c.decoderVocabSize, 'decoder_vocab_size'], [d, 'd_model']] },
    ];
  return {
    weights: [
      ...tables,
      { name: 'encoder.layers.0.fc1.weight', dims: [[c.encoderFfnDim, 'encoder_ffn_dim'], [d, 'd_model']] },
      { name: 'decoder.layers.0.fc1.weight', dims: [[c.decoderFfnDim, 'decoder_ffn_dim'], [d, 'd_model']] },
    ],
    stacks: [
      { prefix: 'encoder.layers.', count: c.encoderLayers, key: 'encoder_layers' },
      { prefix: 'decoder.layers.', count: c.decoderLayers, key: 'decoder_layers' },
    ],
    parameters: [
      { count: (c.shareEncoderDecoderEmbeddings ? 1 : 2) * c.vocabSize * d + (c.tieWordEmbeddings ? 0 : c.decoderVocabSize * d), keys: 'vocab_size × d_model' },
      { count: c.encoderLayers * layer(c.encoderFfnDim, false), keys: 'encoder_layers × (d_model, encoder_ffn_dim)' },
      { count: c.decoderLayers * layer(c.decoderFfnDim, true), keys: 'decoder_layers × (d_model, decoder_ffn_dim)' },
    ],
  };
}

/**
 * Reads a Marian `config.json`; keys it leaves out mean what they mean to Hugging Face's
 * MarianConfig (`decoder_vocab_size`: vocab_size). LayerDrop, which tfkit's Transformer does not
 * implement, must be 0.
 */
export function transformerConfigFromHf(json: HfConfig, where = 'config.json'): TransformerConfig {
  if (json['model_type'] !== undefined && json['model_type'] !== TRANSFORMER_MODEL_TYPE) {
    throw new TransformerConfigError(where, 'model_type', `is "${String(json['model_type'])}", expected "${TRANSFORMER_MODEL_TYPE}"`);
  }
  for (const key of ['encoder_layerdrop', 'decoder_layerdrop']) {
    const v = json[key];
    if (v !== undefined && v !== 0) throw new TransformerConfigError(where, key, `is ${JSON.stringify(v)}; tfkit's Transformer has no LayerDrop, set it to 0`);
  }
  const partial: Record<string, unknown> = { ...MARIAN_HF_DEFAULTS };
  for (const [hf, key] of Object.entries(HF_KEYS)) if (json[hf] !== undefined) partial[key] = json[hf];
  // MarianConfig: decoder_vocab_size = decoder_vocab_size or vocab_size.
  if (json['decoder_vocab_size'] == null) partial['decoderVocabSize'] = partial['vocabSize'];
  return transformerConfig(partial as TransformerConfigInput, where);
}

/**
 * The `config.json` for a config: every key written out (Hugging Face's defaults are not the
 * paper's), the keys of `base` (the file it was loaded from) that tfkit does not read kept.
 */
export function transformerConfigToHf(config: TransformerConfig, architecture: string, base: HfConfig = {}): HfConfig {
  const out: HfConfig = { ...base, architectures: [architecture], model_type: TRANSFORMER_MODEL_TYPE, is_encoder_decoder: true };
  for (const [hf, key] of Object.entries(HF_KEYS)) out[hf] = config[key];
  // MarianConfig sets num_hidden_layers = encoder_layers and writes it.
  out['num_hidden_layers'] = config.encoderLayers;
  if (out['torch_dtype'] === undefined) out['torch_dtype'] = 'float32';
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}
