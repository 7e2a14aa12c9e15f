/**
 * Every built-in component type. The main entry `@tfkit/tokenizers` registers them all as it loads,
 * so `Tokenizer.fromJSON` builds any tokenizer.json synchronously; `@tfkit/tokenizers/core` does
 * not import this module (see lazy-components.ts).
 */
import { registerComponents } from './components.js';
import { BYTE_LEVEL_DECODER } from './decoders/byte-level.js';
import { DECODERS } from './decoders/decoders.js';
import { BPE_MODEL } from './models/bpe.js';
import { WORDLEVEL_MODEL } from './models/wordlevel.js';
import { WORDPIECE_MODEL } from './models/wordpiece.js';
import { NORMALIZERS } from './normalizers/normalizers.js';
import { BYTE_LEVEL_PRE_TOKENIZER } from './pre-tokenizers/byte-level.js';
import { PRE_TOKENIZERS } from './pre-tokenizers/pre-tokenizers.js';
import { BYTE_LEVEL_PROCESSOR } from './processors/byte-level.js';
import { PROCESSORS } from './processors/processors.js';

/** Registers every built-in normalizer, pre-tokenizer, model, post-processor and decoder type. */
export function registerBuiltinComponents(): void {
  for (const builders of [NORMALIZERS, BYTE_LEVEL_PRE_TOKENIZER, PRE_TOKENIZERS, BPE_MODEL, WORDPIECE_MODEL, WORDLEVEL_MODEL, BYTE_LEVEL_PROCESSOR, PROCESSORS, BYTE_LEVEL_DECODER, DECODERS]) {
    registerComponents(builders);
  }
}
