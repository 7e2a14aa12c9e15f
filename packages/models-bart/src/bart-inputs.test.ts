import * as tf from '@tensorflow/tfjs-core';
import { InputError, TokenizerMismatchError } from '@tfkit/layers';
import { expectNoLeaks } from '@tfkit/test-utils';
import { Tokenizer } from '@tfkit/tokenizers';
import { describe, expect, it } from 'vitest';
import { BartForConditionalGeneration } from './bart-heads.js';
import { BartModel } from './bart-modeling.js';
import { Text2TextGenerationPipeline } from '@tfkit/generation';

const tiny = { vocabSize: 50, maxPositionEmbeddings: 16, dModel: 8, encoderLayers: 1, decoderLayers: 1, encoderAttentionHeads: 2, decoderAttentionHeads: 2, encoderFfnDim: 16, decoderFfnDim: 16 };

function errorOf(fn: () => unknown): Error | undefined {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  return undefined;
}

/** A word-level tokenizer with `size` ids. */
function tokenizerOf(size: number): Tokenizer {
  const vocab = Object.fromEntries(Array.from({ length: size }, (_, i) => [`w${i}`, i]));
  return Tokenizer.fromJSON({ version: '1.0', added_tokens: [], normalizer: null, pre_tokenizer: { type: 'WhitespaceSplit' }, model: { type: 'WordLevel', vocab, unk_token: 'w3' }, post_processor: null, decoder: null });
}

describe('BART inputs through the shared checks', () => {
  it('tensor ids, decoder ids, masks and encoder outputs are checked too', async () => {
    const model = new BartModel(tiny);
    await expectNoLeaks(() => {
      tf.tidy(() => {
        expect(errorOf(() => model.forward({ inputIds: tf.tensor2d([[0, 50]], undefined, 'int32') }))?.message).toBe('BartEncoder: inputIds[0][1] = 50 is outside the vocabulary [0, 50) (vocab_size)');
        expect(errorOf(() => model.forward({ inputIds: [[0, 5]], decoderInputIds: [[2, -3]] }))?.message).toMatch(/BartDecoder: decoderInputIds\[0\]\[1\] = -3 is outside/);
        expect(errorOf(() => model.forward({ inputIds: [[0, 5]], attentionMask: [[1, 7]] }))?.message).toMatch(/attentionMask\[0\]\[1\] = 7 is not 0 or 1/);
        expect(errorOf(() => model.forward({ inputIds: [[]] }))).toBeInstanceOf(InputError);
        expect(errorOf(() => model.forward({ encoderOutputs: { lastHiddenState: tf.zeros([1, 2, 5]) }, decoderInputIds: [[2]] }))?.message).toMatch(/encoderOutputs\.lastHiddenState is \[1,2,5\], expected \[1,2,8\]/);
        expect(errorOf(() => model.forward({ encoderOutputs: { lastHiddenState: 'x' as unknown as tf.Tensor }, decoderInputIds: [[2]] }))).toBeInstanceOf(InputError);
      });
    }, 'bad inputs');
    model.dispose();
  });

  it('a tokenizer larger than the model is a TokenizerMismatchError in the text2text pipeline', () => {
    const model = new BartForConditionalGeneration(tiny);
    const e = errorOf(() => new Text2TextGenerationPipeline('summarization', { model, tokenizer: tokenizerOf(60) }));
    expect(e).toBeInstanceOf(TokenizerMismatchError);
    expect(e?.message).toMatch(/^summarization: the tokenizer has 60 ids but the model's vocabulary has 50 rows/);
    expect(new Text2TextGenerationPipeline('summarization', { model, tokenizer: tokenizerOf(50) }).model).toBe(model);
    model.dispose();
  });
});
