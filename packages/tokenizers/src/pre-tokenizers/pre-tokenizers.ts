/**
 * Pre-tokenizers (Hugging Face tokenizers' `pre_tokenizers`): split normalized text into the
 * words the model sees. They never change characters; ByteLevel's byte mapping happens when the
 * word is handed to the model, and its `add_prefix_space` is carried as a flag on the piece.
 */
import type { ComponentBuilders } from '../components.js';
import { At, fieldChar, fieldSteps } from '../json-reader.js';
import { compilePattern, patternToJSON, type PatternJson } from '../pattern.js';
import { isBertPunctuation, isNumeric } from '../unicode-classes.js';
import { isWhitespace } from '../unicode.js';
import { behaviorToJSON, charMatches, parseBehavior, regexMatches, splitByMatches, type EmitPiece, type SplitBehavior } from './split.js';

export type { EmitPiece, SplitBehavior } from './split.js';
export type PreTokenizerJson = { type: string; [key: string]: unknown };

export interface PreTokenizer {
  /**
   * Splits `text[start, end)` and emits the pieces in order. `atTextStart` says the range begins
   * at the very start of the input (Metaspace's `prepend_scheme: "first"` needs it).
   */
  split(text: string, start: number, end: number, prefixSpace: boolean, emit: EmitPiece, atTextStart?: boolean): void;
  toJSON(): PreTokenizerJson;
}

const ASCII_WS = new Uint8Array(128);
const ASCII_PUNCT = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  ASCII_WS[c] = isWhitespace(c) ? 1 : 0;
  ASCII_PUNCT[c] = isBertPunctuation(c) ? 1 : 0;
}

/** BERT's pre-tokenizer: split on whitespace (dropped) and around every punctuation character. */
export class BertPreTokenizer implements PreTokenizer {
  split(text: string, start: number, end: number, prefixSpace: boolean, emit: EmitPiece): void {
    let wordStart = -1;
    for (let i = start; i < end; ) {
      const c = text.charCodeAt(i);
      let ws: boolean;
      let punct: boolean;
      let len = 1;
      if (c < 128) {
        ws = ASCII_WS[c] === 1;
        punct = ASCII_PUNCT[c] === 1;
      } else {
        const cp = text.codePointAt(i)!;
        len = cp > 0xffff ? 2 : 1;
        ws = isWhitespace(cp);
        punct = !ws && isBertPunctuation(cp);
      }
      if (ws || punct) {
        if (wordStart >= 0) emit(wordStart, i, prefixSpace && wordStart === start);
        wordStart = -1;
        if (punct) emit(i, i + len, prefixSpace && i === start);
      } else if (wordStart < 0) wordStart = i;
      i += len;
    }
    if (wordStart >= 0) emit(wordStart, end, prefixSpace && wordStart === start);
  }
  toJSON(): PreTokenizerJson {
    return { type: 'BertPreTokenizer' };
  }
}

