/**
 * tokenizer_config.json (transformers' hub metadata): special-token roles, maximum length,
 * decoding clean-up, and the flags the plain vocab formats need.
 */
import type { AddedTokenJson } from './added-vocabulary.js';
import { Fields, isPlainObject, MAX_ID, type At } from './json-reader.js';

/** Roles of special tokens, named as in transformers' `special_tokens_map` (camelCase). */
export const SPECIAL_TOKEN_ROLES = ['bosToken', 'eosToken', 'unkToken', 'sepToken', 'padToken', 'clsToken', 'maskToken'] as const;
export type SpecialTokenRole = (typeof SPECIAL_TOKEN_ROLES)[number];
export type SpecialTokensMap = Partial<Record<SpecialTokenRole, string>> & { additionalSpecialTokens?: string[] };

/** Each role's key in tokenizer_config.json. */
export const SNAKE: Record<SpecialTokenRole, string> = {
  bosToken: 'bos_token',
  eosToken: 'eos_token',
  unkToken: 'unk_token',
  sepToken: 'sep_token',
  padToken: 'pad_token',
  clsToken: 'cls_token',
  maskToken: 'mask_token',
};

/** A special token as the config spells it: a string or an AddedToken-like object. */
export type ConfigToken = string | { content: string; lstrip?: boolean; rstrip?: boolean; single_word?: boolean; normalized?: boolean; special?: boolean };

export interface TokenizerConfigJson {
  tokenizer_class?: string;
  model_max_length?: number;
  clean_up_tokenization_spaces?: boolean;
  padding_side?: 'left' | 'right';
  truncation_side?: 'left' | 'right';
  do_lower_case?: boolean;
  tokenize_chinese_chars?: boolean;
  strip_accents?: boolean | null;
  add_prefix_space?: boolean;
  additional_special_tokens?: ConfigToken[];
  added_tokens_decoder?: Record<string, Omit<AddedTokenJson, 'id'>>;
  [key: string]: unknown;
}

/** The flags of an AddedToken-like entry. */
const TOKEN_FLAGS = ['special', 'single_word', 'lstrip', 'rstrip', 'normalized'];

/**
 * Checks the fields of a tokenizer_config.json (or special_tokens_map.json) that tfkit reads and
 * returns a copy; other keys pass through untouched. `at` names the file in errors. (Each check
 * reads the field with a fallback: an absent or null field passes, a present one must be valid.)
 */
export function tokenizerConfigFromJSON(json: unknown, at: At): TokenizerConfigJson {
  const f = Fields.of(json, at);
  const config = readConfig(f);
  checkConfigExtras(f);
  return config;
}

/**
 * The fields the tokenizer itself reads (model_max_length, the clean-up flag, the sides, the
 * special-token roles), checked; a copy of the config. `Tokenizer.fromJSON` checks these, and the
 * others (`checkConfigExtras`) when the serialization feature, which writes them back, is loaded.
 */
export function readConfig(f: Fields): TokenizerConfigJson {
  const m = f.get('model_max_length');
  if (m != null && !(Number.isInteger(m) && (m as number) >= 1)) throw f.where('model_max_length').expected('a positive integer', m);
  f.bool('clean_up_tokenization_spaces', false);
  for (const k of ['padding_side', 'truncation_side']) f.oneOf(k, ['left', 'right'], 'right');
  for (const k of Object.values(SNAKE)) checkConfigToken(f.get(k), f.where(k));
  f.array('additional_special_tokens', []).forEach((t, i) => checkConfigToken(t, f.where('additional_special_tokens').index(i)));
  return { ...f.json };
}

/**
 * The fields only the plain-vocab loaders (vocab-files.ts) and tokenizer_config.json's writer
 * (`toConfigJSON`) use: the vocab flags, `tokenizer_class`, `added_tokens_decoder`.
 */
export function checkConfigExtras(f: Fields): void {
  for (const k of ['do_lower_case', 'tokenize_chinese_chars', 'strip_accents', 'add_prefix_space']) f.bool(k, false);
  f.string('tokenizer_class', '');
  if (f.has('added_tokens_decoder')) {
    const decoder = f.object('added_tokens_decoder');
    for (const id of Object.keys(decoder.json)) {
      if (!/^\d{1,10}$/.test(id) || Number(id) > MAX_ID) throw decoder.where(id).error(`the key must be a token id (a non-negative integer at most ${MAX_ID}).`);
      checkConfigToken(decoder.object(id).json, decoder.where(id), true);
    }
  }
}

/** A special token: a string, or an AddedToken-like object with a string `content` (`object`: only the latter). */
function checkConfigToken(t: unknown, at: At, object = false): void {
  if (!object && (typeof t === 'string' || t == null)) return;
  if (!isPlainObject(t)) throw at.expected('a token: a string or {"content": …}', t);
  const f = Fields.of(t, at);
  f.string('content');
  for (const k of TOKEN_FLAGS) f.bool(k, false);
}

export function tokenContent(t: ConfigToken | null | undefined): string | undefined {
  if (t == null) return undefined;
  return typeof t === 'string' ? t : t.content;
}

/** The special-token roles a config names. */
export function specialTokensFromConfig(config: TokenizerConfigJson): SpecialTokensMap {
  const out: SpecialTokensMap = {};
  for (const role of SPECIAL_TOKEN_ROLES) {
    const content = tokenContent(config[SNAKE[role]] as ConfigToken | undefined);
    if (content !== undefined) out[role] = content;
  }
  const extra = (config.additional_special_tokens ?? []).map(tokenContent).filter((t): t is string => t !== undefined);
  if (extra.length > 0) out.additionalSpecialTokens = extra;
  return out;
}

/** Each role's conventional spellings, the first present one wins. */
const WELL_KNOWN: Record<SpecialTokenRole, string[]> = {
  bosToken: ['<s>', '<|endoftext|>'],
  eosToken: ['</s>', '<|endoftext|>'],
  unkToken: ['[UNK]', '<unk>', '<|endoftext|>'],
  sepToken: ['[SEP]', '</s>'],
  padToken: ['[PAD]', '<pad>'],
  clsToken: ['[CLS]', '<s>'],
  maskToken: ['[MASK]', '<mask>'],
};

/** Guesses roles from conventional special-token spellings (used when no config says). */
export function inferSpecialTokens(specialContents: Iterable<string>, unkToken: string | null): SpecialTokensMap {
  const present = new Set(specialContents);
  const out: SpecialTokensMap = {};
  for (const role of SPECIAL_TOKEN_ROLES) {
    const found = WELL_KNOWN[role].find((t) => present.has(t));
    if (found !== undefined) out[role] = found;
  }
  if (unkToken) out.unkToken = unkToken;
  return out;
}

export function specialTokensToConfig(map: SpecialTokensMap): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const role of SPECIAL_TOKEN_ROLES) if (map[role] !== undefined) out[SNAKE[role]] = map[role];
  if (map.additionalSpecialTokens?.length) out.additional_special_tokens = map.additionalSpecialTokens;
  return out;
}
