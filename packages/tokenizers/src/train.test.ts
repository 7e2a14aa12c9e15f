// `@tfkit/tokenizers/train`: the trainer as a static import, the same tokenizer as Tokenizer.train.
import { describe, expect, it } from 'vitest';
import { Tokenizer as MainTokenizer } from './index.js';
import { Tokenizer, trainTokenizer, type TrainOptions } from './train.js';

const lines = ['the cat sat on the mat', 'the dog sat on the log', 'a cat and a dog met on a mat'].flatMap((l) => [l, l.toUpperCase()]);

describe('@tfkit/tokenizers/train', () => {
  it('trainTokenizer builds the same tokenizer as Tokenizer.train, an instance of the one Tokenizer class', async () => {
    const options: TrainOptions = { model: 'bpe', vocabSize: 300, specialTokens: ['<|endoftext|>'] };
    const direct = await trainTokenizer(options, lines);
    const viaClass = await MainTokenizer.train(options, lines);
    expect(Tokenizer).toBe(MainTokenizer);
    expect(direct).toBeInstanceOf(MainTokenizer);
    expect(direct.toJSON()).toEqual(viaClass.toJSON());
    const enc = direct.encode('the cat met the dog');
    expect(enc.ids.length).toBeGreaterThan(0);
    expect(direct.decode(enc.ids)).toBe('the cat met the dog');
  });

  it('reports a bad option as a TokenizerError, like Tokenizer.train', async () => {
    await expect(trainTokenizer({ model: 'unigram' as never }, lines)).rejects.toThrow(/model must be 'bpe' or 'wordpiece'/);
  });
});
