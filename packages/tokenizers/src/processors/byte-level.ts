/** GPT-2's byte-level post-processor (offset trimming), a module of its own so a page loads it without the other post-processors. */
import type { ComponentBuilders } from '../components.js';
import type { EncodingData } from '../encoding.js';
import { need } from '../features.js';
import { cloneEncoding, type PostProcessor, type ProcessorJson, type TokenOf } from './post-process.js';

/** GPT-2's post-processor: adds nothing; optionally trims offsets off spaces. */
export class ByteLevelProcessor implements PostProcessor {
  constructor(
    readonly trimOffsets = true,
    readonly addPrefixSpace = true,
    readonly useRegex = true,
  ) {
    // Checked here, so that a file that trims fails as it loads, not at its first encode.
    if (trimOffsets) need('trimOffsets', 'ByteLevel post-processor: trim_offsets');
  }
  addedTokens(): number {
    return 0;
  }
  processEncodings(encodings: EncodingData[], _add: boolean, tokenOf: TokenOf): EncodingData[] {
    if (!this.trimOffsets) return encodings;
    return encodings.map((e) => {
      const c = cloneEncoding(e);
      need('trimOffsets', 'ByteLevel post-processor').trim(c, this.addPrefixSpace, tokenOf);
      return c;
    });
  }
  toJSON(): ProcessorJson {
    return { type: 'ByteLevel', add_prefix_space: this.addPrefixSpace, trim_offsets: this.trimOffsets, use_regex: this.useRegex };
  }
}

/** The `ByteLevel` post-processor's builder. */
export const BYTE_LEVEL_PROCESSOR: ComponentBuilders = {
  post_processor: { ByteLevel: (f) => new ByteLevelProcessor(f.bool('trim_offsets', true), f.bool('add_prefix_space', true), f.bool('use_regex', true)) },
};
