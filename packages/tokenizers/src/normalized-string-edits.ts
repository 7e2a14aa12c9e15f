/**
 * The edits of a NormalizedString (what normalizers do: map characters, Unicode forms, lowercase,
 * strip, replace, prepend), each keeping the alignment to the original text. A module of its own,
 * imported by the normalizer modules: a tokenizer page without a normalizer does not load it. As
 * it loads it backs NormalizedString's edit methods (`s.lowercase()` is `lowercase(s)`).
 */
import { isHigh, isLow, setNormalizedStringEdits, type NormalizedString } from './normalized-string.js';

/**
 * Replaces every code point by `fn(cp, ch)` (the empty string removes it). New units take the
 * replaced character's alignment.
 */
export function mapChars(s: NormalizedString, fn: (cp: number, ch: string) => string): void {
  const src = s.text;
  const out = new AlignedBuilder(s);
  let runStart = 0;
  for (let i = 0; i < src.length; ) {
    const cp = src.codePointAt(i)!;
    const len = cp > 0xffff ? 2 : 1;
    const ch = len === 1 ? src[i]! : src.slice(i, i + 2);
    const r = fn(cp, ch);
    if (r !== ch) {
      out.copy(runStart, i);
      out.emit(r, i, i + len);
      runStart = i + len;
    }
    i += len;
  }
  if (runStart === 0) return;
  out.copy(runStart, src.length);
  out.commit();
}

/**
 * Applies a Unicode normalization form. Decompositions align each new character to its source;
 * a composition aligns the composed character to the first character it absorbed (Hugging Face
 * behaviour), working cluster by cluster (a base character and the combining marks after it).
 */
export function normalize(s: NormalizedString, form: 'NFC' | 'NFD' | 'NFKC' | 'NFKD'): void {
  const src = s.text;
  if (src.normalize(form) === src) return;
  const out = new AlignedBuilder(s);
  const clusters = /\P{M}[\p{M}\u1160-\u11ff\ud7b0-\ud7ff]*|[\p{M}\u1160-\u11ff\ud7b0-\ud7ff]+/gsu;
  let last = 0;
  for (const m of src.matchAll(clusters)) {
    const start = m.index;
    const cluster = m[0];
    out.copy(last, start);
    last = start + cluster.length;
    const whole = cluster.normalize(form);
    if (whole === cluster) {
      out.copy(start, last);
      continue;
    }
    const chars = [...cluster];
    const pieces = chars.map((c) => c.normalize(form));
    if (pieces.join('') === whole) {
      let at = start;
      chars.forEach((c, k) => {
        out.emit(pieces[k]!, at, at + c.length);
        at += c.length;
      });
      continue;
    }
    // Composition (or reordering): output char k takes input char k + (surplus), first to first.
    const outChars = [...whole];
    const offsets: number[] = [];
    let at = start;
    for (const c of chars) {
      offsets.push(at);
      at += c.length;
    }
    offsets.push(at);
    const surplus = Math.max(0, chars.length - outChars.length);
    outChars.forEach((c, k) => {
      const from = k === 0 ? 0 : Math.min(k + surplus, chars.length - 1);
      out.emit(c, offsets[from]!, offsets[from + 1]!);
    });
  }
  out.copy(last, src.length);
  out.commit();
}

