/**
 * Normalizers (Hugging Face tokenizers' `normalizers`): each edits a NormalizedString in place,
 * keeping the alignment to the original text.
 */
import type { NormalizedString } from '../normalized-string.js';
import * as edit from '../normalized-string-edits.js';
import { isChineseChar, isControl, isNonspacingMark } from '../unicode-classes.js';
import { isWhitespace } from '../unicode.js';
import { componentFromJSON, registerComponents, type ComponentBuilders } from '../components.js';
import { At, fieldSteps } from '../json-reader.js';
import { compilePattern, patternToJSON, type PatternJson } from '../pattern.js';

export type NormalizerJson = { type: string; [key: string]: unknown };

export interface Normalizer {
  normalize(s: NormalizedString): void;
  toJSON(): NormalizerJson;
}

export interface BertNormalizerOptions {
  /** Remove control characters and turn every kind of whitespace into a plain space. */
  cleanText?: boolean;
  /** Put spaces around CJK ideographs so each becomes a word. */
  handleChineseChars?: boolean;
  /** Remove accents (NFD, then drop non-spacing marks); `null` follows `lowercase`. */
  stripAccents?: boolean | null;
  lowercase?: boolean;
}

/** BERT's normalizer (Devlin et al. 2019; google-research/bert tokenization.py BasicTokenizer). */
export class BertNormalizer implements Normalizer {
  readonly cleanText: boolean;
  readonly handleChineseChars: boolean;
  readonly stripAccents: boolean | null;
  readonly lowercase: boolean;

  constructor(options: BertNormalizerOptions = {}) {
    this.cleanText = options.cleanText ?? true;
    this.handleChineseChars = options.handleChineseChars ?? true;
    this.stripAccents = options.stripAccents ?? null;
    this.lowercase = options.lowercase ?? true;
  }

  normalize(s: NormalizedString): void {
    const stripAccents = this.stripAccents ?? this.lowercase;
    if (this.asciiFastPath(s)) return;
    if (this.cleanText || this.handleChineseChars) {
      edit.mapChars(s, (cp, ch) => {
        if (this.cleanText) {
          if (cp === 0 || cp === 0xfffd || isControl(cp)) return '';
          if (isWhitespace(cp)) return ' ';
        }
        if (this.handleChineseChars && isChineseChar(cp)) return ` ${ch} `;
        return ch;
      });
    }
    if (stripAccents) {
      edit.normalize(s, 'NFD');
      edit.mapChars(s, (cp, ch) => (isNonspacingMark(cp) ? '' : ch));
    }
    if (this.lowercase) edit.lowercase(s);
  }

  /** Pure ASCII without control characters: whitespace → space and lowercase keep the alignment. */
  private asciiFastPath(s: NormalizedString): boolean {
    const text = s.text;
    let hasSpaceControl = false;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x80 || c === 0x7f || c === 0) return false;
      if (c < 0x20) {
        if (c !== 9 && c !== 10 && c !== 13) {
          if (this.cleanText) return false;
        } else hasSpaceControl = true;
      }
    }
    let out = this.cleanText && hasSpaceControl ? text.replace(/[\t\n\r]/g, ' ') : text;
    if (this.lowercase) out = out.toLowerCase();
    s.text = out;
    return true;
  }

  toJSON(): NormalizerJson {
    return {
      type: 'BertNormalizer',
      clean_text: this.cleanText,
      handle_chinese_chars: this.handleChineseChars,
      strip_accents: this.stripAccents,
      lowercase: this.lowercase,
    };
  }
}

export class Lowercase implements Normalizer {
  normalize(s: NormalizedString): void {
    edit.lowercase(s);
  }
  toJSON(): NormalizerJson {
    return { type: 'Lowercase' };
  }
}

export class UnicodeNormalizer implements Normalizer {
  constructor(readonly form: 'NFC' | 'NFD' | 'NFKC' | 'NFKD') {}
  normalize(s: NormalizedString): void {
    edit.normalize(s, this.form);
  }
  toJSON(): NormalizerJson {
    return { type: this.form };
  }
}

