import { describe, expect, it } from 'vitest';
import { ByteLevelDecoder } from './byte-level.js';
import { ByteFallbackDecoder, DecoderSequence, FuseDecoder, MetaspaceDecoder, StripDecoder, WordPieceDecoder } from './decoders.js';

describe('decoders', () => {
  it('ByteLevel undoes the byte map, invalid UTF-8 becoming U+FFFD', () => {
    expect(new ByteLevelDecoder().decodeChain(['Hello', 'Ġw', 'Ã¶', 'rld'])).toEqual(['Hello wörld']);
    expect(new ByteLevelDecoder().decodeChain(['Ã'])).toEqual(['\ufffd']);
  });

  it('WordPiece glues ## pieces and cleans up spaces per token', () => {
    expect(new WordPieceDecoder().decodeChain(['un', '##aff', '##able', ',', 'yes', '.']).join('')).toBe('unaffable, yes.');
    expect(new WordPieceDecoder('##', false).decodeChain(['a', ',']).join('')).toBe('a ,');
  });

  it('byte fallback, metaspace, strip, fuse, sequence', () => {
    expect(new ByteFallbackDecoder().decodeChain(['a', '<0xC3>', '<0xA9>', 'b'])).toEqual(['a', 'é', 'b']);
    // As in Hugging Face: a run that is not valid UTF-8 becomes one U+FFFD per byte.
    expect(new ByteFallbackDecoder().decodeChain(['<0xC3>', '<0xFF>'])).toEqual(['\ufffd', '\ufffd']);
    expect(new MetaspaceDecoder().decodeChain(['▁Hello', '▁world']).join('')).toBe('Hello world');
    expect(new StripDecoder(' ', 1, 0).decodeChain(['  a'])).toEqual([' a']);
    expect(new DecoderSequence([new ByteFallbackDecoder(), new FuseDecoder()]).decodeChain(['<0x61>', 'b'])).toEqual(['ab']);
  });
});
