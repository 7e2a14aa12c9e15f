import { expectNoLeaks, fixturePath } from '@tfkit/test-utils';
import { Tokenizer } from '@tfkit/tokenizers';
import { beforeAll, describe, expect, it } from 'vitest';
import { DataCollatorForQuestionAnswering, postprocessQaPredictions, prepareQaTrainFeatures, type QaFeature } from './question-answering.js';

let bert: Tokenizer;
beforeAll(async () => {
  bert = await Tokenizer.fromPretrained(fixturePath('tokenizers', 'bert-base-uncased'));
});

// With maxLength 16 the question "who wrote it ?" (4 tokens) and [CLS]/[SEP]/[SEP] leave 9 context
// tokens a window; stride 3 → windows of context tokens 0–8 and 6–14 (15 in all):
//   window 0: [CLS] who wrote it ? [SEP] the novel persuasion was written by jane austen in [SEP]
//   window 1: [CLS] who wrote it ? [SEP] jane austen in 1816 and published in 1817 . [SEP]
// Context tokens sit at positions 6–14 in both.
const question = 'Who wrote it?';
const context = 'The novel Persuasion was written by Jane Austen in 1816 and published in 1817.';
const at = (text: string, from = 0) => ({ text: [text], answer_start: [context.indexOf(text, from)] });
const opts = { maxLength: 16, stride: 3 };

describe('prepareQaTrainFeatures', () => {
  it('maps a character answer span to token positions in every window that holds it, CLS elsewhere', () => {
    const features = prepareQaTrainFeatures(bert, [
      { question, context, answers: at('Jane Austen') },
      { question, context, answers: at('1817') },
      { question, context, answers: at('published in 1817.') },
    ], opts);
    expect(features.map((f) => [f.exampleIndex, f.startPosition, f.endPosition])).toEqual([
      [0, 12, 13], [0, 6, 7], // jane austen in both windows
      [1, 0, 0], [1, 13, 13], // 1817 only in the second
      [2, 0, 0], [2, 11, 14],
    ]);
    const [w0, w1] = features as [QaFeature, QaFeature];
    expect(w0.inputIds.slice(0, 6)).toEqual([101, 2040, 2626, 2009, 1029, 102]);
    expect(w0.tokenTypeIds).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    // Offsets are kept for context tokens only (for evaluation), null elsewhere.
    expect(w0.offsets.slice(5, 9)).toEqual([null, [0, 3], [4, 9], [10, 20]]);
    expect(w1.offsets[6]).toEqual([36, 40]);
    expect(w1.offsets[15]).toBeNull();
  });

  it('an answer starting on the last context token of a window stays on it (not [SEP])', () => {
    // "in" at 48 is context token 8: the last of window 0 (position 14), position 8 of window 1.
    const f = prepareQaTrainFeatures(bert, [{ question, context, answers: at('in') }], opts);
    expect(f.map((x) => [x.startPosition, x.endPosition])).toEqual([[14, 14], [8, 8]]);
    // A mid-word answer maps to the tokens that hold it.
    const part = prepareQaTrainFeatures(bert, [{ question, context, answers: { text: ['ovel Pers'], answer_start: [5] } }], opts);
    expect([part[0]?.startPosition, part[0]?.endPosition]).toEqual([7, 8]);
  });

  it('no answer → CLS; leading spaces of the question are dropped; context-first order', () => {
    const none = prepareQaTrainFeatures(bert, [{ question, context, answers: { text: [], answer_start: [] } }, { question, context }], opts);
    expect(none.map((f) => [f.startPosition, f.endPosition])).toEqual([[0, 0], [0, 0], [0, 0], [0, 0]]);
    const spaced = prepareQaTrainFeatures(bert, [{ question: `   ${question}`, context, answers: at('Jane Austen') }], opts);
    expect(spaced[0]?.inputIds).toEqual(prepareQaTrainFeatures(bert, [{ question, context, answers: at('Jane Austen') }], opts)[0]?.inputIds);
    // [CLS] the novel persuasion was written by jane austen … [SEP] who wrote it ? [SEP]
    const contextFirst = prepareQaTrainFeatures(bert, [{ q: question, c: context, a: at('Jane Austen') }], { maxLength: 64, questionColumn: 'q', contextColumn: 'c', answersColumn: 'a', questionFirst: false });
    expect(contextFirst.map((f) => [f.startPosition, f.endPosition])).toEqual([[7, 8]]);
    expect(contextFirst[0]?.offsets[1]).toEqual([0, 3]);
  });

  it('reads answer_start counted in code points (Python) as well as UTF-16 units', () => {
    const ctx = '😀 Jane Austen wrote it.';
    const utf16 = prepareQaTrainFeatures(bert, [{ question, context: ctx, answers: { text: ['Jane Austen'], answerStart: [3] } }], { maxLength: 32, stride: 4 });
    const python = prepareQaTrainFeatures(bert, [{ question, context: ctx, answers: { text: ['Jane Austen'], answer_start: [2] } }], { maxLength: 32, stride: 4 });
    expect(python).toEqual(utf16);
    expect(bert.decode(utf16[0]!.inputIds.slice(utf16[0]!.startPosition, utf16[0]!.endPosition + 1))).toBe('jane austen');
  });

  it('errors say which example and what to fix', () => {
    expect(() => prepareQaTrainFeatures(bert, [{ question, context, answers: { text: ['Austen'], answer_start: [3] } }], opts)).toThrow(/example 0: the answer "Austen" is not at answer_start 3 of the context \(found " novel"\)/);
    expect(() => prepareQaTrainFeatures(bert, [{ question, context, answers: ['Austen'] }], opts)).toThrow(/answers must be \{ text: string\[\], answer_start: number\[\] \}/);
    expect(() => prepareQaTrainFeatures(bert, [{ question }], opts)).toThrow(/example 0 has no string field "context"/);
    expect(() => prepareQaTrainFeatures(bert, [{ question, context }], { maxLength: 16, stride: 9 })).toThrow(/example 0: .*stride/);
  });
});

