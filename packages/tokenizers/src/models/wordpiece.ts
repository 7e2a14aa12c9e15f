/**
 * WordPiece (Schuster & Nakajima 2012; Wu et al. 2016), as BERT uses it: greedy longest-match-first
 * over the vocab, continuation pieces prefixed with `##`, and the whole word unknown when any part
 * of it cannot be matched (google-research/bert tokenization.py WordpieceTokenizer).
 */
import { TokenizerError } from '../errors.js';
import { codePointCount } from '../unicode.js';
import { VocabModel, vocabToJSON, type ModelJson, type TokenizerModel, type WordTokens } from './model.js';

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

  constructor(vocab: ReadonlyMap<string, number> | Record<string, number>, options: WordPieceOptions = {}) {
    super(vocab);
    this.unkToken = options.unkToken ?? '[UNK]';
    this.continuingSubwordPrefix = options.continuingSubwordPrefix ?? '##';
    this.maxInputCharsPerWord = options.maxInputCharsPerWord ?? 100;
    const unkId = this.vocab.get(this.unkToken);
    if (unkId === undefined) throw new TokenizerError(`WordPiece: unk_token ${JSON.stringify(this.unkToken)} is not in the vocab; add it or pass the right unkToken.`);
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

  toJSON(): ModelJson {
    return {
      type: 'WordPiece',
      unk_token: this.unkToken,
      continuing_subword_prefix: this.continuingSubwordPrefix,
      max_input_chars_per_word: this.maxInputCharsPerWord,
      vocab: vocabToJSON(this.tokens),
    };
  }

  static fromJSON(json: ModelJson): WordPiece {
    const vocab = json.vocab as Record<string, number> | undefined;
    if (!vocab || typeof vocab !== 'object') throw new TokenizerError('tokenizer.json: model.vocab is missing or not an object.');
    return new WordPiece(vocab, {
      unkToken: (json.unk_token as string | undefined) ?? '[UNK]',
      continuingSubwordPrefix: (json.continuing_subword_prefix as string | undefined) ?? '##',
      maxInputCharsPerWord: (json.max_input_chars_per_word as number | undefined) ?? 100,
    });
  }
}

/** Parses BERT's vocab.txt: one token per line, the line number is the id. */
export function parseVocabTxt(text: string): Map<string, number> {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const vocab = new Map<string, number>();
  lines.forEach((line, id) => {
    if (!vocab.has(line)) vocab.set(line, id);
  });
  return vocab;
}
