/**
 * Decoders (Hugging Face tokenizers' `decoders`): turn a list of token strings back into text.
 * Each works on the whole list (`decodeChain`) so it can join or fuse tokens.
 */
import { TokenizerError } from '../errors.js';
import type { ComponentBuilders } from '../components.js';
import { At, fieldChar, fieldInt, fieldSteps } from '../json-reader.js';
import { cleanUpTokenization } from './cleanup.js';
import { compilePattern, patternToJSON, type PatternJson } from '../pattern.js';

export type DecoderJson = { type: string; [key: string]: unknown };
export { cleanUpTokenization } from './cleanup.js';

export interface Decoder {
  decodeChain(tokens: string[]): string[];
  toJSON(): DecoderJson;
}

/** Joins WordPiece tokens: `##` pieces glue to the previous token, others get a space. */
export class WordPieceDecoder implements Decoder {
  constructor(
    readonly prefix = '##',
    readonly cleanup = true,
  ) {}
  decodeChain(tokens: string[]): string[] {
    return tokens.map((token, i) => {
      let t = i === 0 ? token : token.startsWith(this.prefix) ? token.slice(this.prefix.length) : ` ${token}`;
      if (this.cleanup) t = cleanUpTokenization(t).replaceAll(' do not', " don't");
      return t;
    });
  }
  toJSON(): DecoderJson {
    return { type: 'WordPiece', prefix: this.prefix, cleanup: this.cleanup };
  }
}

/** Classic BPE with an end-of-word suffix (`</w>`): the suffix becomes a space. */
export class BpeDecoder implements Decoder {
  constructor(readonly suffix = '</w>') {}
  decodeChain(tokens: string[]): string[] {
    return tokens.map((t, i) => t.replaceAll(this.suffix, i === tokens.length - 1 ? '' : ' '));
  }
  toJSON(): DecoderJson {
    return { type: 'BPEDecoder', suffix: this.suffix };
  }
}

/** SentencePiece's `▁` back to spaces, dropping the one added in front of the first word. */
export class MetaspaceDecoder implements Decoder {
  constructor(
    readonly replacement = '\u2581',
    readonly prependScheme: 'always' | 'first' | 'never' = 'always',
    readonly split = true,
  ) {}
  decodeChain(tokens: string[]): string[] {
    return tokens.map((t, i) => {
      const text = t.replaceAll(this.replacement, ' ');
      return i === 0 && this.prependScheme !== 'never' && text.startsWith(' ') ? text.slice(1) : text;
    });
  }
  toJSON(): DecoderJson {
    return { type: 'Metaspace', replacement: this.replacement, prepend_scheme: this.prependScheme, split: this.split };
  }
}

export class ReplaceDecoder implements Decoder {
  private readonly regex: RegExp;
  /** `at` names the pattern in errors. */
  constructor(
    readonly pattern: PatternJson,
    readonly content: string,
    at = new At('Replace decoder', 'pattern'),
  ) {
    this.regex = compilePattern(pattern, at);
  }
  decodeChain(tokens: string[]): string[] {
    return tokens.map((t) => t.replace(this.regex, () => this.content));
  }
  toJSON(): DecoderJson {
    return { type: 'Replace', pattern: patternToJSON(this.pattern), content: this.content };
  }
}

/** Removes up to `start` / `stop` copies of `content` from each token's ends. */
export class StripDecoder implements Decoder {
  constructor(
    readonly content: string,
    readonly start: number,
    readonly stop: number,
  ) {
    if (content.length === 0) throw new TokenizerError('StripDecoder: content must not be empty.');
  }
  decodeChain(tokens: string[]): string[] {
    return tokens.map((t) => {
      let s = 0;
      let e = t.length;
      for (let k = 0; k < this.start && t.startsWith(this.content, s); k++) s += this.content.length;
      for (let k = 0; k < this.stop && e - this.content.length >= s && t.startsWith(this.content, e - this.content.length); k++) e -= this.content.length;
      return t.slice(s, e);
    });
  }
  toJSON(): DecoderJson {
    return { type: 'Strip', content: this.content, start: this.start, stop: this.stop };
  }
}

/** Joins every token into one string. */
export class FuseDecoder implements Decoder {
  decodeChain(tokens: string[]): string[] {
    return [tokens.join('')];
  }
  toJSON(): DecoderJson {
    return { type: 'Fuse' };
  }
}

/** Runs of `<0xXX>` byte tokens decoded as UTF-8 (invalid runs become one U+FFFD per byte). */
export class ByteFallbackDecoder implements Decoder {
  decodeChain(tokens: string[]): string[] {
    const out: string[] = [];
    let bytes: number[] = [];
    const flush = () => {
      if (bytes.length === 0) return;
      try {
        out.push(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(Uint8Array.from(bytes)));
      } catch {
        for (let k = 0; k < bytes.length; k++) out.push('\ufffd');
      }
      bytes = [];
    };
    for (const t of tokens) {
      const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(t);
      if (m) bytes.push(parseInt(m[1]!, 16));
      else {
        flush();
        out.push(t);
      }
    }
    flush();
    return out;
  }
  toJSON(): DecoderJson {
    return { type: 'ByteFallback' };
  }
}

export class DecoderSequence implements Decoder {
  constructor(readonly decoders: readonly Decoder[]) {}
  decodeChain(tokens: string[]): string[] {
    return this.decoders.reduce((t, d) => d.decodeChain(t), tokens);
  }
  toJSON(): DecoderJson {
    return { type: 'Sequence', decoders: this.decoders.map((d) => d.toJSON()) };
  }
}

/** The builders of every decoder type but ByteLevel (byte-level.ts), by tokenizer.json `type`. */
export const DECODERS: ComponentBuilders = {
  decoder: {
    WordPiece: (f) => new WordPieceDecoder(f.string('prefix', '##'), f.bool('cleanup', true)),
    BPEDecoder: (f) => new BpeDecoder(f.string('suffix', '</w>')),
    Metaspace: (f) => {
      const scheme = f.oneOf('prepend_scheme', ['always', 'first', 'never'], f.bool('add_prefix_space', true) ? 'always' : 'never');
      return new MetaspaceDecoder(fieldChar(f, 'replacement', '\u2581'), scheme, f.bool('split', true));
    },
    Replace: (f) => new ReplaceDecoder(f.get('pattern') as PatternJson, f.string('content', ''), f.where('pattern')),
    // One character, as in Hugging Face: an empty one would match forever.
    Strip: (f) => new StripDecoder(fieldChar(f, 'content', ' '), fieldInt(f, 'start', 0), fieldInt(f, 'stop', 0)),
    Fuse: () => new FuseDecoder(),
    ByteFallback: () => new ByteFallbackDecoder(),
    Sequence: (f, build) => new DecoderSequence(fieldSteps(f, 'decoders').map((step) => build(step) as Decoder)),
  },
};
