/**
 * Truncation into overflowing windows for one sequence or a pair (transformers' strategies), and
 * the truncation / padding defaults tokenizer.json may store.
 */
import type { EncodingData } from './encoding.js';
import { TokenizerError } from './errors.js';

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

export function truncationFromJSON(json: unknown): TruncationParams | null {
  if (!json || typeof json !== 'object') return null;
  const t = json as { max_length?: number; strategy?: string; stride?: number; direction?: string };
  if (typeof t.max_length !== 'number') return null;
  return { maxLength: t.max_length, strategy: STRATEGIES[t.strategy ?? 'LongestFirst'] ?? 'longest_first', stride: t.stride ?? 0, side: t.direction === 'Left' ? 'left' : 'right' };
}

export function truncationToJSON(t: TruncationParams | null): unknown {
  if (!t) return null;
  const strategy = Object.entries(STRATEGIES).find(([, v]) => v === t.strategy)![0];
  return { direction: t.side === 'left' ? 'Left' : 'Right', max_length: t.maxLength, strategy, stride: t.stride };
}

export function paddingFromJSON(json: unknown): PaddingParams | null {
  if (!json || typeof json !== 'object') return null;
  const p = json as { strategy?: string | { Fixed?: number }; direction?: string; pad_to_multiple_of?: number | null; pad_id?: number; pad_type_id?: number; pad_token?: string };
  const fixed = typeof p.strategy === 'object' ? p.strategy?.Fixed : undefined;
  return {
    length: fixed,
    padToMultipleOf: p.pad_to_multiple_of ?? undefined,
    side: p.direction === 'Left' ? 'left' : 'right',
    padId: p.pad_id ?? 0,
    padTypeId: p.pad_type_id ?? 0,
    padToken: p.pad_token ?? '[PAD]',
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
