import { describe, expect, it } from 'vitest';
import { accuracy, classificationMetrics, precisionRecallF1 } from './classification.js';
import { bioEntities, entityF1, nerMetrics } from './ner.js';
import { perplexity } from './perplexity.js';
import { bestSpan, exactMatch, squadMetrics, tokenF1 } from './qa.js';

describe('classification metrics (scikit-learn definitions)', () => {
  const y = [0, 0, 1, 1, 2, 2];
  const p = [0, 1, 1, 1, 0, 2];

  it('accuracy skips ignored labels', () => {
    expect(accuracy(p, y)).toBeCloseTo(4 / 6, 12);
    expect(accuracy([1, 0], [1, -100])).toBe(1);
  });

  it('macro, micro and weighted precision/recall/F1', () => {
    // per class: P = [1/2, 2/3, 1], R = [1/2, 1, 1/2], F1 = [1/2, 4/5, 2/3]
    const macro = precisionRecallF1(p, y, { average: 'macro' });
    expect(macro.precision).toBeCloseTo((1 / 2 + 2 / 3 + 1) / 3, 12);
    expect(macro.recall).toBeCloseTo((1 / 2 + 1 + 1 / 2) / 3, 12);
    expect(macro.f1).toBeCloseTo((1 / 2 + 4 / 5 + 2 / 3) / 3, 12);
    const micro = precisionRecallF1(p, y, { average: 'micro' });
    expect(micro.f1).toBeCloseTo(4 / 6, 12);
    const weighted = precisionRecallF1([0, 0, 0, 1], [0, 0, 0, 0], { average: 'weighted' });
    expect(weighted.recall).toBeCloseTo(0.75, 12);
  });

  it('classificationMetrics takes logits', () => {
    const m = classificationMetrics()({ predictions: [[2, 1], [0, 3], [1, 0]], labels: [0, 1, 1], loss: 0.5 });
    expect(m['accuracy']).toBeCloseTo(2 / 3, 12);
  });
});

describe('entity-level F1 (BIO, seqeval semantics)', () => {
  it('extracts entities, including I- without B-', () => {
    expect(bioEntities(['B-PER', 'I-PER', 'O', 'I-LOC', 'B-LOC', 'I-PER'])).toEqual([
      { type: 'PER', start: 0, end: 2 }, { type: 'LOC', start: 3, end: 4 }, { type: 'LOC', start: 4, end: 5 }, { type: 'PER', start: 5, end: 6 },
    ]);
  });

  it('counts an entity only when type and both boundaries match', () => {
    const gold = [['B-PER', 'I-PER', 'O', 'B-LOC'], ['B-ORG', 'O']];
    const pred = [['B-PER', 'O', 'O', 'B-LOC'], ['B-ORG', 'O']];
    const r = entityF1(pred, gold);
    expect(r.precision).toBeCloseTo(2 / 3, 12);
    expect(r.recall).toBeCloseTo(2 / 3, 12);
  });

  it('nerMetrics drops −100 positions', () => {
    const labels = ['O', 'B-PER', 'I-PER'];
    const logits = [[[0, 0, 9], [9, 0, 0], [0, 9, 0], [0, 0, 9]]]; // argmax: I-PER, O, B-PER, I-PER
    const m = nerMetrics(labels)({ predictions: logits, labels: [[-100, 0, 1, 2]], loss: undefined });
    expect(m['f1']).toBe(1);
  });
});

describe('QA metrics (SQuAD v1.1 script)', () => {
  it('normalises articles, punctuation and case', () => {
    expect(exactMatch('The Eiffel Tower!', 'eiffel tower')).toBe(1);
    expect(tokenF1('the big red barn', 'red barn')).toBeCloseTo(0.8, 12);
    expect(squadMetrics(['Paris', 'in 1889'], [['paris', 'Paris, France'], ['1889']])).toEqual({ exactMatch: 0.5, f1: (1 + 2 / 3) / 2 });
  });

  it('best span respects order, length and allowed positions', () => {
    expect(bestSpan([0, 5, 1, 0], [0, 0, 1, 6])).toEqual([1, 3]);
    expect(bestSpan([0, 5, 1, 0], [0, 0, 1, 6], { maxAnswerLength: 2 })).toEqual([2, 3]);
    expect(bestSpan([9, 5, 1, 0], [9, 0, 1, 6], { allowed: (i) => i > 0 })).toEqual([1, 3]);
  });

  it('perplexity is exp of the mean cross-entropy', () => {
    expect(perplexity(Math.log(20))).toBeCloseTo(20, 10);
  });
});
