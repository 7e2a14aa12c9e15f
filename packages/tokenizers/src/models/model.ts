/** What every tokenization model (BPE, WordPiece, WordLevel) provides to the pipeline. */

/** The tokens of one word: ids and each token's `[start, end)` in the word's UTF-16 units. */
export interface WordTokens {
  readonly ids: readonly number[];
  readonly starts: readonly number[];
  readonly ends: readonly number[];
}

export type ModelJson = { type: string; [key: string]: unknown };

export interface TokenizerModel {
  readonly type: 'BPE' | 'WordPiece' | 'WordLevel';
  /** Tokenizes one pre-tokenized word (for byte-level BPE: already in byte-map characters). */
  tokenize(word: string): WordTokens;
  /** The token standing for unknown input, if the model has one. */
  readonly unkToken: string | null;
  /** Whether `tokenize` is a pure function of the word, so results may be cached. */
  readonly cacheable: boolean;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  /** Number of ids (highest id + 1). */
  readonly vocabSize: number;
  getVocab(): Map<string, number>;
  toJSON(): ModelJson;
}

/**
 * The token ↔ id table every model has, with the lookups `TokenizerModel` asks for. Models extend
 * it and add how a word is split.
 */
export abstract class VocabModel {
  protected readonly vocab: Map<string, number>;
  /** Id → token; holes where the vocab skips an id. */
  protected readonly tokens: string[];

  constructor(vocab: ReadonlyMap<string, number> | Record<string, number>) {
    const built = buildVocab(vocab);
    this.vocab = built.map;
    this.tokens = built.tokens;
  }

  get vocabSize(): number {
    return this.tokens.length;
  }

  tokenToId(token: string): number | undefined {
    return this.vocab.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.tokens[id];
  }

  getVocab(): Map<string, number> {
    return new Map(this.vocab);
  }
}

/** Reads a vocab given as a Map or a `{ token: id }` record into a Map and an id → token table. */
export function buildVocab(vocab: ReadonlyMap<string, number> | Record<string, number>): { map: Map<string, number>; tokens: string[] } {
  const map = vocab instanceof Map ? new Map(vocab) : new Map(Object.entries(vocab));
  const tokens: string[] = [];
  for (const [token, id] of map) tokens[id] = token;
  return { map, tokens };
}

/** The vocab as a `{ token: id }` record in id order (as tokenizer.json stores it). */
export function vocabToJSON(tokens: readonly (string | undefined)[]): Record<string, number> {
  const out: Record<string, number> = {};
  tokens.forEach((t, id) => {
    if (t !== undefined) out[t] = id;
  });
  return out;
}
