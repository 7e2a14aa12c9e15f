import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createRegistry } from '@tfkit/core-tensor';
import { expectNoLeaks } from '@tfkit/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BertForTokenClassification } from '../bert-heads.js';
import { registerBert } from '../bert-register.js';
import { fixtureTokenizer, fixtureWithTokenizer } from '../test/fixture-models.js';
import type { BertModelInputs } from '../bert-modeling.js';
import { softmax, type PipelineModel } from './common.js';
import { loadPipeline } from './index.js';
import { TokenClassificationPipeline } from './token-classification.js';

const tokenizer = fixtureTokenizer();
const LABELS = ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC'];
const TEXT = 'bob smithing went to londoner .';
// Logits per token, chosen so the strategies disagree: "smithing" is I-PER by its first piece but
// O by its most confident one and on average; "londoner" is O by its first and most confident
// piece but B-LOC on average.
const ROWS: Record<string, number[]> = {
  bob: [0, 3, 0, 0, 0],
  smith: [0, 0, 2, 0, 0],
  '##ing': [5, 0, 0, 0, 0],
  london: [3, 0, 0, 2.4, 0],
  '##er': [-2, 0, 0, 1.4, 0],
};
const O_ROW = [3, 0, 0, 0, 0];

/** A model whose logits depend only on each token: it isolates the pipeline's aggregation. */
const tableModel: PipelineModel = {
  config: { id2label: Object.fromEntries(LABELS.map((l, i) => [i, l])), problemType: null, maxPositionEmbeddings: 64, vocabSize: 1000 },
  forward: (inputs: BertModelInputs) => ({
    logits: tf.tensor3d((inputs.inputIds as number[][]).map((row) => row.map((id) => ROWS[tokenizer.idToToken(id) ?? ''] ?? O_ROW))),
  }),
};
const p = (token: string, label: string) => softmax(ROWS[token] ?? O_ROW)[LABELS.indexOf(label)]!;

describe('token-classification aggregation strategies (Hugging Face semantics)', () => {
  const pipe = new TokenClassificationPipeline({ model: tableModel, tokenizer });

  it('none: one entry per labelled token with its offsets', async () => {
    expect(tokenizer.encode(TEXT).tokens).toEqual(['[CLS]', 'bob', 'smith', '##ing', 'went', 'to', 'london', '##er', '.', '[SEP]']);
    const out = await expectNoLeaks(() => pipe.call(TEXT));
    expect(out.map(({ score: _s, ...rest }) => rest)).toEqual([
      { entity: 'B-PER', index: 1, word: 'bob', start: 0, end: 3 },
      { entity: 'I-PER', index: 2, word: 'smith', start: 4, end: 9 },
      { entity: 'B-LOC', index: 7, word: 'er', start: 27, end: 29 },
    ]);
    expect(out[0]!.score).toBeCloseTo(p('bob', 'B-PER'), 6);
  });

  it('simple: merges B-/I- runs of tokens, averaging their scores', async () => {
    const out = await pipe.call(TEXT, { aggregationStrategy: 'simple' });
    expect(out.map(({ score: _s, ...rest }) => rest)).toEqual([
      { entityGroup: 'PER', word: 'bob smith', start: 0, end: 9 },
      { entityGroup: 'LOC', word: 'er', start: 27, end: 29 },
    ]);
    expect(out[0]!.score).toBeCloseTo((p('bob', 'B-PER') + p('smith', 'I-PER')) / 2, 6);
  });

  it('first / max / average label whole words before grouping', async () => {
    const groups = async (strategy: 'first' | 'max' | 'average') =>
      (await pipe.call(TEXT, { aggregationStrategy: strategy })).map((g) => [g.entityGroup, g.word, g.start, g.end]);
    expect(await groups('first')).toEqual([['PER', 'bob smithing', 0, 12]]);
    expect(await groups('max')).toEqual([['PER', 'bob', 0, 3]]);
    expect(await groups('average')).toEqual([['PER', 'bob', 0, 3], ['LOC', 'londoner', 21, 29]]);
    const [, loc] = await pipe.call(TEXT, { aggregationStrategy: 'average' });
    expect(loc!.score).toBeCloseTo((p('london', 'B-LOC') + p('##er', 'B-LOC')) / 2, 6);
  });

  it('ignoreLabels and unknown strategies', async () => {
    const everything = await pipe.call(TEXT, { ignoreLabels: [] });
    expect(everything).toHaveLength(8);
    await expect(pipe.call(TEXT, { aggregationStrategy: 'longest' as 'first' })).rejects.toThrow(/unknown aggregationStrategy/);
  });
});

describe('token-classification on the Hugging Face fixture model', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await fixtureWithTokenizer('bert-token-classification');
  });
  afterAll(() => fs.rmSync(path.dirname(dir), { recursive: true, force: true }));

  it('labels every token as the model does, with spans into the text', async () => {
    const pipe = await loadPipeline('token-classification', dir, { registry: registerBert(createRegistry()) });
    const text = 'Alice Jones walked to the old house in Paris.';
    const tokens = await expectNoLeaks(() => pipe.call(text));
    const enc = tokenizer.encode(text);
    const logits = tf.tidy(() => (pipe.model as BertForTokenClassification).forward({ inputIds: [enc.ids] }).logits.arraySync() as number[][][]);
    expect(tokens).toHaveLength(enc.length - 2); // the fixture's labels are LABEL_0…4, none of them "O"
    for (const t of tokens) {
      const probs = softmax(logits[0]![t.index]!);
      const best = probs.indexOf(Math.max(...probs));
      expect(t.entity).toBe(`LABEL_${best}`);
      expect(t.score).toBeCloseTo(probs[best]!, 5);
      expect(t.word).toBe(text.slice(t.start, t.end));
    }
    for (const strategy of ['simple', 'first', 'average', 'max'] as const) {
      const groups = await expectNoLeaks(() => pipe.call(text, { aggregationStrategy: strategy }));
      let last = 0;
      for (const g of groups) {
        expect(g.word).toBe(text.slice(g.start, g.end));
        expect(g.start).toBeGreaterThanOrEqual(last);
        last = g.end;
      }
    }
    pipe.dispose();
  });
});
