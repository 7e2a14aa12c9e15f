/**
 * Byte-pair encoding (Sennrich et al. 2016, "Neural Machine Translation of Rare Words with Subword
 * Units"), following Hugging Face tokenizers' `models/bpe`: merges applied lowest rank first with a
 * priority queue, optional BPE-dropout (Provilkov et al. 2020), unknown-token fusing and byte
 * fallback.
 */
import type { ComponentBuilders } from '../components.js';
import { TokenizerError } from '../errors.js';
import { need } from '../features.js';
import { asArray, At, Fields, quote } from '../json-reader.js';
import { VocabModel, type ModelJson, type TokenizerModel, type WordTokens } from './model.js';
import { MergeQueue } from './merge-queue.js';
import { PairTable } from './pair-table.js';

export interface BpeOptions {
  /** Merges in rank order, as pairs or as `"a b"` strings (both hub formats). */
  merges: readonly (readonly [string, string] | string)[];
  /** Probability of skipping each merge (BPE-dropout, training only); `null`/0 disables it. */
  dropout?: number | null;
  /** Seed for dropout's random numbers. */
  seed?: number;
  unkToken?: string | null;
  continuingSubwordPrefix?: string | null;
  endOfWordSuffix?: string | null;
  /** Consecutive unknown characters become one unknown token. */
  fuseUnk?: boolean;
  /** Unknown characters become `<0xXX>` byte tokens (SentencePiece style). */
  byteFallback?: boolean;
  /** A word that is itself in the vocab is not split (Llama 3 style). */
  ignoreMerges?: boolean;
}

export class BPE extends VocabModel implements TokenizerModel {
  readonly type = 'BPE' as const;
  readonly dropout: number | null;
  readonly unkToken: string | null;
  readonly continuingSubwordPrefix: string | null;
  readonly endOfWordSuffix: string | null;
  readonly fuseUnk: boolean;
  readonly byteFallback: boolean;
  readonly ignoreMerges: boolean;
  /** Merges in rank order as [left id, right id, merged id]. */
  private readonly mergeIds: Int32Array;
  private readonly pairs: PairTable;
  /** BPE-dropout's generator (the `bpeDropout` feature); `null` without dropout. */
  private readonly rng: (() => number) | null;
  private readonly queue = new MergeQueue();

  /** `source` says where the vocab and merges came from (files and fields), for error messages. */
  constructor(vocab: ReadonlyMap<string, number> | Record<string, number>, options: BpeOptions, source: BpeSource = { vocab: new At('BPE', 'vocab'), merges: new At('BPE', 'merges') }) {
    super(vocab, source.vocab);
    this.dropout = options.dropout ? options.dropout : null;
    if (this.dropout !== null && !(typeof this.dropout === 'number' && this.dropout > 0 && this.dropout <= 1)) {
      throw new TokenizerError(`BPE: dropout must be in (0, 1], got ${this.dropout}.`);
    }
    this.rng = this.dropout === null ? null : need('bpeDropout', `${source.vocab.file}: BPE dropout`).rng(options.seed ?? 0);
    this.unkToken = options.unkToken ?? null;
    this.continuingSubwordPrefix = options.continuingSubwordPrefix ?? null;
    this.endOfWordSuffix = options.endOfWordSuffix ?? null;
    this.fuseUnk = options.fuseUnk ?? false;
    this.byteFallback = options.byteFallback ?? false;
    this.ignoreMerges = options.ignoreMerges ?? false;

    const merges = asArray(options.merges, source.merges);
    this.mergeIds = new Int32Array(merges.length * 3);
    this.pairs = new PairTable(merges.length);
    const prefixLen = this.continuingSubwordPrefix?.length ?? 0;
    merges.forEach((merge, rank) => {
      const [a, b] = mergePair(merge, source.merges, rank);
      const ia = this.vocab.get(a);
      const ib = this.vocab.get(b);
      const merged = a + (prefixLen > 0 && b.startsWith(this.continuingSubwordPrefix!) ? b.slice(prefixLen) : b);
      const im = this.vocab.get(merged);
      if (ia === undefined || ib === undefined || im === undefined) {
        const missing = ia === undefined ? a : ib === undefined ? b : merged;
        throw source.merges.index(rank).error(`merges ${quote(a)} and ${quote(b)} into ${quote(merged)}, but ${quote(missing)} is not in the vocab (${source.vocab}). The vocab and merges do not belong together.`);
      }
      this.mergeIds[3 * rank] = ia;
      this.mergeIds[3 * rank + 1] = ib;
      this.mergeIds[3 * rank + 2] = im;
      this.pairs.set(ia, ib, rank); // as in Hugging Face, a repeated pair keeps its last rank
    });
  }

