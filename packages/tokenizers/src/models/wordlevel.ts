/** WordLevel: each pre-tokenized word is one token, or the unknown token (Hugging Face `models/wordlevel`). */
import { TokenizerError } from '../errors.js';
import { VocabModel, vocabToJSON, type ModelJson, type TokenizerModel, type WordTokens } from './model.js';

export class WordLevel extends VocabModel implements TokenizerModel {
  readonly type = 'WordLevel' as const;
  readonly cacheable = true;
  private readonly unkId: number | undefined;

  constructor(
    vocab: ReadonlyMap<string, number> | Record<string, number>,
    readonly unkToken: string = '<unk>',
  ) {
    super(vocab);
    this.unkId = this.vocab.get(unkToken);
  }

  tokenize(word: string): WordTokens {
    if (word.length === 0) return { ids: [], starts: [], ends: [] };
    const id = this.vocab.get(word) ?? this.unkId;
    if (id === undefined) throw new TokenizerError(`WordLevel: ${JSON.stringify(word)} is not in the vocab and unk_token ${JSON.stringify(this.unkToken)} is not either.`);
    return { ids: [id], starts: [0], ends: [word.length] };
  }

  toJSON(): ModelJson {
    return { type: 'WordLevel', vocab: vocabToJSON(this.tokens), unk_token: this.unkToken };
  }

  static fromJSON(json: ModelJson): WordLevel {
    const vocab = json.vocab as Record<string, number> | undefined;
    if (!vocab || typeof vocab !== 'object') throw new TokenizerError('tokenizer.json: model.vocab is missing or not an object.');
    return new WordLevel(vocab, (json.unk_token as string | undefined) ?? '<unk>');
  }
}
