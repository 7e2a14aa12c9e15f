/**
 * WordPiece (Schuster & Nakajima 2012; Wu et al. 2016), as BERT uses it: greedy longest-match-first
 * over the vocab, continuation pieces prefixed with `##`, and the whole word unknown when any part
 * of it cannot be matched (google-research/bert tokenization.py WordpieceTokenizer).
 */
import { need } from '../features.js';
import type { ComponentBuilders } from '../components.js';
import { At, fieldInt, Fields, quote } from '../json-reader.js';
import { codePointCount } from '../unicode-classes.js';
import { VocabModel, type ModelJson, type TokenizerModel, type WordTokens } from './model.js';

export interface WordPieceOptions {
  unkToken?: string;
  continuingSubwordPrefix?: string;
  /** Longer words (in characters) become the unknown token. */
  maxInputCharsPerWord?: number;
}

export class WordPiece extends VocabModel implements TokenizerModel {
  readonly type = 'WordPiece' as const;
  readonly cacheable = true;
  readonly unkToken: string;
  readonly continuingSubwordPrefix: string;
  readonly maxInputCharsPerWord: number;
  private readonly unkId: number;
  /** Longest token in UTF-16 units, prefix excluded: no match can be longer. */
  private readonly maxPieceLength: number;

  /** `at` says where the vocab came from (file and field), for error messages. */
  constructor(vocab: ReadonlyMap<string, number> | Record<string, number>, options: WordPieceOptions = {}, at = new At('WordPiece', 'vocab')) {
    super(vocab, at);
    this.unkToken = options.unkToken ?? '[UNK]';
    this.continuingSubwordPrefix = options.continuingSubwordPrefix ?? '##';
    this.maxInputCharsPerWord = options.maxInputCharsPerWord ?? 100;
    const unkId = this.vocab.get(this.unkToken);
    if (unkId === undefined) throw at.error(`unk_token ${quote(this.unkToken)} is not in the vocab; add it or set unk_token to a token that is.`);
    this.unkId = unkId;
    let max = 1;
    const prefix = this.continuingSubwordPrefix;
    for (const token of this.vocab.keys()) {
      const len = prefix && token.startsWith(prefix) ? token.length - prefix.length : token.length;
      if (len > max) max = len;
    }
    this.maxPieceLength = max;
  }

  tokenize(word: string): WordTokens {
    const n = word.length;
    if (n === 0) return { ids: [], starts: [], ends: [] };
    if (n > this.maxInputCharsPerWord && codePointCount(word) > this.maxInputCharsPerWord) {
      return { ids: [this.unkId], starts: [0], ends: [n] };
    }
    const ids: number[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    let start = 0;
    while (start < n) {
      let end = Math.min(n, start + this.maxPieceLength);
      let found = -1;
      while (end > start) {
        // Never cut a surrogate pair.
        const last = word.charCodeAt(end - 1);
        if (end < n && last >= 0xd800 && last <= 0xdbff) {
          end--;
          continue;
        }
        const piece = start > 0 ? this.continuingSubwordPrefix + word.slice(start, end) : word.slice(start, end);
        const id = this.vocab.get(piece);
        if (id !== undefined) {
          found = id;
          break;
        }
        end--;
      }
      if (found < 0) return { ids: [this.unkId], starts: [0], ends: [n] };
      ids.push(found);
      starts.push(start);
      ends.push(end);
      start = end;
    }
    return { ids, starts, ends };
  }

  /** The tokenizer.json entry (vocab and all): the serialization feature's (features.ts). */
  toJSON(): ModelJson {
    return need('serialization', 'WordPiece.toJSON').model(this);
  }

  /** Reads a tokenizer.json `model` entry; `at` is where it sits (for error messages). */
  static fromJSON(json: unknown, at = new At('tokenizer.json', 'model')): WordPiece {
    const f = Fields.of(json, at);
    return new WordPiece(
      f.get('vocab') as Record<string, number>,
      {
        unkToken: f.string('unk_token', '[UNK]'),
        continuingSubwordPrefix: f.string('continuing_subword_prefix', '##'),
        maxInputCharsPerWord: fieldInt(f, 'max_input_chars_per_word', 100),
      },
      f.where('vocab'),
    );
  }
}

/** Parses BERT's vocab.txt: one token per line, the line number is the id (a repeated line keeps its first id). */
export function parseVocabTxt(text: string): Map<string, number> {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const vocab = new Map<string, number>();
  lines.forEach((line, id) => {
    if (!vocab.has(line)) vocab.set(line, id);
  });
  return vocab;
}

/** The `WordPiece` model's builder. */
export const WORDPIECE_MODEL: ComponentBuilders = { model: { WordPiece: (f) => WordPiece.fromJSON(f.json, f.at) } };
