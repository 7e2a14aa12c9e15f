/**
 * A string being normalized, with the alignment of every normalized UTF-16 unit to a range of the
 * original text, so token offsets can always point back into what the user passed in (as in
 * Hugging Face tokenizers' NormalizedString). While no transform has changed lengths the
 * alignment is the identity and costs nothing.
 */
import { TokenizerError } from './errors.js';

/** The edits behind NormalizedString's edit methods (normalized-string-edits.ts). */
export interface NormalizedStringEdits {
  mapChars(s: NormalizedString, fn: (cp: number, ch: string) => string): void;
  normalize(s: NormalizedString, form: 'NFC' | 'NFD' | 'NFKC' | 'NFKD'): void;
  lowercase(s: NormalizedString): void;
  strip(s: NormalizedString, left: boolean, right: boolean, isSpace: (cp: number) => boolean): void;
  replace(s: NormalizedString, pattern: RegExp, content: string): void;
  prepend(s: NormalizedString, prefix: string): void;
}

/**
 * Set by normalized-string-edits.ts as it loads, which every normalizer module imports (so always
 * on `@tfkit/tokenizers`; on `@tfkit/tokenizers/core` once the normalizers module is imported). The edits live there so that a page whose tokenizer has no normalizer (GPT-2) does not
 * bundle them; the pipeline itself only reads alignments.
 */
let edits: NormalizedStringEdits | null = null;

/** @internal Called by normalized-string-edits.ts as it loads. */
export function setNormalizedStringEdits(e: NormalizedStringEdits): void {
  edits = e;
}

function editsFor(method: string): NormalizedStringEdits {
  if (edits) return edits;
  throw new TokenizerError(`NormalizedString.${method} comes with the normalizers: \`use(normalizers)\` (@tfkit/tokenizers/core) or import '@tfkit/tokenizers'.`);
}

export function isHigh(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}
export function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

export class NormalizedString {
  /** The normalized text. */
  text: string;
  /** Original `[start, end)` of each normalized unit; `null` while the alignment is the identity. */
  private starts: Int32Array | null = null;
  private ends: Int32Array | null = null;

  constructor(text: string) {
    this.text = text;
  }

  get isIdentity(): boolean {
    return this.starts === null;
  }

  /** Original start of normalized unit `i` (a surrogate pair maps both units to the whole pair). */
  alignStart(i: number): number {
    if (this.starts) return this.starts[i]!;
    return i > 0 && isLow(this.text.charCodeAt(i)) && isHigh(this.text.charCodeAt(i - 1)) ? i - 1 : i;
  }

  alignEnd(i: number): number {
    if (this.ends) return this.ends[i]!;
    return isHigh(this.text.charCodeAt(i)) && isLow(this.text.charCodeAt(i + 1)) ? i + 2 : i + 1;
  }

  /** Original range of the normalized range `[start, end)`. */
  originalRange(start: number, end: number): [number, number] {
    if (end <= start) {
      const at = start < this.text.length ? this.alignStart(start) : start > 0 ? this.alignEnd(start - 1) : 0;
      return [at, at];
    }
    return [this.alignStart(start), this.alignEnd(end - 1)];
  }

  /**
   * Replaces every code point by `fn(cp, ch)` (the empty string removes it). New units take the
   * replaced character's alignment.
   */
  mapChars(fn: (cp: number, ch: string) => string): void {
    editsFor('mapChars').mapChars(this, fn);
  }

  /**
   * Applies a Unicode normalization form. Decompositions align each new character to its source;
   * a composition aligns the composed character to the first character it absorbed (Hugging Face
   * behaviour), working cluster by cluster (a base character and the combining marks after it).
   */
  normalize(form: 'NFC' | 'NFD' | 'NFKC' | 'NFKD'): void {
    editsFor('normalize').normalize(this, form);
  }

  /** Lowercases each code point on its own (no final-sigma context, as Rust's `to_lowercase`). */
  lowercase(): void {
    editsFor('lowercase').lowercase(this);
  }

  /** Removes leading and/or trailing characters matching `isSpace`. */
  strip(left: boolean, right: boolean, isSpace: (cp: number) => boolean): void {
    editsFor('strip').strip(this, left, right, isSpace);
  }

  /**
   * Replaces every match of `pattern` (global) by `content`. As in Hugging Face tokenizers, the new
   * characters all take the alignment of the last character of the match.
   */
  replace(pattern: RegExp, content: string): void {
    editsFor('replace').replace(this, pattern, content);
  }

  /** Puts `prefix` in front; its units take the alignment of the first character. */
  prepend(prefix: string): void {
    editsFor('prepend').prepend(this, prefix);
  }

  /** Installs a result computed by an `AlignedBuilder` (internal). */
  setAligned(text: string, starts: Int32Array | null, ends: Int32Array | null): void {
    this.text = text;
    this.starts = starts;
    this.ends = ends;
  }
}
