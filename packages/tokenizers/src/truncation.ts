/**
 * The `truncation` feature: cutting one sequence or a pair into overflowing windows (transformers'
 * strategies), merging windows in post-processing, and tokenizer.json's `truncation` defaults.
 * The main entry loads it; on `@tfkit/tokenizers/core` it is `use(truncation)` (see features.ts).
 */
import { COLUMNS, EncodingData } from './encoding.js';
import { TokenizerError } from './errors.js';
import type { EncodeOptions } from './tokenizer-types.js';
import type { ResolvedEncodeOptions, TruncationFeature } from './features.js';
import { type At, fieldInt, Fields } from './json-reader.js';
import type { Tokenizer } from './tokenizer.js';

export type TruncationStrategy = 'longest_first' | 'only_first' | 'only_second';

/** Truncation applied by default (tokenizer.json `truncation`); per-call options override it. */
export interface TruncationParams {
  strategy: TruncationStrategy;
  maxLength: number;
  stride: number;
  side: 'right' | 'left';
}

/**
 * Keeps the first (`right`) or last (`left`) `maxLength` tokens of `e`; the rest becomes overflowing
 * windows of `maxLength` tokens, each repeating `stride` tokens of the window before it, so the
 * windows together cover every token.
 */
export function truncateEncoding(e: EncodingData, maxLength: number, stride: number, direction: 'right' | 'left'): void {
  const n = e.length;
  if (maxLength >= n) return;
  if (maxLength === 0) {
    const all = e.slice(0, n);
    replaceWith(e, new EncodingData());
    e.overflowing = [all];
    return;
  }
  if (stride >= maxLength) {
    throw new TokenizerError(`truncation: stride (${stride}) must be smaller than the length left for the sequence (${maxLength}); lower stride or raise maxLength.`);
  }
  const step = maxLength - stride;
  const ranges: [number, number][] = [];
  if (direction === 'right') {
    for (let start = 0; ; start += step) {
      const stop = Math.min(start + maxLength, n);
      ranges.push([start, stop]);
      if (stop === n) break;
    }
  } else {
    for (let stop = n; ; stop -= step) {
      const start = Math.max(stop - maxLength, 0);
      ranges.push([start, stop]);
      if (start === 0) break;
    }
  }
  const windows = ranges.map(([s, end]) => e.slice(s, end));
  replaceWith(e, windows[0]!);
  e.overflowing = windows.slice(1);
}

function replaceWith(e: EncodingData, other: EncodingData): void {
  for (const k of COLUMNS) e[k] = other[k];
  e.offsets = other.offsets;
  e.tokenTexts = other.tokenTexts;
}

/**
 * Cuts `a` (and `b`) so that together they keep at most `max` tokens, the rest going to
 * overflowing windows. `longest_first` shares `max` between the two as Hugging Face does (the
 * shorter keeps what it can, an odd token goes to the longer); `only_*` cut one sequence.
 */
export function truncateSequences(a: EncodingData, b: EncodingData | null, strategy: TruncationStrategy, max: number, stride: number, side: 'right' | 'left'): void {
  const total = a.length + (b?.length ?? 0);
  if (total <= max) return;
  if (strategy === 'longest_first') {
    if (!b) {
      truncateEncoding(a, max, stride, side);
      return;
    }
    let n1 = a.length;
    let n2 = b.length;
    const swap = n1 > n2;
    if (swap) [n1, n2] = [n2, n1];
    n2 = n1 > max ? n1 : Math.max(n1, max - n1);
    if (n1 + n2 > max) {
      n1 = Math.floor(max / 2);
      n2 = n1 + (max % 2);
    }
    if (swap) [n1, n2] = [n2, n1];
    truncateEncoding(a, n1, stride, side);
    truncateEncoding(b, n2, stride, side);
    return;
  }
  const target = strategy === 'only_first' ? a : b;
  if (!target) throw new TokenizerError("encode: truncation 'only_second' needs a textPair.");
  const remove = total - max;
  if (target.length <= remove) {
    throw new TokenizerError(`encode: truncation '${strategy}' cannot remove ${remove} tokens from a sequence of ${target.length}; use 'longest_first' or a larger maxLength.`);
  }
  truncateEncoding(target, target.length - remove, stride, side);
}

