/**
 * The character classes only component modules test (BERT's normalizer and pre-tokenizers,
 * WordPiece), apart from unicode.ts, which the tokenizer core loads: a page whose tokenizer has
 * none of those components does not load these. Same definitions as Hugging Face tokenizers (Rust).
 */
import { flagTable } from './unicode.js';

const PUNCT = 1;
const OTHER = 2;
const NUM = 4;
const MN = 8;
const PUNCT_RE = /\p{P}/u;
const OTHER_RE = /\p{C}/u;
const NUMERIC_RE = /\p{N}/u;
const MN_RE = /\p{Mn}/u;
const has = /* @__PURE__ */ flagTable((ch) => (PUNCT_RE.test(ch) ? PUNCT : 0) | (OTHER_RE.test(ch) ? OTHER : 0) | (NUMERIC_RE.test(ch) ? NUM : 0) | (MN_RE.test(ch) ? MN : 0));

/** ASCII punctuation (which includes symbols like `$+<=>^|~`) or a Unicode P* character. */
export function isBertPunctuation(cp: number): boolean {
  if (cp < 0x80) return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126);
  return has(cp, PUNCT);
}

/** Unicode P* (what the Punctuation pre-tokenizer splits on, plus ASCII punctuation). */
export const isPunctuation = isBertPunctuation;

/** A C* character (control, format, surrogate, private use, unassigned) other than \t \n \r. */
export function isControl(cp: number): boolean {
  if (cp === 0x09 || cp === 0x0a || cp === 0x0d) return false;
  if (cp < 0x80) return cp < 0x20 || cp === 0x7f;
  return has(cp, OTHER);
}

export function isNumeric(cp: number): boolean {
  if (cp < 0x80) return cp >= 48 && cp <= 57;
  return has(cp, NUM);
}

export function isNonspacingMark(cp: number): boolean {
  return cp >= 0x300 && has(cp, MN);
}

/** The CJK ideograph blocks that BERT surrounds with spaces (not Hangul, Hiragana or Katakana). */
export function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b920 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/** Length of `text` in code points (lone surrogates count as one). */
export function codePointCount(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}