/** Words (`\w+`) and runs of other non-space characters. */
export class WhitespacePreTokenizer implements PreTokenizer {
  private readonly regex = /[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]+|[^\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/gu;
  split(text: string, start: number, end: number, prefixSpace: boolean, emit: EmitPiece): void {
    splitByMatches(start, end, prefixSpace, regexMatches(text, start, end, this.regex), 'removed', emit, true);
  }
  toJSON(): PreTokenizerJson {
    return { type: 'Whitespace' };
  }
}

/** Splits on whitespace, which is dropped. */
export class WhitespaceSplit implements PreTokenizer {
  split(text: string, start: number, end: number, prefixSpace: boolean, emit: EmitPiece): void {
    splitByMatches(start, end, prefixSpace, charMatches(text, start, end, isWhitespace), 'removed', emit);
  }
  toJSON(): PreTokenizerJson {
    return { type: 'WhitespaceSplit' };
  }
}

/** Splits on punctuation characters, each its own delimiter. */
export class PunctuationPreTokenizer implements PreTokenizer {
  constructor(readonly behavior: SplitBehavior = 'isolated') {}
  split(text: string, start: number, end: number, prefixSpace: boolean, emit: EmitPiece): void {
    splitByMatches(start, end, prefixSpace, charMatches(text, start, end, isBertPunctuation), this.behavior, emit);
  }
  toJSON(): PreTokenizerJson {
    return { type: 'Punctuation', behavior: behaviorToJSON(this.behavior) };
  }
}

/** Splits numbers from the rest; `individualDigits` makes each digit its own word. */
export class DigitsPreTokenizer implements PreTokenizer {
  constructor(readonly individualDigits = false) {}
  split(text: string, start: number, end: number, prefixSpace: boolean, emit: EmitPiece): void {
    splitByMatches(start, end, prefixSpace, charMatches(text, start, end, isNumeric), this.individualDigits ? 'isolated' : 'contiguous', emit);
  }
  toJSON(): PreTokenizerJson {
    return { type: 'Digits', individual_digits: this.individualDigits };
  }
}

/**
 * Splits on a literal or regex pattern with a delimiter behaviour; `invert` splits on the gaps.
 *
 * A regex runs on JavaScript's backtracking engine, over each piece the earlier steps leave (the
 * whole text when Split comes first), as Hugging Face runs it on Oniguruma. A pattern with nested
 * or overlapping quantifiers (`(a+)+$`, `(\w|\d)*x`) can take exponential time on some inputs:
 * load tokenizer.json files with Split or Replace regexes only from sources you trust, as you
 * would code. Input is not cut into chunks, because no cut point keeps every pattern's matches
 * unchanged (GPT-2's `\s+(?!\S)` looks past the cut; a text without spaces has none).
 */
export class SplitPreTokenizer implements PreTokenizer {
  private readonly regex: RegExp;
  /** `at` names the pattern in errors. */
  constructor(
    readonly pattern: PatternJson,
    readonly behavior: SplitBehavior,
    readonly invert = false,
    at = new At('Split pre-tokenizer', 'pattern'),
  ) {
    this.regex = compilePattern(pattern, at);
  }
  split(text: string, start: number, end: number, prefixSpace: boolean, emit: EmitPiece): void {
    splitByMatches(start, end, prefixSpace, regexMatches(text, start, end, this.regex), this.behavior, emit, this.invert);
  }
  toJSON(): PreTokenizerJson {
    return { type: 'Split', pattern: patternToJSON(this.pattern), behavior: behaviorToJSON(this.behavior), invert: this.invert };
  }
}

/** Splits on one delimiter character, which is dropped. */
export class CharDelimiterSplit implements PreTokenizer {
  private readonly code: number;
  constructor(readonly delimiter: string) {
    this.code = delimiter.codePointAt(0) ?? 0;
  }
  split(text: string, start: number, end: number, prefixSpace: boolean, emit: EmitPiece): void {
    splitByMatches(start, end, prefixSpace, charMatches(text, start, end, (cp) => cp === this.code), 'removed', emit);
  }
  toJSON(): PreTokenizerJson {
    return { type: 'CharDelimiterSplit', delimiter: this.delimiter };
  }
}

/**
 * SentencePiece-style spaces: every space becomes `replacement` (`▁`, applied when the word is
 * handed to the model), a `▁` is put in front of the text (`prepend_scheme` always / first /
 * never), and with `split` each word starts at its `▁`.
 */
export class MetaspacePreTokenizer implements PreTokenizer {
  constructor(
    readonly replacement = '\u2581',
    readonly prependScheme: 'always' | 'first' | 'never' = 'always',
    readonly splitWords = true,
  ) {}
  split(text: string, start: number, end: number, prefixSpace: boolean, emit: EmitPiece, atTextStart = true): void {
    if (end <= start) return;
    const first = text.charCodeAt(start);
    const startsWithSpace = first === 32 || text.startsWith(this.replacement, start);
    const prefix = prefixSpace || (!startsWithSpace && (this.prependScheme === 'always' || (this.prependScheme === 'first' && atTextStart)));
    if (!this.splitWords) {
      emit(start, end, prefix);
      return;
    }
    const rep = this.replacement.codePointAt(0);
    splitByMatches(start, end, prefix, charMatches(text, start, end, (cp) => cp === 32 || cp === rep), 'merged_with_next', emit);
  }
  toJSON(): PreTokenizerJson {
    return { type: 'Metaspace', replacement: this.replacement, prepend_scheme: this.prependScheme, split: this.splitWords };
  }
}

/** Applies pre-tokenizers one after the other, each to every piece of the previous one. */
export class PreTokenizerSequence implements PreTokenizer {
  constructor(readonly preTokenizers: readonly PreTokenizer[]) {}
  split(text: string, start: number, end: number, prefixSpace: boolean, emit: EmitPiece, atTextStart = true): void {
    const run = (k: number, s: number, e: number, p: boolean, atStart: boolean): void => {
      if (k === this.preTokenizers.length) emit(s, e, p);
      else this.preTokenizers[k]!.split(text, s, e, p, (s2, e2, p2) => run(k + 1, s2, e2, p2, atStart && s2 === s), atStart);
    };
    run(0, start, end, prefixSpace, atTextStart);
  }
  toJSON(): PreTokenizerJson {
    return { type: 'Sequence', pretokenizers: this.preTokenizers.map((p) => p.toJSON()) };
  }
}

/** The Metaspace step, whose replacement character stands for spaces in the model's words. */
export function findMetaspace(pre: PreTokenizer | null): MetaspacePreTokenizer | null {
  return find(pre, MetaspacePreTokenizer);
}

function find<T extends PreTokenizer>(pre: PreTokenizer | null, kind: new (...args: never[]) => T): T | null {
  if (pre instanceof kind) return pre;
  if (pre instanceof PreTokenizerSequence) {
    for (const p of pre.preTokenizers) {
      const found = find(p, kind);
      if (found) return found;
    }
  }
  return null;
}

/** The builders of every pre-tokenizer type but ByteLevel (byte-level.ts), by tokenizer.json `type`. */
export const PRE_TOKENIZERS: ComponentBuilders = {
  pre_tokenizer: {
    BertPreTokenizer: () => new BertPreTokenizer(),
    Whitespace: () => new WhitespacePreTokenizer(),
    WhitespaceSplit: () => new WhitespaceSplit(),
    Punctuation: (f) => new PunctuationPreTokenizer(parseBehavior(f.get('behavior'), 'isolated', f.where('behavior'))),
    Digits: (f) => new DigitsPreTokenizer(f.bool('individual_digits', false)),
    Split: (f) => new SplitPreTokenizer(f.get('pattern') as PatternJson, parseBehavior(f.get('behavior'), 'isolated', f.where('behavior')), f.bool('invert', false), f.where('pattern')),
    Metaspace: (f) => {
      const scheme = f.oneOf('prepend_scheme', ['always', 'first', 'never'], f.bool('add_prefix_space', true) ? 'always' : 'never');
      return new MetaspacePreTokenizer(fieldChar(f, 'replacement', '\u2581'), scheme, f.bool('split', true));
    },
    CharDelimiterSplit: (f) => new CharDelimiterSplit(fieldChar(f, 'delimiter', ' ')),
    Sequence: (f, build) => new PreTokenizerSequence(fieldSteps(f, 'pretokenizers').map((step) => build(step) as PreTokenizer)),
  },
};
