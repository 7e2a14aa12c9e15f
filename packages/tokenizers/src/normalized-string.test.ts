import { describe, expect, it } from 'vitest';
import { NormalizedString } from './normalized-string.js';
// The edit methods come with this module (the normalizers import it); core.test.ts checks the error without it.
import './normalized-string-edits.js';

const spans = (s: NormalizedString) => Array.from({ length: s.text.length }, (_, i) => [s.alignStart(i), s.alignEnd(i)]);

describe('NormalizedString', () => {
  it('keeps an identity alignment while lengths do not change', () => {
    const s = new NormalizedString('ABC');
    s.lowercase();
    expect(s.text).toBe('abc');
    expect(s.isIdentity).toBe(true);
  });

  it('aligns inserted and removed characters to their source', () => {
    const s = new NormalizedString('aİ\u0000b');
    s.mapChars((cp, ch) => (cp === 0 ? '' : ch));
    s.lowercase();
    expect(s.text).toBe('ai\u0307b');
    expect(spans(s)).toEqual([[0, 1], [1, 2], [1, 2], [3, 4]]);
    expect(s.originalRange(1, 3)).toEqual([1, 2]);
  });

  it('NFD aligns each decomposed character to its source; NFC aligns a composition to its first character', () => {
    const d = new NormalizedString('é😀');
    d.normalize('NFD');
    expect(d.text).toBe('e\u0301😀');
    expect(spans(d)).toEqual([[0, 1], [0, 1], [1, 3], [1, 3]]);
    const c = new NormalizedString('e\u0301x');
    c.normalize('NFC');
    expect(c.text).toBe('éx');
    expect(spans(c)).toEqual([[0, 1], [2, 3]]);
  });

  it('strips and replaces, replacements aligned to the last matched character', () => {
    const s = new NormalizedString('  abcab ');
    s.strip(true, true, (cp) => cp === 32);
    s.replace(/ab/g, 'xyz');
    expect(s.text).toBe('xyzcxyz');
    expect(spans(s)).toEqual([[3, 4], [3, 4], [3, 4], [4, 5], [6, 7], [6, 7], [6, 7]]);
  });
});
