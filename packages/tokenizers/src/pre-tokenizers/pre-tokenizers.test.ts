import { describe, expect, it } from 'vitest';
import type { PreTokenizer } from './pre-tokenizers.js';
import { ByteLevelPreTokenizer } from './byte-level.js';
import { BertPreTokenizer, DigitsPreTokenizer, PreTokenizerSequence, SplitPreTokenizer, WhitespacePreTokenizer } from './pre-tokenizers.js';

function pieces(pre: PreTokenizer, text: string): string[] {
  const out: string[] = [];
  pre.split(text, 0, text.length, false, (s, e, prefix) => out.push((prefix ? '_' : '') + text.slice(s, e)));
  return out;
}

describe('pre-tokenizers', () => {
  it('Split: the five delimiter behaviours', () => {
    const text = 'the-final--countdown';
    const split = (behavior: string) => pieces(new SplitPreTokenizer({ String: '-' }, behavior as never), text);
    expect(split('removed')).toEqual(['the', 'final', 'countdown']);
    expect(split('isolated')).toEqual(['the', '-', 'final', '-', '-', 'countdown']);
    expect(split('merged_with_previous')).toEqual(['the-', 'final-', '-', 'countdown']);
    expect(split('merged_with_next')).toEqual(['the', '-final', '-', '-countdown']);
    expect(split('contiguous')).toEqual(['the', '-', 'final', '--', 'countdown']);
    expect(pieces(new SplitPreTokenizer({ Regex: '\\d+' }, 'removed', true), 'a12b345')).toEqual(['12', '345']);
  });

  it('ByteLevel: GPT-2 regex, optional prefix space', () => {
    expect(pieces(new ByteLevelPreTokenizer(), "Hello  world's 42!!")).toEqual(['Hello', ' ', ' world', "'s", ' 42', '!!']);
    expect(pieces(new ByteLevelPreTokenizer({ addPrefixSpace: true }), 'Hi there')).toEqual(['_Hi', ' there']);
    expect(pieces(new ByteLevelPreTokenizer({ useRegex: false }), 'a b')).toEqual(['a b']);
  });

  it('BERT: whitespace dropped, each punctuation character isolated (ASCII symbols included)', () => {
    expect(pieces(new BertPreTokenizer(), 'Hi,  you!!$5 «ok»')).toEqual(['Hi', ',', 'you', '!', '!', '$', '5', '«', 'ok', '»']);
  });

  it('Whitespace, Digits and Sequence', () => {
    expect(pieces(new WhitespacePreTokenizer(), "it's 3.14")).toEqual(['it', "'", 's', '3', '.', '14']);
    expect(pieces(new DigitsPreTokenizer(true), 'a123')).toEqual(['a', '1', '2', '3']);
    expect(pieces(new PreTokenizerSequence([new WhitespacePreTokenizer(), new DigitsPreTokenizer(false)]), 'x42y z')).toEqual(['x', '42', 'y', 'z']);
  });
});
