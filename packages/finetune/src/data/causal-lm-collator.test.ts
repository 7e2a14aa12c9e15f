import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeaks } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { FinetuneError } from '../errors.js';
import { DataCollatorForCausalLM } from './causal-lm-collator.js';

const words = ['<eos>', 'the', 'cat', 'sat', 'on', 'mat'];
const tokenizer = { encode: (text: string) => ({ ids: text.split(' ').map((w) => words.indexOf(w)) }) };

describe('DataCollatorForCausalLM', () => {
  it('right-pads the texts; labels are the ids with −100 on padding; eos appended; truncation keeps the first tokens', async () => {
    await expectNoLeaks(async () => {
      const collate = new DataCollatorForCausalLM({ tokenizer, padTokenId: 0, eosTokenId: 0, maxLength: 4 }).collate;
      const batch = collate([{ text: 'the cat sat on the mat' }, { text: 'cat sat' }]);
      expect(batch['inputIds']!.arraySync()).toEqual([[1, 2, 3, 4], [2, 3, 0, 0]]);
      expect(batch['attentionMask']!.arraySync()).toEqual([[1, 1, 1, 1], [1, 1, 1, 0]]);
      expect(batch['labels']!.arraySync()).toEqual([[1, 2, 3, 4], [2, 3, 0, -100]]);
      expect(batch['inputIds']!.dtype).toBe('int32');
      tf.dispose(Object.values(batch));
    });
  });

  it('names the example that cannot be used', () => {
    const collate = new DataCollatorForCausalLM({ tokenizer, padTokenId: 0, textColumn: 'body' }).collate;
    expect(() => collate([{ body: 'the cat' }, { text: 'x' }])).toThrow(/example 1 has no text in "body"/);
    expect(() => collate([{ body: 'cat' }])).toThrow(FinetuneError);
    expect(() => new DataCollatorForCausalLM({ tokenizer, padTokenId: 0, maxLength: 1 })).toThrow(/maxLength/);
  });
});

describe('DataCollatorForCausalLM with a prompt column', () => {
  it('labels the prompt −100: only the completion is learnt', async () => {
    await expectNoLeaks(async () => {
      const collate = new DataCollatorForCausalLM({ tokenizer, padTokenId: 0, eosTokenId: 0, promptColumn: 'prompt' }).collate;
      const batch = collate([{ prompt: 'the cat', text: 'sat' }, { prompt: 'on', text: 'the mat' }]);
      expect(batch['inputIds']!.arraySync()).toEqual([[1, 2, 3, 0], [4, 1, 5, 0]]);
      expect(batch['labels']!.arraySync()).toEqual([[-100, -100, 3, 0], [-100, 1, 5, 0]]);
      tf.dispose(Object.values(batch));
    });
    const tight = new DataCollatorForCausalLM({ tokenizer, padTokenId: 0, promptColumn: 'prompt', maxLength: 2 }).collate;
    expect(() => tight([{ prompt: 'the cat', text: 'sat' }])).toThrow(/prompt fills all 2 tokens/);
  });
});
