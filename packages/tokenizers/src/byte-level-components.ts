/**
 * GPT-2's three ByteLevel component types (pre-tokenizer, post-processor, decoder: one `ByteLevel`
 * in Hugging Face too) as one module, so that a byte-level page loads them as one chunk
 * (`loadTokenizer` imports it for a `ByteLevel` of any family, through lazy/byte-level.ts). The
 * other pre-tokenizer, post-processor and decoder modules do not import these. No chunk anchor
 * here (lazy/byte-level.ts has it): `@tfkit/tokenizers/core` exports this module as `byteLevel`,
 * and must not reach lazy-components.ts, whose dynamic imports would make every component module
 * a chunk of a page's bundle.
 */
import type { ComponentBuilders } from './components.js';
import { BYTE_LEVEL_DECODER } from './decoders/byte-level.js';
import { BYTE_LEVEL_PRE_TOKENIZER } from './pre-tokenizers/byte-level.js';
import { BYTE_LEVEL_PROCESSOR } from './processors/byte-level.js';

/** The `ByteLevel` builders of the pre-tokenizer, post-processor and decoder families. */
export const BYTE_LEVEL: ComponentBuilders = { ...BYTE_LEVEL_PRE_TOKENIZER, ...BYTE_LEVEL_PROCESSOR, ...BYTE_LEVEL_DECODER };
