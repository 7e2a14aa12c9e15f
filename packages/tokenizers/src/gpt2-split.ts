/**
 * A hand-written scanner equivalent to GPT-2's split regex (`GPT2_SPLIT_PATTERN`), about three
 * times faster than running the regex: the same alternatives at each position (contractions, then
 * an optional space before a run of letters, digits or other symbols, then whitespace that leaves
 * its last character to the next word), the same Unicode classes.
 */
import { WHITESPACE_RE as SPACE_RE } from './unicode.js';

const OTHER = 0;
const LETTER = 1;
const NUMBER = 2;
const SPACE = 3;
const UNKNOWN = 255;

const LETTER_RE = /\p{L}/u;
const NUMBER_RE = /\p{N}/u;

function classifySlow(cp: number): number {
  const ch = String.fromCodePoint(cp);
  return LETTER_RE.test(ch) ? LETTER : NUMBER_RE.test(ch) ? NUMBER : SPACE_RE.test(ch) ? SPACE : OTHER;
}

/** Classes of BMP code points, filled on first use (lone surrogates are OTHER, as in the regex). */
const BMP = new Uint8Array(0x10000).fill(UNKNOWN);
const ASTRAL = new Map<number, number>();

function classOf(cp: number): number {
  if (cp < 0x10000) {
    let k = BMP[cp]!;
    if (k === UNKNOWN) k = BMP[cp] = classifySlow(cp);
    return k;
  }
  let k = ASTRAL.get(cp);
  if (k === undefined) {
    k = classifySlow(cp);
    if (ASTRAL.size < 4096) ASTRAL.set(cp, k);
  }
  return k;
}

/** Class of the code point at `i` and its length in UTF-16 units (packed as class * 4 + length). */
function at(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c < 0xd800 || c > 0xdbff || i + 1 >= text.length) return classOf(c) * 4 + 1;
  const d = text.charCodeAt(i + 1);
  if (d < 0xdc00 || d > 0xdfff) return classOf(c) * 4 + 1;
  return classOf(0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00)) * 4 + 2;
}

/** End of the run of class `cls` starting at `i`. */
function runEnd(text: string, i: number, end: number, cls: number): number {
  while (i < end) {
    const a = at(text, i);
    if (a >> 2 !== cls) break;
    i += a & 3;
  }
  return i;
}

/** Length of a contraction (`'s 't 're 've 'm 'll 'd`) at `i`, or 0. */
function contraction(text: string, i: number, end: number): number {
  if (i + 1 >= end) return 0;
  const a = text.charCodeAt(i + 1);
  if (a === 115 || a === 116 || a === 109 || a === 100) return 2; // s t m d
  if (i + 2 >= end) return 0;
  const b = text.charCodeAt(i + 2);
  if ((a === 114 && b === 101) || (a === 118 && b === 101) || (a === 108 && b === 108)) return 3; // re ve ll
  return 0;
}

/** Calls `emit(s, e)` for each GPT-2 regex match in `text[start, end)`; matches cover the range. */
export function splitGpt2(text: string, start: number, end: number, emit: (s: number, e: number) => void): void {
  let i = start;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === 39) {
      const n = contraction(text, i, end);
      if (n > 0) {
        emit(i, i + n);
        i += n;
        continue;
      }
    }
    if (c === 32 && i + 1 < end) {
      const next = at(text, i + 1) >> 2;
      if (next !== SPACE) {
        const e = runEnd(text, i + 1, end, next);
        emit(i, e);
        i = e;
        continue;
      }
    }
    const a = at(text, i);
    const cls = a >> 2;
    if (cls !== SPACE) {
      const e = runEnd(text, i + (a & 3), end, cls);
      emit(i, e);
      i = e;
      continue;
    }
    // Whitespace: all of it at the end of the text, else all but its last character, which then
    // starts the next word (or stands alone when the run is a single character).
    const e = runEnd(text, i + 1, end, SPACE);
    const stop = e === end || e - i === 1 ? e : e - 1;
    emit(i, stop);
    i = stop;
  }
}
