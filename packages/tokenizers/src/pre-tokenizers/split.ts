/** Turning delimiter matches into pieces, with Hugging Face's five delimiter behaviours. */
import type { At } from '../json-reader.js';

/**
 * Called for each piece `[start, end)` of the normalized text, in order. `prefixSpace` marks a
 * piece that gets a synthetic leading space (ByteLevel `add_prefix_space`); `text`, when given,
 * is the piece's text (saves slicing it again).
 */
export type EmitPiece = (start: number, end: number, prefixSpace: boolean, text?: string) => void;

export type SplitBehavior = 'removed' | 'isolated' | 'merged_with_previous' | 'merged_with_next' | 'contiguous';

const BEHAVIORS: Record<string, SplitBehavior> = {
  removed: 'removed',
  isolated: 'isolated',
  mergedwithprevious: 'merged_with_previous',
  merged_with_previous: 'merged_with_previous',
  mergedwithnext: 'merged_with_next',
  merged_with_next: 'merged_with_next',
  contiguous: 'contiguous',
};

/** Reads `"Isolated"`, `"MergedWithPrevious"`, `"merged_with_previous"`, … (absent: `fallback`); `at` names it in errors. */
export function parseBehavior(value: unknown, fallback: SplitBehavior, at: At): SplitBehavior {
  if (value == null) return fallback;
  const key = typeof value === 'string' ? value.toLowerCase() : '';
  if (!Object.hasOwn(BEHAVIORS, key)) throw at.expected('a split behavior: Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous', value);
  return BEHAVIORS[key]!;
}

export function behaviorToJSON(b: SplitBehavior): string {
  return b.split('_').map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}

/**
 * Splits `[start, end)` given the delimiter matches inside it (sorted, non-overlapping, non-empty).
 * `invert` swaps the roles of matches and gaps.
 */
export function splitByMatches(
  start: number,
  end: number,
  prefixSpace: boolean,
  matches: Iterable<readonly [number, number]>,
  behavior: SplitBehavior,
  emit: EmitPiece,
  invert = false,
): void {
  // Alternate gaps and matches as (s, e, isMatch) segments.
  const segs: number[] = [];
  let pos = start;
  for (const [s, e] of matches) {
    if (s > pos) segs.push(pos, s, invert ? 1 : 0);
    segs.push(s, e, invert ? 0 : 1);
    pos = e;
  }
  if (pos < end) segs.push(pos, end, invert ? 1 : 0);

  const out: number[] = [];
  const n = segs.length / 3;
  let prevMatch = false;
  switch (behavior) {
    case 'removed':
      for (let k = 0; k < n; k++) if (!segs[3 * k + 2]) out.push(segs[3 * k]!, segs[3 * k + 1]!);
      break;
    case 'isolated':
      for (let k = 0; k < n; k++) out.push(segs[3 * k]!, segs[3 * k + 1]!);
      break;
    case 'merged_with_previous':
      for (let k = 0; k < n; k++) {
        const isMatch = segs[3 * k + 2] === 1;
        if (isMatch && !prevMatch && out.length > 0) out[out.length - 1] = segs[3 * k + 1]!;
        else out.push(segs[3 * k]!, segs[3 * k + 1]!);
        prevMatch = isMatch;
      }
      break;
    case 'merged_with_next': {
      const rev: number[] = [];
      for (let k = n - 1; k >= 0; k--) {
        const isMatch = segs[3 * k + 2] === 1;
        if (isMatch && !prevMatch && rev.length > 0) rev[rev.length - 2] = segs[3 * k]!;
        else rev.push(segs[3 * k]!, segs[3 * k + 1]!);
        prevMatch = isMatch;
      }
      for (let k = rev.length - 2; k >= 0; k -= 2) out.push(rev[k]!, rev[k + 1]!);
      break;
    }
    case 'contiguous':
      for (let k = 0; k < n; k++) {
        const isMatch = segs[3 * k + 2] === 1;
        if (k > 0 && isMatch === prevMatch) out[out.length - 1] = segs[3 * k + 1]!;
        else out.push(segs[3 * k]!, segs[3 * k + 1]!);
        prevMatch = isMatch;
      }
      break;
  }
  for (let k = 0; k < out.length; k += 2) emit(out[k]!, out[k + 1]!, prefixSpace && out[k] === start);
}

/** Each code point of `text[start, end)` for which `test` holds, as a one-character match. */
export function* charMatches(text: string, start: number, end: number, test: (cp: number) => boolean): Generator<[number, number]> {
  for (let i = start; i < end; ) {
    const cp = text.codePointAt(i)!;
    const len = cp > 0xffff ? 2 : 1;
    if (test(cp)) yield [i, i + len];
    i += len;
  }
}

/** Matches of a global RegExp inside `text[start, end)`, as absolute ranges (empty matches skipped). */
export function* regexMatches(text: string, start: number, end: number, regex: RegExp): Generator<[number, number]> {
  const sub = start === 0 && end === text.length ? text : text.slice(start, end);
  regex.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = regex.exec(sub)) !== null) {
    if (m[0].length === 0) {
      regex.lastIndex++;
      continue;
    }
    yield [start + m.index, start + m.index + m[0].length];
  }
}
