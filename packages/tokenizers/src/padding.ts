/**
 * The `padding` feature: padding a batch to its longest encoding or a fixed length, and
 * tokenizer.json's `padding` defaults. The main entry loads it; on `@tfkit/tokenizers/core` it is
 * `use(padding)` (see features.ts).
 */
import { COLUMNS, type EncodingData } from './encoding.js';
import { TokenizerError } from './errors.js';
import type { PaddingFeature, ResolvedEncodeOptions } from './features.js';
import { type At, fieldInt, Fields, MAX_ID } from './json-reader.js';
import type { EncodeOptions } from './tokenizer-types.js';
import type { Tokenizer } from './tokenizer.js';

/**
 * Largest padding length (or multiple) a tokenizer.json may set: padding applies to every encode,
 * and a length read from a file must not be able to allocate gigabytes per call.
 */
export const MAX_FILE_PADDING = 1 << 20;

/** Padding applied by default (tokenizer.json `padding`); per-call options override it. */
export interface PaddingParams {
  /** A fixed length, or `undefined` for the longest in the batch. */
  length?: number;
  padToMultipleOf?: number;
  side: 'right' | 'left';
  padId: number;
  padTypeId: number;
  padToken: string;
}

/** Pads `e` and its overflowing windows to `length` tokens. */
export function padEncoding(e: EncodingData, length: number, padId: number, padTypeId: number, side: 'right' | 'left'): void {
  for (const o of e.overflowing) padEncoding(o, length, padId, padTypeId, side);
  const n = length - e.length;
  if (n <= 0) return;
  const fill = (arr: number[], v: number, width = 1) => {
    const pad = new Array<number>(n * width).fill(v);
    return side === 'right' ? arr.concat(pad) : pad.concat(arr);
  };
  // In COLUMNS' order: padding is special, unattended, in no word and no sequence.
  const values = [padId, padTypeId, 1, 0, -1, -1];
  COLUMNS.forEach((k, c) => (e[k] = fill(e[k], values[c]!)));
  e.offsets = fill(e.offsets, 0, 2);
  if (e.tokenTexts && side === 'left') e.tokenTexts = new Array<string | undefined>(n).concat(e.tokenTexts);
}

/** `encode`'s padding of a batch. */
function pad(tokenizer: Tokenizer, datas: EncodingData[], options: ResolvedEncodeOptions): void {
  const mode = options.padding === true ? (options.maxLength !== undefined ? 'max_length' : 'longest') : options.padding;
  let length: number;
  if (mode === 'max_length') {
    const max = options.padLength ?? options.maxLength ?? tokenizer.modelMaxLength;
    if (max === undefined) throw new TokenizerError("encode: padding 'max_length' needs maxLength (this tokenizer has no model_max_length).");
    length = max;
  } else length = datas.reduce((m, d) => Math.max(m, d.length), 0);
  const multiple = options.padToMultipleOf;
  if (multiple && length % multiple !== 0) length += multiple - (length % multiple);
  const padId = options.padTokenId ?? tokenizer.padTokenId;
  if (padId === undefined) {
    throw new TokenizerError('encode: padding needs a pad token; this tokenizer has none. Pass padTokenId (e.g. the eos id) or add one with addTokens([...], true) and a padToken role in tokenizer_config.json.');
  }
  const side = options.paddingSide ?? tokenizer.config.padding_side ?? 'right';
  for (const d of datas) padEncoding(d, length, padId, options.padTypeId ?? 0, side);
}

/** tokenizer.json `padding` (an object); `at` is where it sits, for error messages. */
export function paddingFromJSON(json: unknown, at: At): PaddingParams {
  const f = Fields.of(json, at);
  const strategy = f.get('strategy') ?? 'BatchLongest';
  let length: number | undefined;
  if (strategy !== 'BatchLongest') {
    const fixed = Fields.of(strategy, f.where('strategy'));
    if (!fixed.has('Fixed')) throw f.where('strategy').expected('"BatchLongest" or {"Fixed": length}', strategy);
    length = fieldInt(fixed, 'Fixed', undefined, 0, MAX_FILE_PADDING);
  }
  const multiple = fieldInt(f, 'pad_to_multiple_of', 0, 0, MAX_FILE_PADDING);
  return {
    length,
    padToMultipleOf: multiple === 0 ? undefined : multiple,
    side: f.oneOf('direction', ['Left', 'Right'], 'Right') === 'Left' ? 'left' : 'right',
    padId: f.id('pad_id', 0),
    padTypeId: fieldInt(f, 'pad_type_id', 0, 0, MAX_ID),
    padToken: f.string('pad_token', '[PAD]'),
  };
}

export function paddingToJSON(p: PaddingParams): unknown {
  return {
    strategy: p.length === undefined ? 'BatchLongest' : { Fixed: p.length },
    direction: p.side === 'left' ? 'Left' : 'Right',
    pad_to_multiple_of: p.padToMultipleOf ?? null,
    pad_id: p.padId,
    pad_type_id: p.padTypeId,
    pad_token: p.padToken,
  };
}

/** Padding: `use(padding)` on `@tfkit/tokenizers/core`. */
export const padding: PaddingFeature = {
  feature: 'padding',
  fromJSON: paddingFromJSON,
  toJSON: paddingToJSON,
  defaults(p: PaddingParams, options: EncodeOptions, out: ResolvedEncodeOptions): void {
    out.padding = p.length === undefined ? 'longest' : 'max_length';
    out.padLength = options.maxLength ?? p.length;
    out.padToMultipleOf = options.padToMultipleOf ?? p.padToMultipleOf;
    out.paddingSide = options.paddingSide ?? p.side;
    out.padTokenId = options.padTokenId ?? p.padId;
    out.padTypeId = p.padTypeId;
  },
  pad,
};
