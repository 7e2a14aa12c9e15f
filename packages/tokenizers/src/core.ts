/**
 * `@tfkit/tokenizers/core`: the tokenizer without any component type built in, for pages that
 * count bytes. `loadTokenizer(json)` / `loadTokenizerFromUrl(url)` import only the normalizer,
 * pre-tokenizer, model, post-processor and decoder modules the tokenizer.json names (bundlers
 * split each into a chunk of its own). `Tokenizer.fromJSON` here builds only types already loaded;
 * `@tfkit/tokenizers` loads them all.
 */
export {
  Tokenizer, type EncodeOptions, type DecodeOptions, type BatchInput, type TokenizerParts, type TokenizerJson, type TruncationStrategy,
  type TruncationParams, type PaddingParams,
} from './tokenizer.js';
export { loadTokenizer, loadTokenizerFromUrl, loadComponents, componentTypes, type LoadTokenizerOptions } from './lazy-components.js';
export { registeredComponents, type ComponentFamily } from './components.js';
export { Encoding } from './encoding.js';
export { TokenizerError } from './errors.js';
export type { AddedToken } from './added-vocabulary.js';
export type { SpecialTokensMap, SpecialTokenRole, TokenizerConfigJson } from './config.js';
