/**
 * Generation settings, named as Hugging Face's `GenerationConfig` in camelCase, with its defaults.
 * `fromHfGenerationConfig` is the one place the snake_case keys of generation_config.json appear.
 */
import { ConfigError } from '@tfkit/core-tensor';

export interface GenerationConfig {
  /** Total length (prefix + new tokens) to stop at. Overridden by `maxNewTokens`. Default 20. */
  maxLength: number;
  /** New tokens to generate at most (wins over `maxLength`). */
  maxNewTokens: number | undefined;
  /** The end-of-sequence token cannot be chosen before the sequence is this long. Default 0. */
  minLength: number;
  /** The end-of-sequence token cannot be chosen before this many new tokens. */
  minNewTokens: number | undefined;
  /** Sample from the (warped) distribution instead of taking the most likely token. Default false. */
  doSample: boolean;
  /** Divides the logits before sampling (< 1 sharper, > 1 flatter). Default 1. */
  temperature: number;
  /** Sample only among the k most likely tokens (0 disables). Default 50, as in Hugging Face. */
  topK: number;
  /** Sample only among the smallest set of tokens whose probability reaches p. Default 1 (off). */
  topP: number;
  /** Penalises tokens already in the sequence (CTRL paper): > 1 discourages repeats. Default 1. */
  repetitionPenalty: number;
  /** Forbids repeating any n-gram of this size (0 disables). */
  noRepeatNgramSize: number;
  /** Beam search with this many beams (1 = greedy or sampling). */
  numBeams: number;
  /** Beam scores are divided by length^lengthPenalty (> 0 favours longer sequences). Default 1. */
  lengthPenalty: number;
  /** Beam search stops when `numBeams` hypotheses are finished (true), by a heuristic (false), or when no better one can exist ('never'). */
  earlyStopping: boolean | 'never';
  /** Sequences returned per prompt (≤ numBeams for beam search). */
  numReturnSequences: number;
  /** Token(s) that end a sequence. */
  eosTokenId: number | number[] | undefined;
  /** Fills finished rows and shorter hypotheses; defaults to the first eos token. */
  padTokenId: number | undefined;
  /** Beginning-of-sequence token (starts a sequence when the prompt is empty). */
  bosTokenId: number | undefined;
  /** Encoder-decoder models: the token every decoder row starts with (default: the model's own, BART's is eos). */
  decoderStartTokenId: number | undefined;
  /** This token is forced as the first generated one (a language id for mBART; bos for bart-large-cnn). */
  forcedBosTokenId: number | undefined;
  /** This token (or the first of these) is forced as the last one when `maxLength` is reached. */
  forcedEosTokenId: number | number[] | undefined;
  /** Keep keys/values between steps (much faster; false recomputes everything every step). */
  useCache: boolean;
}

export const GENERATION_DEFAULTS: GenerationConfig = {
  maxLength: 20,
  maxNewTokens: undefined,
  minLength: 0,
  minNewTokens: undefined,
  doSample: false,
  temperature: 1,
  topK: 50,
  topP: 1,
  repetitionPenalty: 1,
  noRepeatNgramSize: 0,
  numBeams: 1,
  lengthPenalty: 1,
  earlyStopping: false,
  numReturnSequences: 1,
  eosTokenId: undefined,
  padTokenId: undefined,
  bosTokenId: undefined,
  decoderStartTokenId: undefined,
  forcedBosTokenId: undefined,
  forcedEosTokenId: undefined,
  useCache: true,
};

const HF_KEYS: Record<string, keyof GenerationConfig> = {
  max_length: 'maxLength',
  max_new_tokens: 'maxNewTokens',
  min_length: 'minLength',
  min_new_tokens: 'minNewTokens',
  do_sample: 'doSample',
  temperature: 'temperature',
  top_k: 'topK',
  top_p: 'topP',
  repetition_penalty: 'repetitionPenalty',
  no_repeat_ngram_size: 'noRepeatNgramSize',
  num_beams: 'numBeams',
  length_penalty: 'lengthPenalty',
  early_stopping: 'earlyStopping',
  num_return_sequences: 'numReturnSequences',
  eos_token_id: 'eosTokenId',
  pad_token_id: 'padTokenId',
  bos_token_id: 'bosTokenId',
  decoder_start_token_id: 'decoderStartTokenId',
  forced_bos_token_id: 'forcedBosTokenId',
  forced_eos_token_id: 'forcedEosTokenId',
  use_cache: 'useCache',
};

