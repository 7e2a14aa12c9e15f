import { describe, expect, it } from 'vitest';
import {
  ForcedBOSTokenLogitsProcessor, ForcedEOSTokenLogitsProcessor, MinLengthLogitsProcessor, MinNewTokensLogitsProcessor, NoRepeatNGramLogitsProcessor, RepetitionPenaltyLogitsProcessor,
  TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper, softmax,
} from './logits-processors.js';

const rows = (...r: number[][]) => r.map((x) => Float32Array.from(x));
const kept = (row: Float32Array) => [...row.keys()].filter((i) => row[i] !== Number.NEGATIVE_INFINITY);

describe('RepetitionPenaltyLogitsProcessor (CTRL, as Hugging Face)', () => {
  it('divides positive and multiplies negative scores of tokens already present, once per distinct token', () => {
    const scores = rows([2, -2, 4, 1], [2, -2, 4, 1]);
    new RepetitionPenaltyLogitsProcessor(2).process([[0, 1, 1, 0], [3]], scores);
    expect([...(scores[0] as Float32Array)]).toEqual([1, -4, 4, 1]);
    expect([...(scores[1] as Float32Array)]).toEqual([2, -2, 4, 0.5]);
  });
  it('a penalty below 1 encourages repeats', () => {
    const scores = rows([2, -2]);
    new RepetitionPenaltyLogitsProcessor(0.5).process([[0, 1]], scores);
    expect([...(scores[0] as Float32Array)]).toEqual([4, -1]);
  });
});

describe('NoRepeatNGramLogitsProcessor', () => {
  it('bans the tokens that would complete an n-gram already in the row', () => {
    // Bigrams so far: (1,2) (2,3) (3,1) (1,2); the row ends in 2 → ban 3. Ends in 1 → ban 2.
    const scores = rows([0, 0, 0, 0, 0], [0, 0, 0, 0, 0]);
    new NoRepeatNGramLogitsProcessor(2).process([[1, 2, 3, 1, 2], [1, 2, 3, 1]], scores);
    expect(kept(scores[0] as Float32Array)).toEqual([0, 1, 2, 4]);
    expect(kept(scores[1] as Float32Array)).toEqual([0, 1, 3, 4]);
  });
  it('trigrams: the last two tokens select the banned continuations; nothing is banned before a full n-gram fits', () => {
    const scores = rows([0, 0, 0, 0, 0], [0, 0, 0, 0, 0]);
    new NoRepeatNGramLogitsProcessor(3).process([[4, 1, 2, 0, 1, 2, 3, 1, 2], [1]], scores);
    expect(kept(scores[0] as Float32Array)).toEqual([1, 2, 4]);
    expect(kept(scores[1] as Float32Array)).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('minimum length', () => {
  it('MinLength bans eos while the row (prefix included) is shorter than minLength', () => {
    const scores = rows([1, 1, 1], [1, 1, 1]);
    new MinLengthLogitsProcessor(3, [2, 0]).process([[5, 5], [5, 5, 5]], scores);
    expect(kept(scores[0] as Float32Array)).toEqual([1]);
    expect(kept(scores[1] as Float32Array)).toEqual([0, 1, 2]);
  });
  it('MinNewTokens counts only tokens after the prefix', () => {
    const scores = rows([1, 1, 1], [1, 1, 1]);
    new MinNewTokensLogitsProcessor(4, 2, [2]).process([[9, 9, 9, 9, 7], [9, 9, 9, 9, 7, 7]], scores);
    expect(kept(scores[0] as Float32Array)).toEqual([0, 1]);
    expect(kept(scores[1] as Float32Array)).toEqual([0, 1, 2]);
  });
});

describe('forced tokens (encoder-decoder generation)', () => {
  it('ForcedBOS leaves only bos (score 0) after a one-token prefix, and nothing later', () => {
    const scores = rows([1, 2, 3], [1, 2, 3]);
    new ForcedBOSTokenLogitsProcessor(0).process([[2], [2, 0]], scores);
    expect([...(scores[0] as Float32Array)]).toEqual([0, -Infinity, -Infinity]);
    expect([...(scores[1] as Float32Array)]).toEqual([1, 2, 3]);
  });
  it('ForcedEOS leaves only the eos ids when the next token is the last one maxLength allows', () => {
    const scores = rows([1, 2, 3, 4], [1, 2, 3, 4]);
    new ForcedEOSTokenLogitsProcessor(4, [1, 3]).process([[2, 0, 0], [2, 0]], scores);
    expect([...(scores[0] as Float32Array)]).toEqual([-Infinity, 0, -Infinity, 0]);
    expect([...(scores[1] as Float32Array)]).toEqual([1, 2, 3, 4]);
  });
});

describe('warpers', () => {
  it('temperature divides the logits', () => {
    const scores = rows([1, -2, 4]);
    new TemperatureLogitsWarper(0.5).process([[0]], scores);
    expect([...(scores[0] as Float32Array)]).toEqual([2, -4, 8]);
  });
  it('top-k keeps the k best, ties with the k-th included, and at least minTokensToKeep', () => {
    const scores = rows([0.1, 3, 2, 2, -1], [5, 4, 3, 2, 1]);
    new TopKLogitsWarper(2).process([[0], [0]], scores);
    expect(kept(scores[0] as Float32Array)).toEqual([1, 2, 3]);
    expect(kept(scores[1] as Float32Array)).toEqual([0, 1]);
    const wide = rows([5, 4, 3]);
    new TopKLogitsWarper(1, 2).process([[0]], wide);
    expect(kept(wide[0] as Float32Array)).toEqual([0, 1]);
  });
  it('top-p keeps the smallest most-likely set whose mass reaches p', () => {
    // probabilities 0.5, 0.3, 0.15, 0.05
    const probs = [0.05, 0.5, 0.15, 0.3];
    const make = () => rows(probs.map(Math.log));
    const at = (p: number, min = 1) => {
      const s = make();
      new TopPLogitsWarper(p, min).process([[0]], s);
      return kept(s[0] as Float32Array);
    };
    expect(at(0.7)).toEqual([1, 3]);
    expect(at(0.4)).toEqual([1]);
    expect(at(0.9)).toEqual([1, 2, 3]);
    expect(at(1 - 1e-9)).toEqual([0, 1, 2, 3]);
    expect(at(0.4, 3)).toEqual([1, 2, 3]);
    const survivors = softmax(make()[0] as Float32Array);
    expect(survivors[1]).toBeCloseTo(0.5, 6);
  });
});
