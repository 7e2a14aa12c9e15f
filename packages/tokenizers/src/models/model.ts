/** What every tokenization model (BPE, WordPiece, WordLevel) provides to the pipeline. */
import { asId, isPlainObject, MAX_ID, quote, type At } from '../json-reader.js';

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
 * id → token. Dense (an array) when the ids are compact, as in every real vocabulary; a Map when
 * they are sparse, so one huge id (which Hugging Face accepts) costs one entry, not an array
 * sized by it.
 */
export class IdTable {
  private readonly dense: (string | undefined)[] | null;
  private readonly sparse: Map<number, string> | null;
  /** Highest id + 1 (0 when empty). */
  readonly size: number;

  /** A pair of tokens found sharing an id (the later token, the id, the earlier token), if any. */
  readonly duplicate: readonly [string, number, string] | null = null;

  /** `entries` must hold valid ids, at most `maxId`; `count` is how many there are. */
  constructor(entries: Iterable<readonly [string, number]>, count: number, maxId: number) {
    this.size = maxId + 1;
    let duplicate: [string, number, string] | null = null;
    if (this.size <= 2 * count + 1024) {
      const dense = (this.dense = new Array<string | undefined>(this.size));
      this.sparse = null;
      for (const [token, id] of entries) {
        if (dense[id] !== undefined) duplicate ??= [token, id, dense[id]!];
        dense[id] = token;
      }
    } else {
      const sparse = (this.sparse = new Map<number, string>());
      this.dense = null;
      for (const [token, id] of entries) {
        if (sparse.has(id)) duplicate ??= [token, id, sparse.get(id)!];
        sparse.set(id, token);
      }
    }
    this.duplicate = duplicate;
  }

  get(id: number): string | undefined {
    return this.dense ? this.dense[id] : this.sparse!.get(id);
  }
}

/**
 * The token ↔ id table every model has, with the lookups `TokenizerModel` asks for. Models extend
 * it and add how a word is split.
 */
export abstract class VocabModel {
  protected readonly vocab: Map<string, number>;
  protected readonly tokens: IdTable;

  /** `at` says where the vocab came from (file and field), for error messages. */
  constructor(vocab: ReadonlyMap<string, number> | Record<string, number>, at: At) {
    const built = buildVocab(vocab, at);
    this.vocab = built.map;
    this.tokens = built.tokens;
  }

  get vocabSize(): number {
    return this.tokens.size;
  }

  tokenToId(token: string): number | undefined {
    return this.vocab.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.tokens.get(id);
  }

  getVocab(): Map<string, number> {
    return new Map(this.vocab);
  }
}

/**
 * Reads a vocab given as a Map or a `{ token: id }` record into a Map and an id → token table.
 * Ids must be non-negative integers (at most MAX_ID), each belonging to one token.
 */
export function buildVocab(vocab: ReadonlyMap<string, number> | Record<string, number>, at: At): { map: Map<string, number>; tokens: IdTable } {
  if (!(vocab instanceof Map) && !isPlainObject(vocab)) throw at.expected('an object of token → id', vocab);
  const map = vocab instanceof Map ? new Map(vocab) : new Map(Object.entries(vocab));
  let maxId = -1;
  for (const [token, id] of map) {
    // The common case is checked inline; asId throws the message naming the token.
    if (typeof id !== 'number' || !(id >= 0 && id <= MAX_ID) || !Number.isInteger(id)) asId(id, at.key(token));
    if (id > maxId) maxId = id;
  }
  const tokens = new IdTable(map, map.size, maxId);
  if (tokens.duplicate) {
    const [token, id, other] = tokens.duplicate;
    throw at.key(token).error(`id ${id} is also the id of ${quote(other)}; every id must belong to one token.`);
  }
  return { map, tokens };
}

/** The vocab as a `{ token: id }` record in id order (as tokenizer.json stores it; ids are unique, see `buildVocab`). */
export function vocabToJSON(vocab: ReadonlyMap<string, number>): Record<string, number> {
  return Object.fromEntries([...vocab].sort((a, b) => a[1] - b[1]));
}
