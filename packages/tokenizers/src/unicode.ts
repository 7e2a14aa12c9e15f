/**
 * Character classes as Hugging Face tokenizers (Rust) defines them, so splits match it exactly:
 * Rust's `char::is_whitespace` is Unicode White_Space (includes U+0085, excludes U+FEFF, unlike
 * JavaScript's `\s`), `is_punctuation` is the P* categories, `is_numeric` the N* categories.
 */

/** Unicode White_Space, as a regex character-class body. */
export const WHITESPACE_CLASS = '\\t\\n\\v\\f\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

const WHITESPACE_RE = new RegExp(`[${WHITESPACE_CLASS}]`, 'u');
const PUNCT_RE = /\p{P}/u;
const OTHER_RE = /\p{C}/u;
const NUMERIC_RE = /\p{N}/u;
const ALNUM_RE = /[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]/u;
const MN_RE = /\p{Mn}/u;

// Properties of BMP code points, computed on first use: one bit each, bit 7 = computed. The
// classes only component modules test (punctuation, control, numeric, Mn) are in unicode-classes.ts.
const WS = 1;
export const PUNCT = 2;
export const OTHER = 4;
export const NUM = 8;
const WORD = 16;
export const MN = 32;
const DONE = 128;
const BMP = new Uint8Array(0x10000);

function computeFlags(cp: number): number {
  const ch = String.fromCodePoint(cp);
  return (
    (WHITESPACE_RE.test(ch) ? WS : 0) |
    (PUNCT_RE.test(ch) ? PUNCT : 0) |
    (OTHER_RE.test(ch) ? OTHER : 0) |
    (NUMERIC_RE.test(ch) ? NUM : 0) |
    (ALNUM_RE.test(ch) ? WORD : 0) |
    (MN_RE.test(ch) ? MN : 0)
  );
}

/** Whether `cp` has the property `flag` (one of the bits above). */
export function has(cp: number, flag: number): boolean {
  if (cp < 0x10000) {
    let f = BMP[cp]!;
    if (f === 0) f = BMP[cp] = computeFlags(cp) | DONE;
    return (f & flag) !== 0;
  }
  return (computeFlags(cp) & flag) !== 0;
}

/** Rust `char::is_whitespace`. */
export function isWhitespace(cp: number): boolean {
  if (cp < 0x80) return cp === 0x20 || (cp >= 0x09 && cp <= 0x0d);
  return has(cp, WS);
}

/** Regex `\w` in Rust's Unicode mode: alphabetic, marks, decimal digits, connector punctuation. */
export function isWordChar(cp: number): boolean {
  if (cp < 0x80) return (cp >= 48 && cp <= 57) || (cp >= 65 && cp <= 90) || (cp >= 97 && cp <= 122) || cp === 95;
  return has(cp, WORD);
}

/** Code point at `i` (a lone surrogate is returned as itself) and its length in UTF-16 units. */
export function codePointAt(text: string, i: number): number {
  return text.codePointAt(i)!;
}

export function cpLength(cp: number): number {
  return cp > 0xffff ? 2 : 1;
}

/** Escapes `text` for use inside a RegExp. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
