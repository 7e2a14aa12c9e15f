/**
 * What the two lean entries (`@tfkit/tokenizers/core`, `@tfkit/tokenizers/lazy`) both export: the
 * tokenizer, its building blocks and errors. Each entry adds its own: core the component modules and
 * features for `use`, lazy the loaders that import them.
 */
export {
  Tokenizer, type EncodeOptions, type DecodeOptions, type BatchInput, type TokenizerParts, type TokenizerJson, type TruncationStrategy,
  type TruncationParams, type PaddingParams,
} from './tokenizer.js';
export { fetchTokenizer } from './fetch-tokenizer.js';
export { registeredComponents, type ComponentFamily, type ComponentBuilders } from './components.js';
export { use, type TokenizerModule, type TokenizerFeature, type FeatureName } from './features.js';
export { Encoding } from './encoding.js';
export { TokenizerError } from './errors.js';
export type { AddedToken } from './added-vocabulary.js';
export type { SpecialTokensMap, SpecialTokenRole, TokenizerConfigJson } from './config.js';