/** Removes leading and/or trailing whitespace. */
export class Strip implements Normalizer {
  constructor(
    readonly left = true,
    readonly right = true,
  ) {}
  normalize(s: NormalizedString): void {
    edit.strip(s, this.left, this.right, isWhitespace);
  }
  toJSON(): NormalizerJson {
    return { type: 'Strip', strip_left: this.left, strip_right: this.right };
  }
}

/** Removes non-spacing marks (use after NFD / NFKD). */
export class StripAccents implements Normalizer {
  normalize(s: NormalizedString): void {
    edit.mapChars(s, (cp, ch) => (isNonspacingMark(cp) ? '' : ch));
  }
  toJSON(): NormalizerJson {
    return { type: 'StripAccents' };
  }
}

/** Replaces a literal string or a regex by `content`. */
export class Replace implements Normalizer {
  private readonly regex: RegExp;
  /** `at` names the pattern in errors. */
  constructor(
    readonly pattern: PatternJson,
    readonly content: string,
    at = new At('Replace normalizer', 'pattern'),
  ) {
    this.regex = compilePattern(pattern, at);
  }
  normalize(s: NormalizedString): void {
    edit.replace(s, this.regex, this.content);
  }
  toJSON(): NormalizerJson {
    return { type: 'Replace', pattern: patternToJSON(this.pattern), content: this.content };
  }
}

/** Puts a string in front of non-empty text (SentencePiece-style `▁`). */
export class Prepend implements Normalizer {
  constructor(readonly prefix: string) {}
  normalize(s: NormalizedString): void {
    edit.prepend(s, this.prefix);
  }
  toJSON(): NormalizerJson {
    return { type: 'Prepend', prepend: this.prefix };
  }
}

export class NormalizerSequence implements Normalizer {
  constructor(readonly normalizers: readonly Normalizer[]) {}
  normalize(s: NormalizedString): void {
    for (const n of this.normalizers) n.normalize(s);
  }
  toJSON(): NormalizerJson {
    return { type: 'Sequence', normalizers: this.normalizers.map((n) => n.toJSON()) };
  }
}

/** The builders of every normalizer type, by tokenizer.json `type`. */
export const NORMALIZERS: ComponentBuilders = {
  normalizer: {
    BertNormalizer: (f) =>
      new BertNormalizer({
        cleanText: f.bool('clean_text', true),
        handleChineseChars: f.bool('handle_chinese_chars', true),
        stripAccents: f.get('strip_accents') == null ? null : f.bool('strip_accents'),
        lowercase: f.bool('lowercase', true),
      }),
    Lowercase: () => new Lowercase(),
    NFC: () => new UnicodeNormalizer('NFC'),
    NFD: () => new UnicodeNormalizer('NFD'),
    NFKC: () => new UnicodeNormalizer('NFKC'),
    NFKD: () => new UnicodeNormalizer('NFKD'),
    Strip: (f) => new Strip(f.bool('strip_left', true), f.bool('strip_right', true)),
    StripAccents: () => new StripAccents(),
    Replace: (f) => new Replace(f.get('pattern') as PatternJson, f.string('content', ''), f.where('pattern')),
    Prepend: (f) => new Prepend(f.string('prepend', '')),
    Sequence: (f, build) => new NormalizerSequence(fieldSteps(f, 'normalizers').map((step) => build(step) as Normalizer)),
  },
};

/**
 * Builds a normalizer from its tokenizer.json entry (`null`: none); `at` is where it sits, for
 * error messages. Registers every normalizer type first.
 */
export function normalizerFromJSON(json: unknown, at = new At('tokenizer.json', 'normalizer')): Normalizer | null {
  registerComponents(NORMALIZERS);
  return componentFromJSON<Normalizer>('normalizer', json, at);
}
