/** GPT-2's byte-level pre-tokenizer, a module of its own so a page loads it without the other pre-tokenizers. */
import type { ComponentBuilders } from '../components.js';
import { splitGpt2 } from '../gpt2-split.js';
import type { EmitPiece, PreTokenizer, PreTokenizerJson } from './pre-tokenizers.js';

export interface ByteLevelOptions {
  /** Give the first word a leading space, so it tokenizes like any other word. */
  addPrefixSpace?: boolean;
  /** Split with GPT-2's regex first (otherwise the whole text is one word). */
  useRegex?: boolean;
  /** Stored for the file format; offsets are trimmed by the ByteLevel post-processor. */
  trimOffsets?: boolean;
}

/**
 * GPT-2's byte-level pre-tokenizer (Radford et al. 2019; openai/gpt-2 encoder.py). The split
 * regex runs as the equivalent hand-written scanner `splitGpt2`.
 */
export class ByteLevelPreTokenizer implements PreTokenizer {
  readonly addPrefixSpace: boolean;
  readonly useRegex: boolean;
  readonly trimOffsets: boolean;
  constructor(options: ByteLevelOptions = {}) {
    this.addPrefixSpace = options.addPrefixSpace ?? false;
    this.useRegex = options.useRegex ?? true;
    this.trimOffsets = options.trimOffsets ?? true;
  }

  split(text: string, start: number, end: number, prefixSpace: boolean, emit: EmitPiece): void {
    if (end <= start) return;
    const prefix = prefixSpace || (this.addPrefixSpace && text.charCodeAt(start) !== 32);
    if (!this.useRegex) {
      emit(start, end, prefix);
      return;
    }
    if (!prefix) {
      splitGpt2(text, start, end, (s, e) => emit(s, e, false));
      return;
    }
    // With a synthetic space the split runs on ' ' + text; positions shift by one.
    const sub = ' ' + text.slice(start, end);
    const shift = start - 1;
    splitGpt2(sub, 0, sub.length, (s, e) => {
      if (s === 0) emit(start, shift + e, true);
      else emit(shift + s, shift + e, false);
    });
  }

  toJSON(): PreTokenizerJson {
    return { type: 'ByteLevel', add_prefix_space: this.addPrefixSpace, trim_offsets: this.trimOffsets, use_regex: this.useRegex };
  }
}

/** The `ByteLevel` pre-tokenizer's builder. */
export const BYTE_LEVEL_PRE_TOKENIZER: ComponentBuilders = {
  pre_tokenizer: {
    ByteLevel: (f) =>
      new ByteLevelPreTokenizer({ addPrefixSpace: f.bool('add_prefix_space', false), useRegex: f.bool('use_regex', true), trimOffsets: f.bool('trim_offsets', true) }),
  },
};
