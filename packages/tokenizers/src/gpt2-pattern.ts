// A module of its own: a template literal of imported strings is kept by bundlers even when unused, and pages need only the scanner (gpt2-split.ts).
import { WHITESPACE_CLASS } from './unicode.js';

/**
 * GPT-2's pre-tokenization pattern: contractions, letter runs, digit runs and other-symbol runs
 * each with at most one leading space, and whitespace runs that leave their last space to the
 * next word. `\s` is spelt out as Unicode White_Space to match the Rust regex engine.
 */
export const GPT2_SPLIT_PATTERN =
  `'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^${WHITESPACE_CLASS}\\p{L}\\p{N}]+` +
  `|[${WHITESPACE_CLASS}]+(?![^${WHITESPACE_CLASS}])|[${WHITESPACE_CLASS}]+`;
