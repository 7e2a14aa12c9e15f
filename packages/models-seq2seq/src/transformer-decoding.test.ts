import * as tf from '@tensorflow/tfjs-core';
import { expectAllClose, expectNoLeaks } from '@tfkit/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { Transformer } from './transformer-model.js';
import { TransformerDecoderCache } from './transformer-modeling.js';
import { SEPARATE_VOCABULARIES, TINY_TRANSFORMER, TRANSFORMER_BATCH } from './transformer-test-utils.js';

const { inputIds, attentionMask } = TRANSFORMER_BATCH;

describe('Transformer incremental decoding', () => {
  const model = new Transformer(TINY_TRANSFORMER, { seed: 5 });
  const separate = new Transformer(SEPARATE_VOCABULARIES, { seed: 6 });
  afterAll(() => {
    model.dispose();
    separate.dispose();
  });

  it('the self-attention cache (cross-attention keys/values projected once) gives the full pass’s logits within 1e-5, also after a reorder', async () => {
    const decoderIds = [[1, 4, 9, 13, 6, 2], [1, 7, 7, 18, 3, 11]];
    await expectNoLeaks(() => {
      const encoderOutputs = { lastHiddenState: model.model.encoder.forward(inputIds, attentionMask).lastHiddenState };
      const full = model.forward({ encoderOutputs, attentionMask, decoderInputIds: decoderIds });
      const cache = new TransformerDecoderCache(model.config.decoderLayers);
      for (const [from, to] of [[0, 2], [2, 3], [3, 4], [4, 5], [5, 6]] as const) {
        tf.tidy(() => {
          const step = model.forward({ encoderOutputs, attentionMask, decoderInputIds: decoderIds.map((r) => r.slice(from, to)), cache });
          expect(cache.length).toBe(to);
          expectAllClose(step.logits, tf.slice(full.logits, [0, from, 0], [2, to - from, -1]), { atol: 1e-5, label: `positions ${from}..${to - 1}` });
        });
      }
      expect(cache.layers[1]!.self.key!.shape).toEqual([2, 2, 6, 8]);
      expect(cache.layers[1]!.cross.key!.shape).toEqual([2, 2, 6, 8]);
      // Beam search swaps rows: the cache follows.
      cache.reorder([1, 0]);
      tf.tidy(() => {
        const swappedMask = [attentionMask[1]!, attentionMask[0]!];
        const next = model.forward({ encoderOutputs: { lastHiddenState: tf.reverse(encoderOutputs.lastHiddenState, 0) }, attentionMask: swappedMask, decoderInputIds: [[5], [5]], cache });
        const swapped = model.forward({ inputIds: [inputIds[1]!, inputIds[0]!], attentionMask: swappedMask, decoderInputIds: [[...decoderIds[1]!, 5], [...decoderIds[0]!, 5]] });
        expectAllClose(next.logits, tf.slice(swapped.logits, [0, 6, 0], [2, 1, -1]), { atol: 1e-5, label: 'after reorder' });
      });
      cache.dispose();
      tf.dispose([encoderOutputs.lastHiddenState, full] as unknown as tf.TensorContainer);
    }, 'cached decoding');
  });

  it.each([['shared vocabulary', 0], ['separate vocabularies, untied projection', 1]] as const)(
    'decoding sessions with and without the cache give the same next-token logits within 1e-5 (%s), through row selections',
    async (_name, which) => {
      const m = which === 0 ? model : separate;
      await expectNoLeaks(() => {
        const inputs = { inputIds, attentionMask };
        const [cached, uncached] = [m.startDecoding(inputs, { useCache: true }), m.startDecoding(inputs, { useCache: false })];
        expect(cached.prefix).toEqual([[1], [1]]);
        let worst = 0;
        for (let step = 0; step < 7; step++) {
          const [a, b] = [cached.nextTokenLogits(), uncached.nextTokenLogits()];
          worst = Math.max(worst, tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!));
          const next = tf.tidy(() => Array.from(tf.argMax(a, 1).dataSync()));
          tf.dispose([a, b]);
          for (const s of [cached, uncached]) s.append(next);
          // Expand to three rows of different prompts (encoder outputs gathered), then swap two rows of one prompt (cache only).
          if (step === 2) for (const s of [cached, uncached]) s.selectRows([1, 0, 1]);
          if (step === 4) for (const s of [cached, uncached]) s.selectRows([2, 1, 0]);
        }
        expect(worst).toBeLessThan(1e-5);
        cached.dispose();
        uncached.dispose();
      }, 'sessions');
    },
  );

  it.each([['greedy', 1], ['beam search', 3]] as const)('%s generation gives the same ids (and beam scores) with and without the cache', async (_name, numBeams) => {
    await expectNoLeaks(async () => {
      const options = { attentionMask, maxNewTokens: 8, numBeams, numReturnSequences: numBeams, eosTokenId: 2 };
      // The untied model: a tied one with random weights tends to repeat the token it reads.
      const [a, b] = [await separate.generate(inputIds, options), await separate.generate(inputIds, { ...options, useCache: false })];
      expect(a.sequences).toEqual(b.sequences);
      for (const s of a.sequences) expect(s[0]).toBe(separate.config.decoderStartTokenId);
      if (numBeams > 1) expectAllClose(a.sequencesScores!, b.sequencesScores!, { atol: 1e-5 });
    }, 'generate');
  });

  it('ragged prompts are right-padded for the encoder: each row decodes as it would alone', async () => {
    await expectNoLeaks(async () => {
      const prompts = [[5, 16, 7, 8, 19, 2], [9, 4, 3, 2]];
      const together = await separate.generate(prompts, { maxNewTokens: 6, numBeams: 2 });
      const alone = [await separate.generate([prompts[0]!], { maxNewTokens: 6, numBeams: 2 }), await separate.generate([prompts[1]!], { maxNewTokens: 6, numBeams: 2 })];
      expect(together.sequences).toEqual(alone.map((o) => o.sequences[0]));
    }, 'ragged generate');
  });
});
