import { expectNoLeaks, fixturePath } from '@tfkit/test-utils';
import { Tokenizer } from '@tfkit/tokenizers';
import { beforeAll, describe, expect, it } from 'vitest';
import { alignLabelsWithTokens, DataCollatorForTokenClassification, tokenizeAndAlignLabels, tokenizeWords } from './token-classification.js';

// bert-base-uncased WordPiece: "unhappiness" → un ##ha ##pp ##iness, "U.S." → u . s . (four
// pre-tokenizer words, one input word), [CLS] = 101, [SEP] = 102.
let bert: Tokenizer;
beforeAll(async () => {
  bert = await Tokenizer.fromPretrained(fixturePath('tokenizers', 'bert-base-uncased'));
});

const X = -100;
const CONLL = ['O', 'B-PER', 'I-PER', 'B-ORG', 'I-ORG', 'B-LOC', 'I-LOC', 'B-MISC', 'I-MISC'];
const id = (l: string) => CONLL.indexOf(l);

describe('tokenizeWords / alignLabelsWithTokens', () => {
  it('one word per sub-token group; labels on first sub-tokens, −100 on the rest and on [CLS]/[SEP]', () => {
    const words = ['U.S.', 'unhappiness', 'grows'];
    const enc = tokenizeWords(bert, words);
    expect(enc.ids).toEqual([101, 1057, 1012, 1055, 1012, 4895, 3270, 9397, 9961, 7502, 102]);
    expect(enc.wordIds).toEqual([null, 0, 0, 0, 0, 1, 1, 1, 1, 2, null]);
    expect(alignLabelsWithTokens(enc, [id('B-LOC'), id('O'), id('O')])).toEqual([X, 5, X, X, X, 0, X, X, X, 0, X]);
    // Hugging Face's label_all_tokens, with run_ner's B- → I- for later sub-tokens.
    const all = alignLabelsWithTokens(enc, [id('B-LOC'), id('B-MISC'), id('O')], { labelAllTokens: true, continuationLabel: (l) => (CONLL[l]?.startsWith('B-') ? l + 1 : l) });
    expect(all).toEqual([X, 5, 6, 6, 6, 7, 8, 8, 8, 0, X]);
  });

  it('a CoNLL sentence (no word split) labels every word token', () => {
    const words = ['EU', 'rejects', 'German', 'call', 'to', 'boycott', 'British', 'lamb', '.'];
    const tags = ['B-ORG', 'O', 'B-MISC', 'O', 'O', 'O', 'B-MISC', 'O', 'O'].map(id);
    const f = tokenizeAndAlignLabels(bert, words, tags);
    expect(f.inputIds).toEqual([101, 7327, 19164, 2446, 2655, 2000, 17757, 2329, 12559, 1012, 102]);
    expect(f.labels).toEqual([X, 3, 0, 7, 0, 0, 0, 7, 0, 0, X]);
  });

  it('truncation keeps the alignment of what is left', () => {
    const f = tokenizeAndAlignLabels(bert, ['Peter', 'unhappiness'], [1, 0], { maxLength: 4 });
    // [CLS] peter un [SEP]
    expect(f.inputIds).toEqual([101, 2848, 4895, 102]);
    expect(f.labels).toEqual([X, 1, 0, X]);
  });

  it('only the chosen sequence of a pair is labelled; word ids are restarted per sequence', () => {
    const enc = bert.encode('new york', { textPair: 'paris' });
    expect(enc.wordIds).toEqual([null, 0, 1, null, 0, null]);
    expect(alignLabelsWithTokens(enc, [5, 6])).toEqual([X, 5, 6, X, X, X]);
    expect(alignLabelsWithTokens(enc, [5], { sequenceId: 1 })).toEqual([X, X, X, X, 5, X]);
  });

  it('errors name the word and the count', () => {
    const enc = tokenizeWords(bert, ['a', 'b', 'c']);
    expect(() => alignLabelsWithTokens(enc, [0, 0])).toThrow(/token 3 belongs to word 2, but 2 word labels were given/);
    expect(() => alignLabelsWithTokens(enc, [0, 0.5, 0])).toThrow(/label of word 1 is 0.5, not an integer class id/);
    expect(() => tokenizeAndAlignLabels(bert, ['a', 'b'], [0])).toThrow(/2 words but 1 labels/);
  });
});

describe('DataCollatorForTokenClassification', () => {
  it('pads ids, masks, segment ids and labels (−100 on padding); maps label names', async () => {
    const collate = new DataCollatorForTokenClassification({ tokenizer: bert, padTokenId: 0, labelToId: CONLL }).collate;
    await expectNoLeaks(() => {
      const batch = collate([
        { tokens: ['Peter', 'Blackburn'], ner_tags: ['B-PER', 'I-PER'] },
        { tokens: ['U.S.', 'unhappiness'], ner_tags: ['B-LOC', 'O'] },
      ]);
      expect(batch['inputIds']?.arraySync()).toEqual([
        [101, 2848, 13934, 102, 0, 0, 0, 0, 0, 0],
        [101, 1057, 1012, 1055, 1012, 4895, 3270, 9397, 9961, 102],
      ]);
      expect(batch['attentionMask']?.arraySync()).toEqual([[1, 1, 1, 1, 0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]]);
      expect(batch['tokenTypeIds']?.arraySync()).toEqual([[0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]);
      expect(batch['labels']?.arraySync()).toEqual([[X, 1, 2, X, X, X, X, X, X, X], [X, 5, X, X, X, 0, X, X, X, X]]);
      expect(batch['labels']?.dtype).toBe('int32');
      Object.values(batch).forEach((t) => t.dispose());
    });
  });

  it('columns, padToMultipleOf, unlabelled batches and bad examples', () => {
    const collate = new DataCollatorForTokenClassification({ tokenizer: bert, padTokenId: 0, wordsColumn: 'words', labelsColumn: 'tags', padToMultipleOf: 8, returnTokenTypeIds: false }).collate;
    const batch = collate([{ words: ['Peter'], tags: [1] }]);
    expect(batch['inputIds']?.arraySync()).toEqual([[101, 2848, 102, 0, 0, 0, 0, 0]]);
    expect(batch['labels']?.arraySync()).toEqual([[X, 1, X, X, X, X, X, X]]);
    expect(batch['tokenTypeIds']).toBeUndefined();
    Object.values(batch).forEach((t) => t.dispose());
    const unlabelled = collate([{ words: ['Peter'] }]);
    expect(unlabelled['labels']).toBeUndefined();
    Object.values(unlabelled).forEach((t) => t.dispose());
    expect(() => collate([{ text: 'Peter' }])).toThrow(/example 0 has no list of words in "words" \(fields: text\)/);
    expect(() => collate([{ words: ['a', 'b'], tags: [1] }])).toThrow(/example 0 has 2 words but 1 labels in "tags"/);
    expect(() => collate([{ words: ['a'], tags: ['B-PER'] }])).toThrow(/label "B-PER" is not an integer class id; pass labelToId/);
  });
});
