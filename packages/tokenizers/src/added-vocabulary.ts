/**
 * Added tokens (special tokens such as `[CLS]` or `<|endoftext|>`, and user-added words) are found
 * in the text before the normalizer and pre-tokenizer run, so they are never split. Matching is
 * leftmost-longest; `singleWord`, `lstrip`, `rstrip` and `normalized` behave as in Hugging Face
 * tokenizers' AddedVocabulary.
 */
import { Fields, type At } from './json-reader.js';
import { escapeRegExp, isWhitespace, isWordChar } from './unicode.js';

export interface AddedToken {
  id: number;
  content: string;
  /** Special tokens are skipped by `decode(…, { skipSpecialTokens: true })`. */
  special: boolean;
  /** Only match when not inside a word. */
  singleWord: boolean;
  /** Also swallow the whitespace on the left / right of a match. */
  lstrip: boolean;
  rstrip: boolean;
  /** Match against the normalized text rather than the original. */
  normalized: boolean;
}

export interface AddedTokenJson {
  id: number;
  content: string;
  single_word?: boolean;
  lstrip?: boolean;
  rstrip?: boolean;
  normalized?: boolean;
  special?: boolean;
}

/** One entry of tokenizer.json `added_tokens`; `at` is where it sits, for error messages. */
export function addedTokenFromJSON(json: unknown, at: At): AddedToken {
  const f = Fields.of(json, at);
  const special = f.bool('special', false);
  return {
    id: f.id('id'),
    content: f.string('content'),
    special,
    singleWord: f.bool('single_word', false),
    lstrip: f.bool('lstrip', false),
    rstrip: f.bool('rstrip', false),
    normalized: f.bool('normalized', !special),
  };
}

export function addedTokenToJSON(t: AddedToken): Required<AddedTokenJson> {
  return { id: t.id, content: t.content, single_word: t.singleWord, lstrip: t.lstrip, rstrip: t.rstrip, normalized: t.normalized, special: t.special };
}

/** A piece of text: plain (`token` undefined) or an added token, as `[start, end)`. */
export interface AddedSplit {
  start: number;
  end: number;
  token: AddedToken | undefined;
}

export class AddedVocabulary {
  private readonly byContent = new Map<string, AddedToken>();
  private readonly byId = new Map<number, AddedToken>();
  // `undefined`: not built yet; `null`: no token of that kind.
  private rawRegex: RegExp | null | undefined = undefined;
  private normalizedRegex: RegExp | null | undefined = undefined;

  constructor(tokens: readonly AddedToken[] = []) {
    for (const t of tokens) this.add(t);
  }

  /** Adds or replaces a token (by content). */
  add(token: AddedToken): void {
    const old = this.byContent.get(token.content);
    if (old) this.byId.delete(old.id);
    this.byContent.set(token.content, token);
    this.byId.set(token.id, token);
    this.rawRegex = this.normalizedRegex = undefined;
  }

  get size(): number {
    return this.byId.size;
  }

  /** All tokens in id order. */
  list(): AddedToken[] {
    return [...this.byId.values()].sort((a, b) => a.id - b.id);
  }

  get(content: string): AddedToken | undefined {
    return this.byContent.get(content);
  }

  byTokenId(id: number): AddedToken | undefined {
    return this.byId.get(id);
  }

  get hasNormalized(): boolean {
    return this.regexFor(true) !== null;
  }

  private regexFor(normalized: boolean): RegExp | null {
    const cached = normalized ? this.normalizedRegex : this.rawRegex;
    if (cached !== undefined) return cached;
    const contents = [...this.byContent.values()]
      .filter((t) => t.normalized === normalized && t.content.length > 0)
      .map((t) => t.content)
      .sort((a, b) => b.length - a.length);
    // Longest first makes JavaScript's leftmost-first alternation leftmost-longest.
    const re = contents.length === 0 ? null : new RegExp(contents.map(escapeRegExp).join('|'), 'g');
    if (normalized) this.normalizedRegex = re;
    else this.rawRegex = re;
    return re;
  }

  /**
   * Splits `text[start, end)` around the tokens matched on the original (`normalized === false`)
   * or on the normalized text. Pieces cover the range in order; plain pieces may be empty only when
   * the whole range is.
   */
  split(text: string, start: number, end: number, normalized: boolean): AddedSplit[] {
    const re = this.regexFor(normalized);
    if (!re) return [{ start, end, token: undefined }];
    const out: AddedSplit[] = [];
    let last = start;
    re.lastIndex = start;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) {
      let s = m.index;
      let e = s + m[0].length;
      if (e > end) break;
      if (s < last) continue;
      const token = this.byContent.get(m[0])!;
      if (token.singleWord) {
        const before = s > start ? text.codePointAt(prevCharStart(text, s))! : -1;
        const after = e < end ? text.codePointAt(e)! : -1;
        if ((before >= 0 && isWordChar(before)) || (after >= 0 && isWordChar(after))) continue;
      }
      if (token.lstrip) {
        while (s > last) {
          const p = prevCharStart(text, s);
          if (!isWhitespace(text.codePointAt(p)!)) break;
          s = p;
        }
      }
      if (token.rstrip) {
        while (e < end) {
          const cp = text.codePointAt(e)!;
          if (!isWhitespace(cp)) break;
          e += cp > 0xffff ? 2 : 1;
        }
        re.lastIndex = e;
      }
      if (s > last) out.push({ start: last, end: s, token: undefined });
      out.push({ start: s, end: e, token });
      last = e;
    }
    if (last < end || out.length === 0) out.push({ start: last, end, token: undefined });
    return out;
  }
}

function prevCharStart(text: string, i: number): number {
  const c = text.charCodeAt(i - 1);
  if (c >= 0xdc00 && c <= 0xdfff && i >= 2) {
    const h = text.charCodeAt(i - 2);
    if (h >= 0xd800 && h <= 0xdbff) return i - 2;
  }
  return i - 1;
}
