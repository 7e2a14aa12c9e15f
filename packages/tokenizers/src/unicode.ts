/**
 * Character classes as Hugging Face tokenizers (Rust) defines them, so splits match it exactly:
 * Rust's `char::is_whitespace` is Unicode White_Space (includes U+0085, excludes U+FEFF, unlike
 * JavaScript's `\s`), `is_punctuation` is the P* categories, `is_numeric` the N* categories.
 */

/** Unicode White_Space, as a regex character-class body. */
export const WHITESPACE_CLASS = '\\t\\n\\v\\f\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

export const WHITESPACE_RE = new RegExp(`[${WHITESPACE_CLASS}]`, 'u');
const WORD_RE = /[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]/u;

/**
 * A lazily filled table of one or more properties of BMP code points (bit 7: computed); `compute`
 * gives a code point's bits. The core tests whitespace and word characters (added tokens'
 * `single_word`, `lstrip`, `rstrip`); the classes only component modules test (punctuation,
 * control, numeric, Mn) have a table of their own in unicode-classes.ts.
 */
export function flagTable(compute: (ch: string) => number): (cp: number, flag: number) => boolean {
  const bmp = new Uint8Array(0x10000);
  return (cp, flag) => {
    if (cp < 0x10000) {
      let f = bmp[cp]!;
      if (f === 0) f = bmp[cp] = compute(String.fromCodePoint(cp)) | 128;
      return (f & flag) !== 0;
    }
    return (compute(String.fromCodePoint(cp)) & flag) !== 0;
  };
}

const WS = 1;
const WORD = 2;
const has = /* @__PURE__ */ flagTable((ch) => (WHITESPACE_RE.test(ch) ? WS : 0) | (WORD_RE.test(ch) ? WORD : 0));

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
