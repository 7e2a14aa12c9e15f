import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '@tfkit/core-tensor';
import { generateStream } from '@tfkit/generation';
import { expectAllClose, expectNoLeaks, fixturePath, readFixtureJson } from '@tfkit/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BartForConditionalGeneration } from './bart-heads.js';
import { BartDecoderCache } from './bart-modeling.js';

const NAME = 'bart-conditional-generation';
type Ids = number[][];
const inputs = readFixtureJson<{ forward: { input_ids: Ids; attention_mask: Ids; decoder_input_ids: Ids }; generate_greedy: { input_ids: Ids; attention_mask: Ids } }>('models', NAME, 'inputs.json');
const expected = readFixtureJson<Record<string, { sequences: Ids }>>('models', NAME, 'expected.json');

describe('BART incremental decoding', () => {
  let model: BartForConditionalGeneration;
  beforeAll(async () => {
    model = await BartForConditionalGeneration.fromPretrained(fixturePath('models', NAME));
  });
  afterAll(() => model.dispose());

  it('the self-attention cache (and cross-attention keys/values projected once) gives the logits of full recomputation', async () => {
    const { input_ids, attention_mask } = inputs.forward;
    // Decoder rows without padding, fed as a 2-token chunk and then one token at a time.
    const decoderIds = [[2, 0, 875, 76, 854, 886], [2, 0, 48, 137, 640, 12]];
    await expectNoLeaks(() => {
      const encoderOutputs = { lastHiddenState: model.model.encoder.forward(input_ids, attention_mask).lastHiddenState };
      const full = model.forward({ encoderOutputs, attentionMask: attention_mask, decoderInputIds: decoderIds });
      const cache = new BartDecoderCache(model.config.decoderLayers);
      const chunks = [[0, 2], [2, 3], [3, 4], [4, 5], [5, 6]] as const;
      for (const [from, to] of chunks) {
        tf.tidy(() => {
          const step = model.forward({ encoderOutputs, attentionMask: attention_mask, decoderInputIds: decoderIds.map((r) => r.slice(from, to)), cache });
          expect(cache.length).toBe(to);
          expectAllClose(step.logits, tf.slice(full.logits, [0, from, 0], [2, to - from, -1]), { atol: 1e-5, label: `positions ${from}..${to - 1}` });
        });
      }
      const [self, cross] = [cache.layers[1]!.self, cache.layers[1]!.cross];
      expect(self.key!.shape).toEqual([2, 4, 6, 8]);
      expect(cross.key!.shape).toEqual([2, 4, 10, 8]);
      // Beam reordering: rows swap in the cache as they do in the batch.
      cache.reorder([1, 0]);
      tf.tidy(() => {
        const next = model.forward({ encoderOutputs, attentionMask: [attention_mask[1]!, attention_mask[0]!], decoderInputIds: [[7], [7]], cache });
        const swapped = model.forward({
          encoderOutputs: { lastHiddenState: tf.reverse(encoderOutputs.lastHiddenState, 0) },
          attentionMask: [attention_mask[1]!, attention_mask[0]!],
          decoderInputIds: [[...decoderIds[1]!, 7], [...decoderIds[0]!, 7]],
        });
        expectAllClose(next.logits, tf.slice(swapped.logits, [0, 6, 0], [2, 1, -1]), { atol: 1e-5, label: 'after reorder' });
      });
      cache.dispose();
      tf.dispose([encoderOutputs.lastHiddenState, full] as unknown as tf.TensorContainer);
    }, 'cached decoding');
  });

  it.each([['greedy', 1], ['beam', 3]] as const)('%s generation gives the same ids without the cache', async (_name, numBeams) => {
    const { input_ids, attention_mask } = inputs.generate_greedy;
    const want = expected[numBeams === 1 ? 'generate_greedy' : 'generate_beam']!.sequences;
    await expectNoLeaks(async () => {
      const out = await model.generate(input_ids, { attentionMask: attention_mask, maxNewTokens: 10, numBeams, useCache: false });
      expect(out.sequences).toEqual(want);
    });
  });

  it('ragged prompts are right-padded as BART expects; streaming yields every token; sampling is seeded', async () => {
    const { input_ids, attention_mask } = inputs.generate_greedy;
    const ragged = input_ids.map((row, r) => row.filter((_, i) => attention_mask[r]![i] === 1)); // unpadded prompts
    await expectNoLeaks(async () => {
      const out = await model.generate(ragged, { maxNewTokens: 10 });
      expect(out.sequences).toEqual(expected['generate_greedy']!.sequences);
      const steps: number[][] = [];
      const stream = generateStream(model, ragged, { maxNewTokens: 10 });
      let result = await stream.next();
      while (!result.done) {
        steps.push(result.value.tokens);
        result = await stream.next();
      }
      expect(steps).toHaveLength(10);
      expect(steps.map((t) => t[0])).toEqual(out.sequences[0]!.slice(1));
      const a = await model.generate(ragged, { maxNewTokens: 8, doSample: true, seed: 3, topK: 20 });
      const b = await model.generate(ragged, { maxNewTokens: 8, doSample: true, seed: 3, topK: 20 });
      expect(a.sequences).toEqual(b.sequences);
      expect(a.sequences[0]![0]).toBe(2);
    }, 'generate');
  });

  it('noRepeatNgramSize and minLength constrain what BART generates', async () => {
    const { input_ids, attention_mask } = inputs.generate_greedy;
    const plain = await model.generate(input_ids, { attentionMask: attention_mask, maxNewTokens: 10 });
    const bigrams = (row: number[]) => row.slice(1).map((t, i) => `${row[i]},${t}`);
    expect(plain.sequences.some((row) => new Set(bigrams(row)).size < bigrams(row).length)).toBe(true);
    const distinct = await model.generate(input_ids, { attentionMask: attention_mask, maxNewTokens: 10, noRepeatNgramSize: 2, numBeams: 2 });
    for (const row of distinct.sequences) expect(new Set(bigrams(row)).size).toBe(bigrams(row).length);
    // With eos = 29 the fixture's first row ends after 5 tokens (generate_beam_early_eos); minLength 8 keeps it going.
    const early = await model.generate(input_ids, { attentionMask: attention_mask, maxNewTokens: 10, eosTokenId: 29 });
    expect(early.sequences[0]!.indexOf(29)).toBe(5);
    const late = await model.generate(input_ids, { attentionMask: attention_mask, maxNewTokens: 10, eosTokenId: 29, minLength: 8 });
    expect(late.sequences[0]!.slice(0, 8)).not.toContain(29);
  });

  it('forced bos/eos and the decoder start token from the config when the checkpoint has no generation_config.json', async () => {
    const { input_ids, attention_mask } = inputs.generate_greedy;
    const plain = await BartForConditionalGeneration.fromPretrained(fixturePath('models', NAME), { configOverrides: { forced_eos_token_id: 2, forced_bos_token_id: 0 } });
    plain.hfGenerationConfig = undefined;
    expect(plain.generationConfig).toMatchObject({ decoderStartTokenId: 2, eosTokenId: 2, padTokenId: 1, forcedBosTokenId: 0, forcedEosTokenId: 2 });
    const out = await plain.generate(input_ids, { attentionMask: attention_mask, maxNewTokens: 6 });
    for (const row of out.sequences) {
      expect(row.slice(0, 2)).toEqual([2, 0]);
      expect(row).toHaveLength(7);
      expect(row[6]).toBe(row.indexOf(2, 1) === 6 ? 2 : 1); // eos forced at the last step, or the row ended earlier and is padded
    }
    const started = await plain.generate(input_ids, { attentionMask: attention_mask, maxNewTokens: 2, decoderStartTokenId: 7, forcedBosTokenId: undefined });
    expect(started.sequences.map((r) => r[0])).toEqual([7, 7]);
    plain.dispose();
  });

  it('over-long inputs are typed errors naming the position limit, and nothing leaks', async () => {
    const long = [Array.from({ length: 65 }, (_, i) => 3 + i)];
    await expectNoLeaks(async () => {
      expect(() => model.forward({ inputIds: long, decoderInputIds: [[2]] })).toThrow(ShapeError);
      expect(() => model.forward({ inputIds: long, decoderInputIds: [[2]] })).toThrow(/65 positions exceed max_position_embeddings 64; truncate/);
      expect(() => model.forward({ inputIds: [[0, 5, 2]], decoderInputIds: [Array.from({ length: 65 }, () => 5)] })).toThrow(/BartDecoder: 65 positions/);
      expect(() => model.forward({ inputIds: [[0, 5000, 2]] })).toThrow(/inputIds\[0\]\[1\] = 5000 is outside the vocabulary \[0, 1000\)/);
      expect(() => model.forward({ inputIds: [[0, 5, 2]], attentionMask: [[1, 1]] })).toThrow(/attentionMask is \[1,2\], expected \[1,3\]/);
      await expect(model.generate([[0, 5, 2]], { maxLength: 70 })).rejects.toThrow(/generate: 1 prompt tokens \+ 69 new tokens need 70 positions, but this model has 64/);
      await expect(model.generate(long, { maxNewTokens: 2 })).rejects.toThrow(/generate: the prompt is 65 tokens, but this model reads at most 64/);
    }, 'errors');
  });
});
