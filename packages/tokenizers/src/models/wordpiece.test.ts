import { describe, expect, it } from 'vitest';
import { parseVocabTxt, WordPiece } from './wordpiece.js';

describe('WordPiece', () => {
  const wp = new WordPiece(parseVocabTxt('[UNK]\nun\n##aff\n##able\naff\n##a\n😀\n##😀\n'), { maxInputCharsPerWord: 10 });

  it('matches the longest piece first, continuation pieces with ##', () => {
    expect(wp.tokenize('unaffable')).toEqual({ ids: [1, 2, 3], starts: [0, 2, 5], ends: [2, 5, 9] });
  });

  it('makes the whole word unknown when a part cannot match', () => {
    expect(wp.tokenize('unaffablez')).toEqual({ ids: [0], starts: [0], ends: [10] });
  });

  it('makes words longer than maxInputCharsPerWord (in characters) unknown', () => {
    expect(wp.tokenize('😀'.repeat(10)).ids).toEqual([6, 7, 7, 7, 7, 7, 7, 7, 7, 7]);
    expect(wp.tokenize('😀'.repeat(11)).ids).toEqual([0]);
  });

  it('needs its unknown token in the vocab', () => {
    expect(() => new WordPiece({ a: 0 })).toThrow(/unk_token "\[UNK\]" is not in the vocab/);
  });
});