/** Reads Hugging Face generation_config.json (or the generation keys of config.json); unknown keys are ignored, null means unset. */
export function fromHfGenerationConfig(json: Record<string, unknown>): Partial<GenerationConfig> {
  const out: Record<string, unknown> = {};
  for (const [hf, key] of Object.entries(HF_KEYS)) {
    const value = json[hf];
    if (value !== undefined && value !== null) out[key] = value;
  }
  return out as Partial<GenerationConfig>;
}

/** Writes the non-default settings as Hugging Face generation_config.json keys. */
export function toHfGenerationConfig(config: Partial<GenerationConfig>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [hf, key] of Object.entries(HF_KEYS)) {
    const value = config[key];
    if (value !== undefined && value !== GENERATION_DEFAULTS[key]) out[hf] = value;
  }
  return out;
}

/** Settings after defaults, with `maxLength` made absolute and eos ids as a list. */
export interface ResolvedGenerationConfig extends Omit<GenerationConfig, 'eosTokenId'> {
  eosTokenIds: number[];
  /** Length of the prefix every row starts with (Hugging Face's decoder prompt length). */
  prefixLength: number;
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new ConfigError(`generate: ${message}`);
}

/** Merges layers of settings (later wins, undefined skipped) over the defaults and validates them. */
export function resolveGenerationConfig(prefixLength: number, ...layers: (Partial<GenerationConfig> | undefined)[]): ResolvedGenerationConfig {
  const merged: GenerationConfig = { ...GENERATION_DEFAULTS };
  for (const layer of layers) {
    if (!layer) continue;
    for (const [k, v] of Object.entries(layer)) if (v !== undefined && k in GENERATION_DEFAULTS) (merged as unknown as Record<string, unknown>)[k] = v;
  }
  const { eosTokenId, ...rest } = merged;
  const eosTokenIds = eosTokenId === undefined ? [] : Array.isArray(eosTokenId) ? [...eosTokenId] : [eosTokenId];
  const maxLength = merged.maxNewTokens !== undefined ? prefixLength + merged.maxNewTokens : merged.maxLength;
  const c: ResolvedGenerationConfig = { ...rest, eosTokenIds, maxLength, prefixLength, padTokenId: merged.padTokenId ?? eosTokenIds[0] };
  const isInt = (x: number) => Number.isInteger(x);
  check(c.maxNewTokens === undefined || (isInt(c.maxNewTokens) && c.maxNewTokens >= 0), `maxNewTokens must be a non-negative integer, got ${c.maxNewTokens}`);
  check(isInt(c.maxLength) && c.maxLength >= 0, `maxLength must be a non-negative integer, got ${c.maxLength}`);
  check(isInt(c.numBeams) && c.numBeams >= 1, `numBeams must be a positive integer, got ${c.numBeams}`);
  check(isInt(c.numReturnSequences) && c.numReturnSequences >= 1, `numReturnSequences must be a positive integer, got ${c.numReturnSequences}`);
  check(c.temperature > 0, `temperature must be > 0, got ${c.temperature} (use doSample: false for greedy decoding)`);
  check(isInt(c.topK) && c.topK >= 0, `topK must be a non-negative integer, got ${c.topK}`);
  check(c.topP > 0 && c.topP <= 1, `topP must be in (0, 1], got ${c.topP}`);
  check(c.repetitionPenalty > 0, `repetitionPenalty must be > 0, got ${c.repetitionPenalty}`);
  check(isInt(c.noRepeatNgramSize) && c.noRepeatNgramSize >= 0, `noRepeatNgramSize must be a non-negative integer, got ${c.noRepeatNgramSize}`);
  const forcedEos = c.forcedEosTokenId === undefined ? [] : Array.isArray(c.forcedEosTokenId) ? c.forcedEosTokenId : [c.forcedEosTokenId];
  for (const [name, id] of [['decoderStartTokenId', c.decoderStartTokenId], ['forcedBosTokenId', c.forcedBosTokenId], ...forcedEos.map((id) => ['forcedEosTokenId', id] as const)] as const) {
    check(id === undefined || (isInt(id) && id >= 0), `${name} must be a token id (a non-negative integer), got ${JSON.stringify(id)}`);
  }
  if (c.numBeams > 1) {
    check(c.numReturnSequences <= c.numBeams, `numReturnSequences (${c.numReturnSequences}) cannot exceed numBeams (${c.numBeams})`);
  } else if (!c.doSample) {
    check(c.numReturnSequences === 1, `greedy decoding returns one sequence per prompt; set doSample: true or numBeams ≥ ${c.numReturnSequences} for numReturnSequences ${c.numReturnSequences}`);
  }
  return c;
}
