import { describe, expect, it } from 'vitest';
import { spanCandidates } from './qa-spans.js';

const best = (c: { start: number; end: number; score: number }[]) => [...c].sort((a, b) => b.score - a.score)[0];

describe('spanCandidates', () => {
  it('enumerates start ≤ end within maxAnswerLength over allowed positions, by position', () => {
    const c = spanCandidates([1, 2, 3, 4], [10, 20, 30, 40], { maxAnswerLength: 2, allowed: (i) => i > 0 });
    expect(c).toEqual([
      { start: 1, end: 1, score: 22 }, { start: 1, end: 2, score: 32 },
      { start: 2, end: 2, score: 33 }, { start: 2, end: 3, score: 43 },
      { start: 3, end: 3, score: 44 },
    ]);
    expect(spanCandidates([0.5, 0.2], [0.1, 0.8], { maxAnswerLength: 5, combine: 'product' }).map((s) => s.score)).toEqual([0.05, 0.4, 0.2 * 0.8]);
  });

  it('nBest keeps the highest start and end positions only (Hugging Face n_best_size), in score order', () => {
    // The best sum 5 + 6 = 11 needs start 1 and end 3; with nBest 1 the only start is 0 (score 9)
    // and the only end is 0 (score 9): the span (0, 0).
    const starts = [9, 5, 1, 0];
    const ends = [9, 0, 1, 6];
    expect(best(spanCandidates(starts, ends, { maxAnswerLength: 30, allowed: (i) => i > 0 }))).toEqual({ start: 1, end: 3, score: 11 });
    expect(spanCandidates(starts, ends, { maxAnswerLength: 30, nBest: 1 })).toEqual([{ start: 0, end: 0, score: 18 }]);
    expect(spanCandidates(starts, ends, { maxAnswerLength: 30, nBest: 2 }).map((s) => [s.start, s.end])).toEqual([[0, 0], [0, 3], [1, 3]]);
    // Ties: the later position first.
    expect(spanCandidates([1, 1, 1], [0, 0, 5], { maxAnswerLength: 3, nBest: 2 }).map((s) => [s.start, s.end])).toEqual([[2, 2], [1, 2], [1, 1]]);
  });

  it('rejects bad lengths and options', () => {
    expect(() => spanCandidates([1, 2], [1], { maxAnswerLength: 3 })).toThrow(/2 start scores but 1 end scores/);
    expect(() => spanCandidates([1], [1], { maxAnswerLength: 0 })).toThrow(/maxAnswerLength must be a positive integer, got 0/);
    expect(() => spanCandidates([1], [1], { maxAnswerLength: 3, nBest: 1.5 })).toThrow(/nBest must be a positive integer/);
  });
});
