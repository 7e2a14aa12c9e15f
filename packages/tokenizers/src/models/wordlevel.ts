/** WordLevel: each pre-tokenized word is one token, or the unknown token (Hugging Face `models/wordlevel`). */
import type { ComponentBuilders } from '../components.js';
import { TokenizerError } from '../errors.js';
import { need } from '../features.js';
import { At, Fields, quote } from '../json-reader.js';
import { VocabModel, type ModelJson, type TokenizerModel, type WordTokens } from './model.js';

export class WordLevel extends VocabModel implements TokenizerModel {
  readonly type = 'WordLevel' as const;
  readonly cacheable = true;
  private readonly unkId: number | undefined;

  constructor(
    vocab: ReadonlyMap<string, number> | Record<string, number>,
    readonly unkToken: string = '<unk>',
    at = new At('WordLevel', 'vocab'),
  ) {
    super(vocab, at);
    this.unkId = this.vocab.get(unkToken);
  }

  tokenize(word: string): WordTokens {
    if (word.length === 0) return { ids: [], starts: [], ends: [] };
    const id = this.vocab.get(word) ?? this.unkId;
    if (id === undefined) throw new TokenizerError(`WordLevel: ${quote(word)} is not in the vocab and unk_token ${quote(this.unkToken)} is not either.`);
    return { ids: [id], starts: [0], ends: [word.length] };
  }

  /** The tokenizer.json entry (vocab and all): the serialization feature's (features.ts). */
  toJSON(): ModelJson {
    return need('serialization', 'WordLevel.toJSON').model(this);
  }

  /** Reads a tokenizer.json `model` entry; `at` is where it sits (for error messages). */
  static fromJSON(json: unknown, at = new At('tokenizer.json', 'model')): WordLevel {
    const f = Fields.of(json, at);
    return new WordLevel(f.get('vocab') as Record<string, number>, f.string('unk_token', '<unk>'), f.where('vocab'));
  }
}

/** The `WordLevel` model's builder. */
export const WORDLEVEL_MODEL: ComponentBuilders = { model: { WordLevel: (f) => WordLevel.fromJSON(f.json, f.at) } };
