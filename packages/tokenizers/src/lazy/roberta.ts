// RoBERTa's post-processor, as `loadTokenizer` imports it: a lazy entry of its own, with the core's chunk anchor (see
// lazy-components.ts) and the byte-level modules': a RoBERTa tokenizer is byte-level, and reaching them here keeps
// the offset trimming they share with it in one chunk with them.
import '../lazy-components.js';
import '../pre-tokenizers/byte-level.js';
import '../decoders/byte-level.js';
import '../processors/byte-level.js';
export { ROBERTA_PROCESSOR } from '../processors/roberta.js';
