import { describe, expect, it } from 'vitest';
import { rougeL, rougeN, rougeScores, rougeTokens } from './rouge.js';

describe('ROUGE', () => {
  it('matches rouge_score’s documented example (target, prediction)', () => {
    // rouge_score README: scorer.score('The quick brown fox jumps over the lazy dog', 'The quick brown dog jumps on the log.')
    const target = 'The quick brown fox jumps over the lazy dog';
    const prediction = 'The quick brown dog jumps on the log.';
    const r1 = rougeN(prediction, target, 1);
    expect(r1.precision).toBeCloseTo(0.75, 12);
    expect(r1.recall).toBeCloseTo(0.6666666666666666, 12);
    expect(r1.f1).toBeCloseTo(0.7058823529411765, 12);
    const rl = rougeL(prediction, target);
    expect(rl.precision).toBeCloseTo(0.625, 12);
    expect(rl.recall).toBeCloseTo(0.5555555555555556, 12);
    expect(rl.f1).toBeCloseTo(0.5882352941176471, 12);
  });

  it('tokenizes as rouge_score: lower case, non-alphanumerics separate', () => {
    expect(rougeTokens("It's 3 p.m. — Émile's CAT!")).toEqual(['it', 's', '3', 'p', 'm', 'mile', 's', 'cat']);
  });

  it('ROUGE-2 clips repeated bigrams; LCS is a subsequence, not a substring; empty texts score 0', () => {
    expect(rougeN('a b a b a b', 'a b c', 2)).toEqual({ precision: 1 / 5, recall: 1 / 2, f1: (2 * (1 / 5) * (1 / 2)) / (1 / 5 + 1 / 2) });
    expect(rougeL('a x b y c', 'a b c').recall).toBe(1);
    expect(rougeL('', 'a b')).toEqual({ precision: 0, recall: 0, f1: 0 });
  });

  it('corpus scores are means of the pairs’ F-measures', () => {
    const s = rougeScores(['a b c', 'x y'], ['a b c', 'p q']);
    expect(s).toEqual({ rouge1: 0.5, rouge2: 0.5, rougeL: 0.5 });
    expect(() => rougeScores(['a'], [])).toThrow(RangeError);
  });
});
