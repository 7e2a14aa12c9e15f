/** GPT-2's byte-level decoder, a module of its own so a page loads it without the other decoders. */
import { fromByteLevel } from '../byte-level.js';
import type { ComponentBuilders } from '../components.js';
import type { Decoder, DecoderJson } from './decoders.js';

/** Undoes GPT-2's byte map; invalid UTF-8 becomes U+FFFD. */
export class ByteLevelDecoder implements Decoder {
  constructor(
    readonly addPrefixSpace = true,
    readonly trimOffsets = true,
    readonly useRegex = true,
  ) {}
  decodeChain(tokens: string[]): string[] {
    return [fromByteLevel(tokens)];
  }
  toJSON(): DecoderJson {
    return { type: 'ByteLevel', add_prefix_space: this.addPrefixSpace, trim_offsets: this.trimOffsets, use_regex: this.useRegex };
  }
}

/** The `ByteLevel` decoder's builder. */
export const BYTE_LEVEL_DECODER: ComponentBuilders = {
  decoder: { ByteLevel: (f) => new ByteLevelDecoder(f.bool('add_prefix_space', true), f.bool('trim_offsets', true), f.bool('use_regex', true)) },
};