describe('DataCollatorForQuestionAnswering', () => {
  it('pads features and stacks start/end positions', async () => {
    const features = prepareQaTrainFeatures(bert, [{ question, context: 'Jane Austen.', answers: { text: ['Austen'], answer_start: [5] } }, { question, context, answers: at('1817') }], opts);
    const collate = new DataCollatorForQuestionAnswering({ padTokenId: 0 }).collate;
    await expectNoLeaks(() => {
      const batch = collate([features[0]!, features[2]!]);
      expect(batch['inputIds']?.shape).toEqual([2, 16]);
      // [CLS] who wrote it ? [SEP] jane austen . [SEP] + padding
      expect((batch['inputIds']?.arraySync() as number[][])[0]).toEqual([101, 2040, 2626, 2009, 1029, 102, 4869, 24177, 1012, 102, 0, 0, 0, 0, 0, 0]);
      expect((batch['attentionMask']?.arraySync() as number[][])[0]).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
      expect((batch['tokenTypeIds']?.arraySync() as number[][])[0]).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
      expect(batch['startPositions']?.arraySync()).toEqual([7, 13]);
      expect(batch['endPositions']?.arraySync()).toEqual([7, 13]);
      Object.values(batch).forEach((t) => t.dispose());
    });
  });
});

describe('postprocessQaPredictions', () => {
  // Logits for the two windows of one example, padded to 18 columns as a batch would be. Large
  // values on a question token (1) and on padding (16, 17) must never be picked.
  function logits(entries: Record<number, number>): number[] {
    const row = new Array<number>(18).fill(0);
    for (const [k, v] of Object.entries(entries)) row[Number(k)] = v;
    return row;
  }
  const starts = [logits({ 0: 1, 1: 10, 8: 2, 12: 5, 16: 50 }), logits({ 0: -1, 6: 3, 13: 4 })];
  const ends = [logits({ 0: 1, 1: 10, 9: 3, 13: 4, 17: 50 }), logits({ 0: -1, 7: 3, 13: 2.5 })];
  let features: QaFeature[];
  beforeAll(() => {
    features = prepareQaTrainFeatures(bert, [{ question, context }], opts);
  });

  it('n-best spans over both windows, scored start + end logit, softmaxed (Hugging Face postprocess_qa_predictions)', () => {
    // nBestSize 3 → window 0: starts {16, 1, 12} × ends {17, 1, 13}: only (12, 13) = 9 ("persuasion
    // was" = 5 is not among the top starts). Window 1: starts {13, 6, 17} (ties: later first) ×
    // ends {7, 13, 17}: (13,13) 6.5, (6,7) 6, (6,13) 5.5. Best 3: 9, 6.5, 6.
    const [out] = postprocessQaPredictions([{ question, context }], features, starts, ends, { nBestSize: 3 });
    expect(out?.prediction).toBe('Jane Austen');
    expect(out?.nBest.map((p) => [p.text, p.score, p.start, p.end])).toEqual([['Jane Austen', 9, 36, 47], ['1817', 6.5, 73, 77], ['Jane Austen', 6, 36, 47]]);
    const z = 1 + Math.exp(-2.5) + Math.exp(-3);
    out?.nBest.forEach((p, i) => expect(p.probability).toBeCloseTo([1 / z, Math.exp(-2.5) / z, Math.exp(-3) / z][i] as number, 12));
    // maxAnswerLength 1 leaves one-token spans: "1817".
    expect(postprocessQaPredictions([{ question, context }], features, starts, ends, { nBestSize: 3, maxAnswerLength: 1 })[0]?.prediction).toBe('1817');
    // With every position a candidate, window 0 adds (8, 13) = 2 + 4 and window 1 its long span
    // (6, 13) = 3 + 2.5; equal scores keep window order.
    const all = postprocessQaPredictions([{ question, context }], features, starts, ends, { nBestSize: 20 })[0]?.nBest.slice(0, 5);
    expect(all?.map((p) => [p.text, p.score])).toEqual([
      ['Jane Austen', 9], ['1817', 6.5], ['Persuasion was written by Jane Austen', 6], ['Jane Austen', 6], ['Jane Austen in 1816 and published in 1817', 5.5],
    ]);
  });

  it('SQuAD v2: the null answer is the smallest CLS score over windows and wins above the threshold', () => {
    const [v2] = postprocessQaPredictions([{ question, context }], features, starts, ends, { nBestSize: 3, allowNoAnswer: true });
    // Null score min(1 + 1, −1 − 1) = −2, appended after the top 3; diff −2 − 9 = −11.
    expect(v2?.nBest.map((p) => [p.text, p.score])).toEqual([['Jane Austen', 9], ['1817', 6.5], ['Jane Austen', 6], ['', -2]]);
    expect(v2?.nullScoreDiff).toBe(-11);
    expect(v2?.prediction).toBe('Jane Austen');
    expect(postprocessQaPredictions([{ question, context }], features, starts, ends, { nBestSize: 3, allowNoAnswer: true, nullScoreDiffThreshold: -12 })[0]?.prediction).toBe('');
  });

  it('no qualifying span gives an empty answer; mismatched inputs are errors', () => {
    const flat = features.map(() => new Array<number>(18).fill(0));
    const [none] = postprocessQaPredictions([{ question, context }], features, flat, flat, { nBestSize: 1 });
    // nBestSize 1: the only start and end are the last padding position → nothing allowed.
    expect(none?.prediction).toBe('');
    expect(() => postprocessQaPredictions([{ question, context }], features, [flat[0]!], flat)).toThrow(/2 features but 1 start and 2 end logit rows/);
    expect(() => postprocessQaPredictions([], features, flat, flat)).toThrow(/feature 0 belongs to example 0, but 0 examples were given/);
  });
});
