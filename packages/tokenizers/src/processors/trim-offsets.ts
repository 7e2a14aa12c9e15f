/**
 * The `trimOffsets` feature: offset trimming of byte-level tokens, for the ByteLevel and
 * RobertaProcessing post-processors (byte-level.ts, roberta.ts) whose `trim_offsets` is on. The
 * main entry loads it; on `@tfkit/tokenizers/core` it is `use(trimOffsets)` (GPT-2's file turns
 * trimming off, RoBERTa's on).
 */
import { BYTE_TO_CHAR } from '../byte-level.js';
import type { EncodingData } from '../encoding.js';
import type { TrimOffsetsFeature } from '../features.js';
import { isWhitespace } from '../unicode.js';
import { forEachWindow, type TokenOf } from './post-process.js';

/**
 * Moves offsets off leading/trailing spaces of byte-level tokens (`Ġ`), as Hugging Face's ByteLevel
 * `trim_offsets` does. The first token keeps one space it was given by `add_prefix_space`.
 */
export function trimEncodingOffsets(e: EncodingData, addPrefixSpace: boolean, tokenOf: TokenOf): void {
  const space = BYTE_TO_CHAR[32]!;
  forEachWindow(e, (w) => {
    for (let i = 0; i < w.length; i++) {
      const token = w.tokenTexts?.[i] ?? tokenOf(w.ids[i]!);
      let lead = 0;
      while (lead < token.length && (token[lead] === space || isWhitespace(token.charCodeAt(lead)))) lead++;
      let trail = 0;
      while (trail < token.length && (token[token.length - 1 - trail] === space || isWhitespace(token.charCodeAt(token.length - 1 - trail)))) trail++;
      if (lead === 0 && trail === 0) continue;
      let start = w.offsets[2 * i]!;
      let end = w.offsets[2 * i + 1]!;
      // Hugging Face trims in code points: step over whole surrogate pairs.
      const text = w.source;
      if (lead > 0) {
        if ((i === 0 || start === 0) && addPrefixSpace && lead === 1) lead = 0;
        for (let k = 0; k < lead && start < end; k++) start += isPairAt(text, start) ? 2 : 1;
        start = Math.min(start, end);
      }
      if (trail > 0) {
        let e = end;
        let k = 0;
        for (; k < trail && e > 0; k++) e -= e >= 2 && isPairAt(text, e - 2) ? 2 : 1;
        if (k === trail) end = Math.max(e, start);
      }
      w.offsets[2 * i] = start;
      w.offsets[2 * i + 1] = end;
    }
  });
}

function isPairAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  const d = text.charCodeAt(i + 1);
  return c >= 0xd800 && c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff;
}

/** Offset trimming: `use(trimOffsets)` on `@tfkit/tokenizers/core`. */
export const trimOffsets: TrimOffsetsFeature = { feature: 'trimOffsets', trim: trimEncodingOffsets };
