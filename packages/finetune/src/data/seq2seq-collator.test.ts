import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeaks } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { FinetuneError } from '../errors.js';
import type { Batch, TokenizerLike } from './collator.js';
import { DataCollatorForSeq2Seq, shiftTokensRight } from './seq2seq-collator.js';

const arrays = (batch: Batch) => Object.fromEntries(Object.entries(batch).map(([k, t]) => [k, t.arraySync()]));
const collect = (collator: DataCollatorForSeq2Seq, examples: Record<string, unknown>[]) => {
  const batch = collator.collate(examples);
  const out = arrays(batch);
  tf.dispose(Object.values(batch));
  return out;
};

describe('DataCollatorForSeq2Seq', () => {
  it('token ids: labels padded with −100, decoder inputs shifted right behind the start token, masks (worked by hand)', async () => {
    // BART's conventions: pad 1, decoder start = eos 2.
    const collator = new DataCollatorForSeq2Seq({ model: { config: { padTokenId: 1, decoderStartTokenId: 2 } }, returnDecoderAttentionMask: true });
    await expectNoLeaks(() => {
      expect(collect(collator, [
        { source: [0, 8, 9, 2], target: [0, 5, 6, 7, 2] },
        { source: [0, 4, 2], target: [0, 3, 2] },
      ])).toEqual({
        inputIds: [[0, 8, 9, 2], [0, 4, 2, 1]],
        attentionMask: [[1, 1, 1, 1], [1, 1, 1, 0]],
        labels: [[0, 5, 6, 7, 2], [0, 3, 2, -100, -100]],
        decoderInputIds: [[2, 0, 5, 6, 7], [2, 0, 3, 2, 1]],
        decoderAttentionMask: [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]],
      });
    });
  });

  it('explicit tokens win over the model’s; pad as decoder start (Marian); padding to a multiple; no decoder mask by default', () => {
    const collator = new DataCollatorForSeq2Seq({ model: { config: { padTokenId: 1, decoderStartTokenId: 2 } }, padTokenId: 0, decoderStartTokenId: 0, padToMultipleOf: 4 });
    expect(collect(collator, [{ source: [5, 6, 3], target: [7, 3] }, { source: [9, 3], target: [8, 8, 8, 8, 3] }])).toEqual({
      inputIds: [[5, 6, 3, 0], [9, 3, 0, 0]],
      attentionMask: [[1, 1, 1, 0], [1, 1, 0, 0]],
      labels: [[7, 3, -100, -100, -100, -100, -100, -100], [8, 8, 8, 8, 3, -100, -100, -100]],
      decoderInputIds: [[0, 7, 3, 0, 0, 0, 0, 0], [0, 8, 8, 8, 8, 3, 0, 0]],
    });
  });

  it('text through the tokenizer, a separate target tokenizer (separate vocabularies), and unlabelled batches', () => {
    const source: TokenizerLike = { encode: (text) => ({ ids: [...text.split(' ').map((w) => w.length + 10), 2] }) };
    const target: TokenizerLike = { encode: (text) => ({ ids: [...[...text].map((ch) => ch.charCodeAt(0) - 90), 2] }) };
    const collator = new DataCollatorForSeq2Seq({ padTokenId: 0, decoderStartTokenId: 1, tokenizer: source, targetTokenizer: target, sourceColumn: 'en', targetColumn: 'xx' });
    expect(collect(collator, [{ en: 'a bb', xx: 'ab' }, { en: 'ccc', xx: 'c' }])).toEqual({
      inputIds: [[11, 12, 2], [13, 2, 0]],
      attentionMask: [[1, 1, 1], [1, 1, 0]],
      labels: [[7, 8, 2], [9, 2, -100]],
      decoderInputIds: [[1, 7, 8], [1, 9, 2]],
    });
    expect(collect(collator, [{ en: 'a' }])).toEqual({ inputIds: [[11, 2]], attentionMask: [[1, 1]] });
  });

  it('shiftTokensRight is Hugging Face’s shift_tokens_right (−100 → pad)', () => {
    expect(shiftTokensRight([[5, 6, -100, -100], [7, -100, -100, 9]], 1, 2)).toEqual([[2, 5, 6, 1], [2, 7, 1, 1]]);
    expect(shiftTokensRight([[4]], 0, 3)).toEqual([[3]]);
  });

  it('typed errors name the example and the field, and leave no tensors behind', async () => {
    expect(() => new DataCollatorForSeq2Seq({})).toThrow(/give padTokenId or a model whose config has padTokenId/);
    expect(() => new DataCollatorForSeq2Seq({ padTokenId: 0, decoderStartTokenId: -1 })).toThrow(/decoderStartTokenId must be a non-negative integer/);
    const collator = new DataCollatorForSeq2Seq({ padTokenId: 0, decoderStartTokenId: 1 });
    await expectNoLeaks(() => {
      expect(() => collator.collate([{ source: 'text', target: [1] }])).toThrow(/example 0 has text in "source"; pass a tokenizer/);
      expect(() => collator.collate([{ source: [3], target: [4] }, { src: [3] }])).toThrow(/example 1 has no "source"/);
      expect(() => collator.collate([{ source: [3], target: [4] }, { source: [3] }])).toThrow(/1 of 2 examples have no "target"/);
      expect(() => collator.collate([{ source: [3], target: [4, 1.5] }])).toThrow(/example 0 "target"\[1\] = 1.5 is not a token id/);
      expect(() => collator.collate([{ source: [], target: [4] }])).toThrow(FinetuneError);
      expect(() => collator.collate([])).toThrow(/empty batch/);
    }, 'failed batches');
  });
});