  get cacheable(): boolean {
    return this.dropout === null;
  }

  /** The merges in rank order, as pairs of tokens. */
  getMerges(): [string, string][] {
    const out: [string, string][] = [];
    for (let r = 0; r < this.mergeIds.length / 3; r++) out.push([this.tokens.get(this.mergeIds[3 * r]!)!, this.tokens.get(this.mergeIds[3 * r + 1]!)!]);
    return out;
  }

  tokenize(word: string): WordTokens {
    if (word.length === 0) return { ids: [], starts: [], ends: [] };
    if (this.ignoreMerges) {
      const id = this.vocab.get(word);
      if (id !== undefined) return { ids: [id], starts: [0], ends: [word.length] };
    }
    const ids: number[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    this.initialSymbols(word, ids, starts, ends);
    if (ids.length > 1) this.mergeAll(ids, starts, ends);
    return { ids, starts, ends };
  }

  /** One symbol per character (with prefix / suffix), unknown characters handled. */
  private initialSymbols(word: string, ids: number[], starts: number[], ends: number[]): void {
    const unkId = this.unkToken === null ? undefined : this.vocab.get(this.unkToken);
    if (this.unkToken !== null && unkId === undefined) {
      throw new TokenizerError(`BPE: unk_token ${JSON.stringify(this.unkToken)} is not in the vocab.`);
    }
    let prevUnk = false;
    for (let i = 0; i < word.length; ) {
      const cp = word.codePointAt(i)!;
      const len = cp > 0xffff ? 2 : 1;
      let piece = len === 1 ? word[i]! : word.slice(i, i + 2);
      if (i > 0 && this.continuingSubwordPrefix) piece = this.continuingSubwordPrefix + piece;
      if (i + len === word.length && this.endOfWordSuffix) piece += this.endOfWordSuffix;
      const id = this.vocab.get(piece);
      if (id !== undefined) {
        ids.push(id);
        starts.push(i);
        ends.push(i + len);
        prevUnk = false;
      } else if (this.byteFallback && this.pushBytes(word.slice(i, i + len), i, i + len, ids, starts, ends)) {
        prevUnk = false;
      } else if (unkId !== undefined) {
        if (this.fuseUnk && prevUnk) ends[ends.length - 1] = i + len;
        else {
          ids.push(unkId);
          starts.push(i);
          ends.push(i + len);
        }
        prevUnk = true;
      }
      i += len;
    }
  }

  private pushBytes(ch: string, start: number, end: number, ids: number[], starts: number[], ends: number[]): boolean {
    const bytes = new TextEncoder().encode(ch);
    const found: number[] = [];
    for (const b of bytes) {
      const id = this.vocab.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
      if (id === undefined) return false;
      found.push(id);
    }
    for (const id of found) {
      ids.push(id);
      starts.push(start);
      ends.push(end);
    }
    return true;
  }

  /** Applies merges, lowest rank first (leftmost on ties), in place. */
  private mergeAll(ids: number[], starts: number[], ends: number[]): void {
    const n = ids.length;
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    const alive = new Uint8Array(n).fill(1);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const q = this.queue;
    q.clear();
    for (let i = 0; i + 1 < n; i++) {
      const rank = this.pairs.get(ids[i]!, ids[i + 1]!);
      if (rank >= 0) q.push(rank, i);
    }
    const skipped: number[] = [];
    const dropout = this.dropout;
    while (q.pop()) {
      const rank = q.topRank;
      const pos = q.topPos;
      if (dropout !== null && this.rng!() < dropout) {
        skipped.push(rank, pos);
        continue;
      }
      for (let k = 0; k < skipped.length; k += 2) q.push(skipped[k]!, skipped[k + 1]!);
      skipped.length = 0;
      if (!alive[pos]) continue;
      const right = next[pos]!;
      if (right < 0) continue;
      if (ids[pos] !== this.mergeIds[3 * rank] || ids[right] !== this.mergeIds[3 * rank + 1]) continue;
      // Merge `right` into `pos`.
      ids[pos] = this.mergeIds[3 * rank + 2]!;
      ends[pos] = ends[right]!;
      alive[right] = 0;
      const after = next[right]!;
      next[pos] = after;
      if (after >= 0) prev[after] = pos;
      const before = prev[pos]!;
      if (before >= 0) {
        const r = this.pairs.get(ids[before]!, ids[pos]!);
        if (r >= 0) q.push(r, before);
      }
      if (after >= 0) {
        const r = this.pairs.get(ids[pos]!, ids[after]!);
        if (r >= 0) q.push(r, pos);
      }
    }
    // Compact the surviving symbols.
    let w = 0;
    for (let i = 0; i >= 0 && i < n; i = next[i]!) {
      ids[w] = ids[i]!;
      starts[w] = starts[i]!;
      ends[w] = ends[i]!;
      w++;
    }
    ids.length = w;
    starts.length = w;
    ends.length = w;
  }

  /** The tokenizer.json entry (vocab and all): the serialization feature's (features.ts). */
  toJSON(): ModelJson {
    return need('serialization', 'BPE.toJSON').model(this);
  }

  /** Reads a tokenizer.json `model` entry; `at` is where it sits (for error messages). */
  static fromJSON(json: unknown, at = new At('tokenizer.json', 'model')): BPE {
    const f = Fields.of(json, at);
    const dropout = f.get('dropout');
    if (dropout != null && !(typeof dropout === 'number' && dropout >= 0 && dropout <= 1)) throw f.where('dropout').expected('a number in [0, 1] or null', dropout);
    return new BPE(
      f.get('vocab') as Record<string, number>,
      {
        merges: f.array('merges') as (string | [string, string])[],
        dropout: dropout as number | null | undefined,
        unkToken: f.nullableString('unk_token', null),
        continuingSubwordPrefix: f.nullableString('continuing_subword_prefix', null),
        endOfWordSuffix: f.nullableString('end_of_word_suffix', null),
        fuseUnk: f.bool('fuse_unk', false),
        byteFallback: f.bool('byte_fallback', false),
        ignoreMerges: f.bool('ignore_merges', false),
      },
      { vocab: f.where('vocab'), merges: f.where('merges') },
    );
  }
}

/** Where a BPE's vocab and merges came from. */
export interface BpeSource {
  vocab: At;
  merges: At;
}

/** Merge number `rank` of `merges`, as `"a b"` or `["a", "b"]` (both hub formats) → `["a", "b"]`. */
function mergePair(merge: unknown, merges: At, rank: number): readonly [string, string] {
  if (typeof merge === 'string') {
    const pair = splitMerge(merge);
    if (pair) return pair;
    throw merges.index(rank).expected('two tokens separated by one space', merge);
  }
  if (Array.isArray(merge) && merge.length === 2 && typeof merge[0] === 'string' && typeof merge[1] === 'string') return merge as [string, string];
  throw merges.index(rank).expected('a merge: "a b" or ["a", "b"]', merge);
}

/** `"a b"` → `["a", "b"]`, or null unless the string holds exactly one space. */
function splitMerge(merge: string): [string, string] | null {
  const space = merge.indexOf(' ');
  if (space < 0 || merge.indexOf(' ', space + 1) >= 0) return null;
  return [merge.slice(0, space), merge.slice(space + 1)];
}

/** Parses merges.txt: an optional `#version` line, then one `a b` merge per line. `file` names it in errors. */
export function parseMergesTxt(text: string, file = 'merges.txt'): [string, string][] {
  const out: [string, string][] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, k) => {
    if (line.length === 0 || (k === 0 && line.startsWith('#version'))) return;
    const pair = splitMerge(line);
    if (!pair) throw new At(file, `line ${k + 1}`).expected('two tokens separated by one space', line);
    out.push(pair);
  });
  return out;
}

/** The `BPE` model's builder. */
export const BPE_MODEL: ComponentBuilders = { model: { BPE: (f) => BPE.fromJSON(f.json, f.at) } };
