/**
 * @tfkit/tokenizers — Hugging Face–compatible tokenizers (byte-level BPE, WordPiece) in plain
 * TypeScript: load tokenizer.json or plain vocab files, encode with offsets, truncate, pad, decode,
 * train, save. No TensorFlow.js needed.
 */
import { registerBuiltinComponents } from './builtin-components.js';
import { use } from './features.js';
import { padding } from './padding.js';
import { bpeDropout } from './bpe-dropout.js';
import { trimOffsets } from './processors/trim-offsets.js';
import { pretrained } from './pretrained.js';
import { serialization } from './serialization.js';
import { truncation } from './truncation.js';

// Every component type, so that `Tokenizer.fromJSON` builds any tokenizer.json synchronously, and
// every feature (truncation, padding, toJSON, offset trimming, BPE-dropout, fromPretrained/savePretrained/train's loader): these
// statements are why package.json lists the entry's files under `sideEffects`.
// `@tfkit/tokenizers/core` skips them and loads what a page asks for (features.ts).
registerBuiltinComponents();
use(truncation, padding, serialization, trimOffsets, bpeDropout, pretrained);

export {
  Tokenizer, type EncodeOptions, type DecodeOptions, type BatchInput, type TokenizerParts, type TokenizerJson, type TruncationStrategy,
  type TruncationParams, type PaddingParams,
} from './tokenizer.js';
export type { FromPretrainedOptions } from './loaders.js';
export type { TrainOptions, TrainProgress, TrainCorpus, TrainPostProcessor } from './trainers/train.js';
export { byteLevelBpeFromVocab, wordPieceFromVocab } from './vocab-files.js';
export { Encoding } from './encoding.js';
export { TokenizerError } from './errors.js';
export { registerTokenizers } from './register.js';
export { loadTokenizer, loadTokenizerFromUrl, type LoadTokenizerOptions } from './lazy-components.js';
export { loadTokenizerPart } from './preprocessor.js';
export type { AddedToken } from './added-vocabulary.js';
export type { SpecialTokensMap, SpecialTokenRole, TokenizerConfigJson } from './config.js';
export { NormalizedString } from './normalized-string.js';
export {
  BertNormalizer, Lowercase, UnicodeNormalizer, Strip, StripAccents, Replace, Prepend, NormalizerSequence, normalizerFromJSON,
  type Normalizer, type BertNormalizerOptions,
} from './normalizers/normalizers.js';
export {
  BertPreTokenizer, WhitespacePreTokenizer, WhitespaceSplit, PunctuationPreTokenizer, DigitsPreTokenizer,
  SplitPreTokenizer, MetaspacePreTokenizer, CharDelimiterSplit, PreTokenizerSequence,
  type PreTokenizer, type EmitPiece, type SplitBehavior,
} from './pre-tokenizers/pre-tokenizers.js';
export { ByteLevelPreTokenizer, type ByteLevelOptions } from './pre-tokenizers/byte-level.js';
export { preTokenizerFromJSON, processorFromJSON, decoderFromJSON } from './builtin-components.js';
export { BPE, parseMergesTxt, type BpeOptions } from './models/bpe.js';
export { WordPiece, parseVocabTxt, type WordPieceOptions } from './models/wordpiece.js';
export { WordLevel } from './models/wordlevel.js';
export type { TokenizerModel, WordTokens } from './models/model.js';
export { BertProcessing, TemplateProcessing, ProcessorSequence, parseTemplate, type PostProcessor } from './processors/processors.js';
export { RobertaProcessing } from './processors/roberta.js';
export { ByteLevelProcessor } from './processors/byte-level.js';
export {
  WordPieceDecoder, BpeDecoder, MetaspaceDecoder, ReplaceDecoder, StripDecoder, FuseDecoder, ByteFallbackDecoder,
  DecoderSequence, cleanUpTokenization, type Decoder,
} from './decoders/decoders.js';
export { ByteLevelDecoder } from './decoders/byte-level.js';
export { byteLevelAlphabet } from './byte-level.js';
export { GPT2_SPLIT_PATTERN } from './gpt2-pattern.js';
