/**
 * `@tfkit/tokenizers/core`: the tokenizer without component types or optional features built in,
 * for pages that count bytes, modular: `use(byteLevel, bpe)` adds the component modules (and
 * `use(truncation, padding, serialization)` the features) a page needs, then `fetchTokenizer(url)`
 * or `Tokenizer.fromJSON(json)` builds with them; a bundle holds what the page imports, in one
 * file (nothing here imports code dynamically). A type or feature that is not loaded fails with a
 * TokenizerError naming the import that adds it. `@tfkit/tokenizers/lazy` adds the loaders that
 * import what a file names (`loadTokenizerFromUrl`) and `pretrained`; `@tfkit/tokenizers` loads
 * everything.
 */
export * from './lean-entry.js';
export { truncation } from './truncation.js';
export { padding } from './padding.js';
export { serialization } from './serialization.js';
export { trimOffsets } from './processors/trim-offsets.js';
export { bpeDropout } from './bpe-dropout.js';
// The component modules, as `use` takes them (the names error messages give).
export { BYTE_LEVEL as byteLevel } from './byte-level-components.js';
export { BPE_MODEL as bpe } from './models/bpe.js';
export { WORDPIECE_MODEL as wordPiece } from './models/wordpiece.js';
export { WORDLEVEL_MODEL as wordLevel } from './models/wordlevel.js';
export { NORMALIZERS as normalizers } from './normalizers/normalizers.js';
export { PRE_TOKENIZERS as preTokenizers } from './pre-tokenizers/pre-tokenizers.js';
export { PROCESSORS as postProcessors } from './processors/processors.js';
export { ROBERTA_PROCESSOR as roberta } from './processors/roberta.js';
export { DECODERS as decoders } from './decoders/decoders.js';