/** `encode`'s truncation of a sequence and its pair, with the room the post-processor's special tokens take. */
function truncate(tokenizer: Tokenizer, a: EncodingData, b: EncodingData | null, addSpecial: boolean, options: ResolvedEncodeOptions): void {
  const strategy: TruncationStrategy = options.truncation === true ? 'longest_first' : (options.truncation as TruncationStrategy);
  const maxTotal = options.truncationMaxLength ?? options.maxLength ?? tokenizer.modelMaxLength;
  if (maxTotal === undefined) throw new TokenizerError('encode: truncation needs maxLength (this tokenizer has no model_max_length).');
  const added = addSpecial && tokenizer.postProcessor ? tokenizer.postProcessor.addedTokens(b !== null) : 0;
  const max = maxTotal - added;
  const stride = options.stride ?? 0;
  const side = options.truncationSide ?? tokenizer.config.truncation_side ?? 'right';
  if (max < 0) throw new TokenizerError(`encode: maxLength ${maxTotal} leaves no room for the ${added} special tokens.`);
  truncateSequences(a, b, strategy, max, stride, side);
}

/**
 * Concatenates `b` onto `a`. Overflowing windows combine as in Hugging Face's `Encoding::merge_with`:
 * each window of `a` with `b` and with each window of `b`, then `a` with each window of `b`.
 */
function mergeTwo(a: EncodingData, b: EncodingData): EncodingData {
  const overflowing: EncodingData[] = [];
  for (const ao of a.overflowing) {
    overflowing.push(mergeTwo(withoutOverflow(ao), withoutOverflow(b)));
    for (const bo of b.overflowing) overflowing.push(mergeTwo(withoutOverflow(ao), bo));
  }
  for (const bo of b.overflowing) overflowing.push(mergeTwo(withoutOverflow(a), bo));
  const out = a.slice(0, a.length);
  out.append(b);
  out.overflowing = overflowing;
  return out;
}

function withoutOverflow(e: EncodingData): EncodingData {
  if (e.overflowing.length === 0) return e;
  return e.slice(0, e.length);
}

const STRATEGIES: Record<string, TruncationStrategy> = { LongestFirst: 'longest_first', OnlyFirst: 'only_first', OnlySecond: 'only_second' };

/** tokenizer.json `truncation` (an object); `at` is where it sits, for error messages. */
export function truncationFromJSON(json: unknown, at: At): TruncationParams {
  const f = Fields.of(json, at);
  return {
    maxLength: fieldInt(f, 'max_length'),
    strategy: STRATEGIES[f.oneOf('strategy', ['LongestFirst', 'OnlyFirst', 'OnlySecond'], 'LongestFirst')]!,
    stride: fieldInt(f, 'stride', 0),
    side: f.oneOf('direction', ['Left', 'Right'], 'Right') === 'Left' ? 'left' : 'right',
  };
}

export function truncationToJSON(t: TruncationParams): unknown {
  const strategy = Object.entries(STRATEGIES).find(([, v]) => v === t.strategy)![0];
  return { direction: t.side === 'left' ? 'Left' : 'Right', max_length: t.maxLength, strategy, stride: t.stride };
}

/** Truncation: `use(truncation)` on `@tfkit/tokenizers/core`. */
export const truncation: TruncationFeature = {
  feature: 'truncation',
  fromJSON: truncationFromJSON,
  toJSON: truncationToJSON,
  defaults(t: TruncationParams, options: EncodeOptions, out: ResolvedEncodeOptions): void {
    out.truncation = t.strategy;
    out.truncationMaxLength = options.maxLength ?? t.maxLength;
    out.stride = options.stride ?? t.stride;
    out.truncationSide = options.truncationSide ?? t.side;
  },
  truncate,
  merge(encodings: readonly EncodingData[]): EncodingData {
    let out = encodings[0]!;
    for (let i = 1; i < encodings.length; i++) out = mergeTwo(out, encodings[i]!);
    return out;
  },
};
