/**
 * Encodings: the flat, growable form the pipeline fills (`EncodingData`) and the public `Encoding`
 * object handed to users. Truncation into overflowing windows and padding are features of their
 * own (truncation.ts, padding.ts).
 */

/** The per-token columns of an encoding (offsets, two numbers per token, apart). */
type Column = 'ids' | 'typeIds' | 'specialTokensMask' | 'attentionMask' | 'wordIds' | 'sequenceIds';
export const COLUMNS: readonly Column[] = ['ids', 'typeIds', 'specialTokensMask', 'attentionMask', 'wordIds', 'sequenceIds'];

/** The tokens of one or two sequences in flat arrays; `-1` stands for "none" in word/sequence ids. */
export class EncodingData {
  ids: number[] = [];
  typeIds: number[] = [];
  /** `[start, end)` pairs, flat. */
  offsets: number[] = [];
  specialTokensMask: number[] = [];
  attentionMask: number[] = [];
  wordIds: number[] = [];
  sequenceIds: number[] = [];
  overflowing: EncodingData[] = [];
  /** The text the offsets point into (one sequence; set by the pipeline). */
  source = '';
  /**
   * Token strings that differ from the vocab entry of their id: an added token matched with the
   * whitespace its `lstrip`/`rstrip` swallowed (Hugging Face reports the matched text). Sparse;
   * `null` until needed.
   */
  tokenTexts: (string | undefined)[] | null = null;

  get length(): number {
    return this.ids.length;
  }

  /**
   * Appends a token of the sequence being encoded; its type id, masks and sequence id are filled
   * in by `finishSequence` (the same for every token of a sequence).
   */
  pushToken(id: number, start: number, end: number, wordId: number, text?: string): void {
    if (text !== undefined) (this.tokenTexts ??= [])[this.ids.length] = text;
    this.ids.push(id);
    this.offsets.push(start, end);
    this.wordIds.push(wordId);
  }

  /** Completes an encoding built with `pushToken`. */
  finishSequence(typeId: number, sequenceId: number): void {
    const n = this.ids.length;
    this.typeIds = new Array<number>(n).fill(typeId);
    this.specialTokensMask = new Array<number>(n).fill(0);
    this.attentionMask = new Array<number>(n).fill(1);
    this.sequenceIds = new Array<number>(n).fill(sequenceId);
  }

  /** Tokens `[from, to)`, without overflowing windows. */
  slice(from: number, to: number): EncodingData {
    const out = new EncodingData();
    for (const k of COLUMNS) out[k] = this[k].slice(from, to);
    out.offsets = this.offsets.slice(2 * from, 2 * to);
    out.source = this.source;
    if (this.tokenTexts) out.tokenTexts = this.tokenTexts.slice(from, to);
    return out;
  }

  /** Appends `other`'s tokens (not its overflowing windows). */
  append(other: EncodingData): void {
    if (other.tokenTexts) {
      const texts = (this.tokenTexts ??= []);
      other.tokenTexts.forEach((t, i) => (texts[this.length + i] = t));
    }
    for (const k of [...COLUMNS, 'offsets'] as const) for (const v of other[k]) this[k].push(v);
  }
}

/** What `encode` returns. Arrays have one entry per token. */
export class Encoding {
  readonly ids: number[];
  readonly tokens: string[];
  /** Segment ids (0 for the first text, 1 for the pair in BERT-style templates). */
  readonly typeIds: number[];
  /** 1 for real tokens, 0 for padding. */
  readonly attentionMask: number[];
  /** 1 for tokens added by the post-processor and for padding. */
  readonly specialTokensMask: number[];
  /** `[start, end)` in UTF-16 units of the text (or of `textPair`, see `sequenceIds`); `[0, 0]` for added special tokens. */
  readonly offsets: [number, number][];
  /** Index of the pre-tokenized word each token comes from, per sequence; `null` for special tokens. */
  readonly wordIds: (number | null)[];
  /** 0 for the text, 1 for the pair, `null` for special tokens and padding. */
  readonly sequenceIds: (number | null)[];
  /** Further windows when truncation cut the input (with `stride` tokens of overlap). */
  readonly overflowing?: Encoding[];

  constructor(data: EncodingData, tokenOf: (id: number) => string) {
    const n = data.length;
    this.ids = data.ids;
    this.typeIds = data.typeIds;
    this.attentionMask = data.attentionMask;
    this.specialTokensMask = data.specialTokensMask;
    this.tokens = new Array<string>(n);
    this.offsets = new Array<[number, number]>(n);
    this.wordIds = new Array<number | null>(n);
    this.sequenceIds = new Array<number | null>(n);
    for (let i = 0; i < n; i++) {
      this.tokens[i] = data.tokenTexts?.[i] ?? tokenOf(data.ids[i]!);
      this.offsets[i] = [data.offsets[2 * i]!, data.offsets[2 * i + 1]!];
      const w = data.wordIds[i]!;
      this.wordIds[i] = w < 0 ? null : w;
      const s = data.sequenceIds[i]!;
      this.sequenceIds[i] = s < 0 ? null : s;
    }
    if (data.overflowing.length > 0) this.overflowing = data.overflowing.map((o) => new Encoding(o, tokenOf));
  }

  get length(): number {
    return this.ids.length;
  }

  /** The token covering UTF-16 position `pos` of sequence `sequenceId`, or `null`. */
  charToToken(pos: number, sequenceId = 0): number | null {
    for (let i = 0; i < this.ids.length; i++) {
      const [s, e] = this.offsets[i]!;
      if (this.sequenceIds[i] === sequenceId && s <= pos && pos < e) return i;
    }
    return null;
  }

  /** The `[start, end)` text span of token `index`, or `null` for special tokens and padding. */
  tokenToChars(index: number): [number, number] | null {
    return this.sequenceIds[index] == null ? null : (this.offsets[index] ?? null);
  }

  tokenToWord(index: number): number | null {
    return this.wordIds[index] ?? null;
  }

  /** The token range `[first, last + 1)` of word `word` in sequence `sequenceId`, or `null`. */
  wordToTokens(word: number, sequenceId = 0): [number, number] | null {
    let first = -1;
    let last = -1;
    for (let i = 0; i < this.ids.length; i++) {
      if (this.wordIds[i] === word && this.sequenceIds[i] === sequenceId) {
        if (first < 0) first = i;
        last = i;
      }
    }
    return first < 0 ? null : [first, last + 1];
  }
}
