/**
 * Every built-in component type. The main entry `@tfkit/tokenizers` registers them all as it loads,
 * so `Tokenizer.fromJSON` builds any tokenizer.json synchronously; `@tfkit/tokenizers/core` does
 * not import this module (see lazy-components.ts). The `…FromJSON` functions of the pre-tokenizer,
 * post-processor and decoder families live here, beside every builder they register.
 */
import { componentFromJSON, registerComponents } from './components.js';
import { BYTE_LEVEL_DECODER } from './decoders/byte-level.js';
import { DECODERS, type Decoder } from './decoders/decoders.js';
import { At } from './json-reader.js';
import { BPE_MODEL } from './models/bpe.js';
import { WORDLEVEL_MODEL } from './models/wordlevel.js';
import { WORDPIECE_MODEL } from './models/wordpiece.js';
import { NORMALIZERS } from './normalizers/normalizers.js';
import { BYTE_LEVEL_PRE_TOKENIZER } from './pre-tokenizers/byte-level.js';
import { PRE_TOKENIZERS, type PreTokenizer } from './pre-tokenizers/pre-tokenizers.js';
import { BYTE_LEVEL_PROCESSOR } from './processors/byte-level.js';
import { PROCESSORS, type PostProcessor } from './processors/processors.js';
import { ROBERTA_PROCESSOR } from './processors/roberta.js';

/** Registers every built-in normalizer, pre-tokenizer, model, post-processor and decoder type. */
export function registerBuiltinComponents(): void {
  for (const builders of [NORMALIZERS, BYTE_LEVEL_PRE_TOKENIZER, PRE_TOKENIZERS, BPE_MODEL, WORDPIECE_MODEL, WORDLEVEL_MODEL, BYTE_LEVEL_PROCESSOR, PROCESSORS, ROBERTA_PROCESSOR, BYTE_LEVEL_DECODER, DECODERS]) {
    registerComponents(builders);
  }
}

/**
 * Builds a pre-tokenizer from its tokenizer.json entry (`null`: none); `at` is where it sits, for
 * error messages. Registers every pre-tokenizer type first.
 */
export function preTokenizerFromJSON(json: unknown, at = new At('tokenizer.json', 'pre_tokenizer')): PreTokenizer | null {
  registerComponents(BYTE_LEVEL_PRE_TOKENIZER);
  registerComponents(PRE_TOKENIZERS);
  return componentFromJSON<PreTokenizer>('pre_tokenizer', json, at);
}

/**
 * Builds a post-processor from its tokenizer.json entry (`null`: none); `at` is where it sits, for
 * error messages. Registers every post-processor type first.
 */
export function processorFromJSON(json: unknown, at = new At('tokenizer.json', 'post_processor')): PostProcessor | null {
  registerComponents(BYTE_LEVEL_PROCESSOR);
  registerComponents(PROCESSORS);
  registerComponents(ROBERTA_PROCESSOR);
  return componentFromJSON<PostProcessor>('post_processor', json, at);
}

/**
 * Builds a decoder from its tokenizer.json entry (`null`: none); `at` is where it sits, for error
 * messages. Registers every decoder type first.
 */
export function decoderFromJSON(json: unknown, at = new At('tokenizer.json', 'decoder')): Decoder | null {
  registerComponents(BYTE_LEVEL_DECODER);
  registerComponents(DECODERS);
  return componentFromJSON<Decoder>('decoder', json, at);
}
