/**
 * Truncation into overflowing windows for one sequence or a pair (transformers' strategies), and
 * the truncation / padding defaults tokenizer.json may store.
 */
import type { EncodingData } from './encoding.js';
import { TokenizerError } from './errors.js';
import { At, Fields, MAX_ID } from './json-reader.js';

/**
 * Largest padding length (or multiple) a tokenizer.json may set: padding applies to every encode,
 * and a length read from a file must not be able to allocate gigabytes per call.
 */
export const MAX_FILE_PADDING = 1 << 20;

export type TruncationStrategy = 'longest_first' | 'only_first' | 'only_second';

/** Truncation applied by default (tokenizer.json `truncation`); per-call options override it. */
export interface TruncationParams {
  strategy: TruncationStrategy;
  maxLength: number;
  stride: number;
  side: 'right' | 'left';
}

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
      a.truncate(max, stride, side);
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
    a.truncate(n1, stride, side);
    b.truncate(n2, stride, side);
    return;
  }
  const target = strategy === 'only_first' ? a : b;
  if (!target) throw new TokenizerError("encode: truncation 'only_second' needs a textPair.");
  const remove = total - max;
  if (target.length <= remove) {
    throw new TokenizerError(`encode: truncation '${strategy}' cannot remove ${remove} tokens from a sequence of ${target.length}; use 'longest_first' or a larger maxLength.`);
  }
  target.truncate(target.length - remove, stride, side);
}

const STRATEGIES: Record<string, TruncationStrategy> = { LongestFirst: 'longest_first', OnlyFirst: 'only_first', OnlySecond: 'only_second' };

/** tokenizer.json `truncation` (`null`: none); `at` is where it sits, for error messages. */
export function truncationFromJSON(json: unknown, at = new At('tokenizer.json', 'truncation')): TruncationParams | null {
  if (json == null) return null;
  const f = Fields.of(json, at);
  return {
    maxLength: f.int('max_length'),
    strategy: STRATEGIES[f.oneOf('strategy', ['LongestFirst', 'OnlyFirst', 'OnlySecond'], 'LongestFirst')]!,
    stride: f.int('stride', 0),
    side: f.oneOf('direction', ['Left', 'Right'], 'Right') === 'Left' ? 'left' : 'right',
  };
}

export function truncationToJSON(t: TruncationParams | null): unknown {
  if (!t) return null;
  const strategy = Object.entries(STRATEGIES).find(([, v]) => v === t.strategy)![0];
  return { direction: t.side === 'left' ? 'Left' : 'Right', max_length: t.maxLength, strategy, stride: t.stride };
}

/** tokenizer.json `padding` (`null`: none); `at` is where it sits, for error messages. */
export function paddingFromJSON(json: unknown, at = new At('tokenizer.json', 'padding')): PaddingParams | null {
  if (json == null) return null;
  const f = Fields.of(json, at);
  const strategy = f.get('strategy') ?? 'BatchLongest';
  let length: number | undefined;
  if (strategy !== 'BatchLongest') {
    const fixed = Fields.of(strategy, f.where('strategy'));
    if (!fixed.has('Fixed')) throw f.where('strategy').expected('"BatchLongest" or {"Fixed": length}', strategy);
    length = fixed.int('Fixed', undefined, 0, MAX_FILE_PADDING);
  }
  const multiple = f.int('pad_to_multiple_of', 0, 0, MAX_FILE_PADDING);
  return {
    length,
    padToMultipleOf: multiple === 0 ? undefined : multiple,
    side: f.oneOf('direction', ['Left', 'Right'], 'Right') === 'Left' ? 'left' : 'right',
    padId: f.id('pad_id', 0),
    padTypeId: f.int('pad_type_id', 0, 0, MAX_ID),
    padToken: f.string('pad_token', '[PAD]'),
  };
}

export function paddingToJSON(p: PaddingParams | null): unknown {
  if (!p) return null;
  return {
    strategy: p.length === undefined ? 'BatchLongest' : { Fixed: p.length },
    direction: p.side === 'left' ? 'Left' : 'Right',
    pad_to_multiple_of: p.padToMultipleOf ?? null,
    pad_id: p.padId,
    pad_type_id: p.padTypeId,
    pad_token: p.padToken,
  };
}
