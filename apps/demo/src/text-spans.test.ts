import { describe, expect, it } from 'vitest';
import { displayPiece, formatRate, heatColor, meanOf, tokenSegments } from './text-spans.js';

describe('tokenSegments', () => {
  it('covers the text in order, with the gaps the tokens leave', () => {
    // "a bc" → tokens "a" [0,1] and "bc" [2,4]; the space between is uncovered.
    expect(tokenSegments(5, [[0, 1], [2, 4]])).toEqual([
      { start: 0, end: 1, tokens: [0] },
      { start: 1, end: 2, tokens: [] },
      { start: 2, end: 4, tokens: [1] },
      { start: 4, end: 5, tokens: [] },
    ]);
  });

  it('puts tokens that split one character (overlapping offsets) into one segment', () => {
    // "x🙂" where the emoji's four bytes became two tokens, both reporting [1,3].
    expect(tokenSegments(3, [[0, 1], [1, 3], [1, 3]])).toEqual([
      { start: 0, end: 1, tokens: [0] },
      { start: 1, end: 3, tokens: [1, 2] },
    ]);
  });

  it('skips tokens without characters (added special tokens)', () => {
    expect(tokenSegments(2, [[0, 0], [0, 2], [0, 0]])).toEqual([{ start: 0, end: 2, tokens: [1] }]);
    expect(tokenSegments(0, [])).toEqual([]);
  });
});

describe('display helpers', () => {
  it('shows byte-level space and newline marks', () => {
    expect(displayPiece('Ġwas')).toBe('␣was');
    expect(displayPiece('ĊĊ')).toBe('↵↵');
    expect(displayPiece('Emma')).toBe('Emma');
  });

  it('formats rates', () => {
    expect(formatRate(20, 400)).toBe('50.0 tokens/s');
    expect(formatRate(300, 1000)).toBe('300 tokens/s');
    expect(formatRate(0, 1000)).toBe('– tokens/s');
  });

  it('maps probabilities onto the colour ramp, clamped', () => {
    expect(heatColor(0, false)).toEqual([255, 255, 255]);
    expect(heatColor(1, false)).toEqual([20, 60, 170]);
    expect(heatColor(2, false)).toEqual(heatColor(1, false));
    expect(heatColor(0.25, true)).toEqual([72, 108, 144]);
  });

  it('averages maps element by element', () => {
    expect(Array.from(meanOf([new Float32Array([1, 0]), new Float32Array([0, 1])]))).toEqual([0.5, 0.5]);
  });
});
