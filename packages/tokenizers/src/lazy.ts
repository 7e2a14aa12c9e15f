/**
 * `@tfkit/tokenizers/lazy`: the tokenizer with loaders that import code on demand.
 * `loadTokenizer(json)` / `loadTokenizerFromUrl(url)` import the component modules the
 * tokenizer.json names (and the features it asks for: truncation, padding, offset trimming,
 * BPE-dropout) before building, each a chunk of its own in a split bundle; `loadFeatures(…)` imports
 * features a page uses per call; `use(pretrained)` adds `Tokenizer.fromPretrained`,
 * `savePretrained` and `train`'s loader, whose code is imported on first use.
 *
 * An entry of its own, apart from `@tfkit/tokenizers/core`, and it does not re-export core's
 * component modules and features: a bundle that reaches a dynamic import makes a chunk of every
 * module it names, and loads each such module that any file of the page re-exports, used or not
 * (esbuild keeps the import). So a lazy page imports from here only, a modular page from core only.
 */
export * from './lean-entry.js';
export { loadTokenizer, loadTokenizerFromUrl, loadComponents, loadFeatures, componentTypes, type LoadTokenizerOptions } from './lazy-components.js';
export { pretrained } from './pretrained.js';
