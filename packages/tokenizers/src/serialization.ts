/**
 * The `serialization` feature: a tokenizer as tokenizer.json and tokenizer_config.json objects
 * (`toJSON`, `toConfigJSON`, what `savePretrained` writes), and the checks of the
 * tokenizer_config.json fields only that writer uses (`tokenizer_class`, `added_tokens_decoder`, …). The main entry loads it; on
 * `@tfkit/tokenizers/core` it is `use(serialization)` (see features.ts).
 */
import { addedTokenToJSON, type AddedTokenJson } from './added-vocabulary.js';
import { checkConfigExtras, specialTokensToConfig, type TokenizerConfigJson } from './config.js';
import type { SerializationFeature } from './features.js';
import type { BPE } from './models/bpe.js';
import { vocabToJSON, type ModelJson, type TokenizerModel } from './models/model.js';
import type { WordPiece } from './models/wordpiece.js';
import type { Tokenizer } from './tokenizer.js';
import type { TokenizerJson } from './tokenizer-types.js';
import { paddingToJSON } from './padding.js';
import { truncationToJSON } from './truncation.js';

/** The tokenizer.json object (what `savePretrained` writes). */
export function tokenizerToJSON(t: Tokenizer): TokenizerJson {
  return {
    version: '1.0',
    truncation: t.truncation ? truncationToJSON(t.truncation) : null,
    padding: t.padding ? paddingToJSON(t.padding) : null,
    added_tokens: t.addedTokens.map(addedTokenToJSON),
    normalizer: t.normalizer?.toJSON() ?? null,
    pre_tokenizer: t.preTokenizer?.toJSON() ?? null,
    model: t.model.toJSON(),
    post_processor: t.postProcessor?.toJSON() ?? null,
    decoder: t.decoder?.toJSON() ?? null,
  };
}

/** The tokenizer_config.json object (what `savePretrained` writes next to tokenizer.json). */
export function tokenizerConfigToJSON(t: Tokenizer): TokenizerConfigJson {
  const out: TokenizerConfigJson = { ...t.config, ...specialTokensToConfig(t.specialTokens) };
  const decoder: Record<string, Omit<AddedTokenJson, 'id'>> = {};
  for (const token of t.addedTokens) {
    const { id: _id, ...rest } = addedTokenToJSON(token);
    decoder[String(token.id)] = rest;
  }
  out.added_tokens_decoder = decoder;
  return out;
}

/** A built-in model's tokenizer.json entry (BPE, WordPiece, WordLevel), keys in Hugging Face's order. */
export function modelToJSON(m: TokenizerModel): ModelJson {
  const vocab = vocabToJSON(m.getVocab());
  if (m.type === 'BPE') {
    const b = m as BPE;
    return {
      type: 'BPE',
      dropout: b.dropout,
      unk_token: b.unkToken,
      continuing_subword_prefix: b.continuingSubwordPrefix,
      end_of_word_suffix: b.endOfWordSuffix,
      fuse_unk: b.fuseUnk,
      byte_fallback: b.byteFallback,
      ignore_merges: b.ignoreMerges,
      vocab,
      merges: b.getMerges(),
    };
  }
  if (m.type === 'WordPiece') {
    const w = m as WordPiece;
    return { type: 'WordPiece', unk_token: w.unkToken, continuing_subword_prefix: w.continuingSubwordPrefix, max_input_chars_per_word: w.maxInputCharsPerWord, vocab };
  }
  return { type: 'WordLevel', vocab, unk_token: m.unkToken };
}

/** `toJSON` and `toConfigJSON`: `use(serialization)` on `@tfkit/tokenizers/core`. */
export const serialization: SerializationFeature = { feature: 'serialization', toJSON: tokenizerToJSON, toConfigJSON: tokenizerConfigToJSON, model: modelToJSON, checkConfig: checkConfigExtras };
