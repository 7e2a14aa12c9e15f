/** The option and file-format types of `Tokenizer`. */
import type { AddedToken, AddedTokenJson } from './added-vocabulary.js';
import type { TokenizerConfigJson } from './config.js';
import type { Decoder } from './decoders/decoders.js';
import type { TokenizerModel } from './models/model.js';
import type { Normalizer } from './normalizers/normalizers.js';
import type { PreTokenizer } from './pre-tokenizers/pre-tokenizers.js';
import type { PostProcessor } from './processors/processors.js';
import type { PaddingParams } from './padding.js';
import type { TruncationParams, TruncationStrategy } from './truncation.js';

export interface EncodeOptions {
  /** A second text (question/context, sentence pair). An empty string still counts as a pair. */
  textPair?: string;
  /** Add the post-processor's special tokens (`[CLS]`, `[SEP]`, …). Default true. */
  addSpecialTokens?: boolean;
  /** Cut to `maxLength` tokens (special tokens included); `true` means `'longest_first'`. */
  truncation?: boolean | TruncationStrategy;
  /** Default: the config's `model_max_length`. */
  maxLength?: number;
  /** Tokens repeated between consecutive overflowing windows. */
  stride?: number;
  truncationSide?: 'right' | 'left';
  /** `'longest'` pads a batch to its longest encoding; `'max_length'` (or `true` with maxLength) to `maxLength`. */
  padding?: boolean | 'longest' | 'max_length';
  padToMultipleOf?: number;
  paddingSide?: 'right' | 'left';
  /** Pad id to use when the tokenizer has no pad token. */
  padTokenId?: number;
  /** @internal Truncation length when it differs from the padding length (tokenizer.json defaults). */
  truncationMaxLength?: number;
}

export interface DecodeOptions {
  skipSpecialTokens?: boolean;
  /** Remove spaces before punctuation (`" ."` → `"."`). Default: the config's flag, else false. */
  cleanUpTokenizationSpaces?: boolean;
}

export type BatchInput = string | readonly [string, string];

export interface TokenizerParts {
  model: TokenizerModel;
  normalizer?: Normalizer | null;
  preTokenizer?: PreTokenizer | null;
  postProcessor?: PostProcessor | null;
  decoder?: Decoder | null;
  addedTokens?: readonly AddedToken[];
  /** tokenizer_config.json contents (roles of special tokens, model_max_length, …). */
  config?: TokenizerConfigJson;
  truncation?: TruncationParams | null;
  padding?: PaddingParams | null;
}

export interface TokenizerJson {
  version?: string;
  truncation?: unknown;
  padding?: unknown;
  added_tokens?: AddedTokenJson[];
  normalizer?: { type: string } | null;
  pre_tokenizer?: { type: string } | null;
  model: { type?: string; [key: string]: unknown };
  post_processor?: { type: string } | null;
  decoder?: { type: string } | null;
}
