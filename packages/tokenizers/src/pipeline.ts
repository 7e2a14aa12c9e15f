/**
 * The encoding pipeline for one sequence: added tokens → normalizer → pre-tokenizer → model, with
 * a bounded cache of each word's tokens, and offsets mapped back to the original text.
 */
import type { AddedToken, AddedVocabulary } from './added-vocabulary.js';
import { asciiToByteLevel, isAscii, toByteLevel } from './byte-level.js';
import type { EncodingData } from './encoding.js';
import { TokenizerError } from './errors.js';
import { LruCache } from './lru.js';
import type { TokenizerModel, WordTokens } from './models/model.js';
import { NormalizedString } from './normalized-string.js';
import type { Normalizer } from './normalizers/normalizers.js';
import type { PreTokenizer } from './pre-tokenizers/pre-tokenizers.js';

/** Words longer than this (UTF-16 units) are not cached. */
const MAX_CACHED_WORD = 128;

/**
 * The first step of `type` (as its tokenizer.json entry names it) in a pre-tokenizer or a Sequence
 * of them. Found by the saved `type`, not the class, so the core imports no pre-tokenizer module.
 */
function findStep(pre: PreTokenizer | null, type: string): PreTokenizer | null {
  if (!pre) return null;
  const steps = (pre as { preTokenizers?: unknown }).preTokenizers;
  if (Array.isArray(steps) && pre.toJSON().type === 'Sequence') {
    for (const step of steps as PreTokenizer[]) {
      const found = findStep(step, type);
      if (found) return found;
    }
    return null;
  }
  return pre.toJSON().type === type ? pre : null;
}

export class Pipeline {
  readonly byteLevel: boolean;
  /** Metaspace's stand-in for spaces (`▁`) in the model's words, if the pipeline has one. */
  private readonly spaceReplacement: string | null;
  private readonly cache: LruCache<string, WordTokens>;

  // State of the sequence being encoded, kept on the instance so the per-word callback allocates nothing.
  private ns = new NormalizedString('');
  private base = 0;
  private out: EncodingData | null = null;
  private word = 0;
  private onWord: ((word: string) => void) | null = null;

  constructor(
    readonly normalizer: Normalizer | null,
    readonly preTokenizer: PreTokenizer | null,
    /** `null` for a pipeline that only splits words (training). */
    readonly model: TokenizerModel | null,
    readonly added: AddedVocabulary,
    cacheCapacity = 50_000,
  ) {
    this.byteLevel = findStep(preTokenizer, 'ByteLevel') !== null;
    const metaspace = findStep(preTokenizer, 'Metaspace') as { replacement?: unknown } | null;
    this.spaceReplacement = typeof metaspace?.replacement === 'string' ? metaspace.replacement : null;
    this.cache = new LruCache(cacheCapacity);
  }

  clearCache(): void {
    this.cache.clear();
  }

  /** Appends the tokens of `text` to `out`. */
  encode(text: string, typeId: number, sequenceId: number, out: EncodingData): void {
    this.out = out;
    out.source = text;
    this.word = 0;
    this.onWord = null;
    try {
      this.run(text, true);
      out.finishSequence(typeId, sequenceId);
    } finally {
      this.out = null;
    }
  }

  /** Calls `fn` with every word the model would see (as the cache keys them), added tokens left out. */
  forEachWord(text: string, fn: (word: string) => void): void {
    this.onWord = fn;
    try {
      this.run(text, false);
    } finally {
      this.onWord = null;
    }
  }

  private run(text: string, emitAdded: boolean): void {
    for (const seg of this.added.split(text, 0, text.length, false)) {
      if (seg.token) {
        if (emitAdded) this.pushAdded(seg.token, text.slice(seg.start, seg.end), seg.start, seg.end);
        continue;
      }
      if (seg.end <= seg.start) continue;
      const ns = new NormalizedString(seg.start === 0 && seg.end === text.length ? text : text.slice(seg.start, seg.end));
      this.normalizer?.normalize(ns);
      this.ns = ns;
      this.base = seg.start;
      const pieces = this.added.hasNormalized ? this.added.split(ns.text, 0, ns.text.length, true) : [{ start: 0, end: ns.text.length, token: undefined }];
      for (const piece of pieces) {
        if (piece.token) {
          if (emitAdded) {
            const [s, e] = ns.originalRange(piece.start, piece.end);
            this.pushAdded(piece.token, ns.text.slice(piece.start, piece.end), this.base + s, this.base + e);
          }
          continue;
        }
        if (piece.end <= piece.start) continue;
        if (this.preTokenizer) this.preTokenizer.split(ns.text, piece.start, piece.end, false, this.onPiece, this.base + ns.alignStart(piece.start) === 0);
        else this.onPiece(piece.start, piece.end, false);
      }
    }
  }

  private pushAdded(token: AddedToken, matched: string, start: number, end: number): void {
    this.out!.pushToken(token.id, start, end, this.word++, matched === token.content ? undefined : matched);
  }

  private readonly onPiece = (start: number, end: number, prefixSpace: boolean, text?: string): void => {
    const ns = this.ns;
    const raw = text ?? ns.text.slice(start, end);
    const key = prefixSpace ? ' ' + raw : raw;
    if (this.onWord) {
      this.onWord(key);
      return;
    }
    const tokens = this.tokenizeWord(key);
    const out = this.out!;
    const wordId = this.word++;
    const { ids, starts, ends } = tokens;
    if (ns.isIdentity && !prefixSpace) {
      const at = this.base + start;
      for (let k = 0; k < ids.length; k++) out.pushToken(ids[k]!, at + starts[k]!, at + ends[k]!, wordId);
      return;
    }
    // Word unit u → normalized unit: a synthetic leading space stands for the first character.
    const shift = prefixSpace ? 1 : 0;
    for (let k = 0; k < ids.length; k++) {
      const a = start + Math.max(0, starts[k]! - shift);
      const b = start + Math.max(0, ends[k]! - 1 - shift);
      out.pushToken(ids[k]!, this.base + ns.alignStart(a), this.base + ns.alignEnd(b), wordId);
    }
  };

  /** The model's tokens for one word, offsets in the word's UTF-16 units (cached). */
  tokenizeWord(word: string): WordTokens {
    const cached = this.cache.get(word);
    if (cached) return cached;
    const model = this.model;
    if (!model) throw new TokenizerError('Pipeline: this pipeline has no model; it can only split words.');
    let tokens: WordTokens;
    if (this.spaceReplacement !== null) tokens = model.tokenize(word.replaceAll(' ', this.spaceReplacement));
    else if (!this.byteLevel) tokens = model.tokenize(word);
    else if (isAscii(word)) tokens = model.tokenize(asciiToByteLevel(word));
    else {
      // Byte positions → the UTF-16 span of the character each byte belongs to.
      const mapped = toByteLevel(word);
      const t = model.tokenize(mapped.mapped);
      tokens = {
        ids: t.ids,
        starts: t.starts.map((s) => mapped.starts[s]!),
        ends: t.ends.map((e) => mapped.ends[e - 1]!),
      };
    }
    if (model.cacheable && word.length <= MAX_CACHED_WORD) this.cache.set(word, tokens);
    return tokens;
  }
}
