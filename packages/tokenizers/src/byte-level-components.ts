/**
 * GPT-2's three ByteLevel component types (pre-tokenizer, post-processor, decoder: one `ByteLevel`
 * in Hugging Face too) as one module, so that a byte-level page loads them as one chunk
 * (`loadTokenizer` imports it for a `ByteLevel` of any family). The other pre-tokenizer,
 * post-processor and decoder modules do not import these.
 */
import type { ComponentBuilders } from './components.js';
import { BYTE_LEVEL_DECODER } from './decoders/byte-level.js';
import { BYTE_LEVEL_PRE_TOKENIZER } from './pre-tokenizers/byte-level.js';
import { BYTE_LEVEL_PROCESSOR } from './processors/byte-level.js';
// The core's chunk anchor (see lazy-components.ts): keeps the tokenizer core one chunk in a split bundle.
import './lazy-components.js';

/** The `ByteLevel` builders of the pre-tokenizer, post-processor and decoder families. */
export const BYTE_LEVEL: ComponentBuilders = { ...BYTE_LEVEL_PRE_TOKENIZER, ...BYTE_LEVEL_PROCESSOR, ...BYTE_LEVEL_DECODER };