/** Lowercases each code point on its own (no final-sigma context, as Rust's `to_lowercase`). */
export function lowercase(s: NormalizedString): void {
  const src = s.text;
  let ascii = true;
  for (let i = 0; i < src.length; i++) {
    if (src.charCodeAt(i) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    s.text = src.toLowerCase();
    return;
  }
  mapChars(s, (cp, ch) => (cp < 0x80 ? (cp >= 65 && cp <= 90 ? String.fromCharCode(cp + 32) : ch) : ch.toLowerCase()));
}

/** Removes leading and/or trailing characters matching `isSpace`. */
export function strip(s: NormalizedString, left: boolean, right: boolean, isSpace: (cp: number) => boolean): void {
  const src = s.text;
  let start = 0;
  let end = src.length;
  if (left) {
    while (start < end) {
      const cp = src.codePointAt(start)!;
      if (!isSpace(cp)) break;
      start += cp > 0xffff ? 2 : 1;
    }
  }
  if (right) {
    while (end > start) {
      const lowHigh = end >= 2 && isLow(src.charCodeAt(end - 1)) && isHigh(src.charCodeAt(end - 2));
      const cp = src.codePointAt(lowHigh ? end - 2 : end - 1)!;
      if (!isSpace(cp)) break;
      end -= lowHigh ? 2 : 1;
    }
  }
  if (start === 0 && end === src.length) return;
  const out = new AlignedBuilder(s);
  out.copy(start, end);
  out.commit();
}

/**
 * Replaces every match of `pattern` (global) by `content`. As in Hugging Face tokenizers, the new
 * characters all take the alignment of the last character of the match.
 */
export function replace(s: NormalizedString, pattern: RegExp, content: string): void {
  const src = s.text;
  const out = new AlignedBuilder(s);
  let last = 0;
  let any = false;
  for (const m of src.matchAll(pattern)) {
    if (m[0].length === 0) continue;
    any = true;
    const start = m.index;
    const end = start + m[0].length;
    out.copy(last, start);
    const lastCharStart = end >= 2 && isLow(src.charCodeAt(end - 1)) && isHigh(src.charCodeAt(end - 2)) ? end - 2 : end - 1;
    out.emit(content, lastCharStart, end);
    last = end;
  }
  if (!any) return;
  out.copy(last, src.length);
  out.commit();
}

/** Puts `prefix` in front; its units take the alignment of the first character. */
export function prepend(s: NormalizedString, prefix: string): void {
  if (s.text.length === 0 || prefix.length === 0) return;
  const out = new AlignedBuilder(s);
  const first = s.text.codePointAt(0)! > 0xffff ? 2 : 1;
  out.emit(prefix, 0, first);
  out.copy(0, s.text.length);
  out.commit();
}

/**
 * Builds a new normalized text from copied ranges and replacements of an existing one, keeping
 * the alignment lazy while every unit stays where it was.
 */
export class AlignedBuilder {
  private readonly parts: string[] = [];
  private length = 0;
  private starts: number[] | null = null;
  private ends: number[] | null = null;

  constructor(private readonly src: NormalizedString) {}

  private materialize(): void {
    if (this.starts) return;
    this.starts = new Array<number>(this.length);
    this.ends = new Array<number>(this.length);
    for (let k = 0; k < this.length; k++) {
      this.starts[k] = this.src.alignStart(k);
      this.ends[k] = this.src.alignEnd(k);
    }
  }

  /** Copies source units `[from, to)` with their alignment. */
  copy(from: number, to: number): void {
    if (to <= from) return;
    if (!this.starts && this.src.isIdentity && from === this.length) {
      this.parts.push(this.src.text.slice(from, to));
      this.length += to - from;
      return;
    }
    this.materialize();
    for (let k = from; k < to; k++) {
      this.starts!.push(this.src.alignStart(k));
      this.ends!.push(this.src.alignEnd(k));
    }
    this.parts.push(this.src.text.slice(from, to));
    this.length += to - from;
  }

  /** Appends `text`, every unit aligned to the original range of source units `[from, to)`. */
  emit(text: string, from: number, to: number): void {
    if (!this.starts && this.src.isIdentity && from === this.length && text.length === to - from) {
      this.parts.push(text);
      this.length += text.length;
      return;
    }
    this.materialize();
    const s = this.src.alignStart(from);
    const e = this.src.alignEnd(to - 1);
    for (let k = 0; k < text.length; k++) {
      this.starts!.push(s);
      this.ends!.push(e);
    }
    this.parts.push(text);
    this.length += text.length;
  }

  commit(): void {
    const text = this.parts.join('');
    if (!this.starts) this.src.setAligned(text, null, null);
    else this.src.setAligned(text, Int32Array.from(this.starts), Int32Array.from(this.ends!));
  }
}

setNormalizedStringEdits({ mapChars, normalize, lowercase, strip, replace, prepend });
