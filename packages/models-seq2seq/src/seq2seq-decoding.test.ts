import * as tf from '@tensorflow/tfjs-core';
import { expectAllClose, expectNoLeaks, withBackend } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { Seq2SeqModel } from './seq2seq-model.js';
import { BATCH, TINY, VARIANTS } from './seq2seq-test-utils.js';

const DECODER_IDS = [[1, 4, 5, 6, 3, 9], [1, 7, 8, 2, 10, 4]];

describe.each(['cpu', 'wasm'])('incremental decoding on %s', (backend) => {
  it.each(VARIANTS)('%s: step-by-step logits (encoder once, recurrent state carried) equal the teacher-forced forward', async (_name, variant) => {
    await withBackend(backend, async () => {
      const model = new Seq2SeqModel({ ...TINY, ...variant }, { seed: 11 });
      await expectNoLeaks(() => tf.tidy(() => {
        const full = model.forward({ inputIds: BATCH.inputIds, attentionMask: BATCH.attentionMask, decoderInputIds: DECODER_IDS, outputAttentions: true });
        const { memory, state } = model.encode(BATCH.inputIds, BATCH.attentionMask);
        let s = state;
        for (let t = 0; t < DECODER_IDS[0]!.length; t++) {
          const step = model.decoder.step(tf.tensor1d(DECODER_IDS.map((r) => r[t]!), 'int32'), s, memory);
          expectAllClose(step.logits, tf.squeeze(tf.slice(full.logits, [0, t, 0], [2, 1, 11]), [1]), { atol: 1e-5, label: `logits at step ${t}` });
          if (full.attentions) expectAllClose(step.attention!, tf.squeeze(tf.slice(full.attentions, [0, t, 0], [2, 1, 5]), [1]), { atol: 1e-5, label: `attention at step ${t}` });
          s = step.state;
        }
      }), 'step decoding');
      model.dispose();
    });
  });

  it.each([VARIANTS[0]!, VARIANTS[1]!])('%s: greedy = argmax of each step; beam search reorders the state (equal to recomputing from scratch); sampling repeats with its seed', async (_name, variant) => {
    await withBackend(backend, async () => {
      const model = new Seq2SeqModel({ ...TINY, ...variant }, { seed: 12 });
      const prompts = [[5, 6, 7, 8, 2], [9, 4, 3, 2]]; // ragged: right-padded by generate
      await expectNoLeaks(async () => {
        const greedy = await model.generate(prompts, { maxNewTokens: 6, minNewTokens: 6 });
        expect(greedy.prefixLength).toBe(1);
        expect(greedy.sequences.map((r) => r.length)).toEqual([7, 7]);
        // Each generated token is the argmax of the teacher-forced logits over the tokens before it (eos suppressed by minNewTokens).
        const logits = tf.tidy(() => model.forward({ inputIds: [prompts[0]!, [...prompts[1]!, 0]], attentionMask: BATCH.attentionMask, decoderInputIds: greedy.sequences.map((r) => r.slice(0, -1)) }).logits.arraySync() as number[][][]);
        greedy.sequences.forEach((row, b) => row.slice(1).forEach((token, t) => {
          const scores = [...logits[b]![t]!];
          scores[model.config.eosTokenId] = -Infinity;
          expect(token).toBe(scores.indexOf(Math.max(...scores)));
        }));
        expect((await model.generate(prompts, { maxNewTokens: 6, minNewTokens: 6, useCache: false })).sequences).toEqual(greedy.sequences);

        const beam = await model.generate(prompts, { maxNewTokens: 6, numBeams: 3, numReturnSequences: 2 });
        const beamNoCache = await model.generate(prompts, { maxNewTokens: 6, numBeams: 3, numReturnSequences: 2, useCache: false });
        expect(beam.sequences).toHaveLength(4);
        expect(beam.sequences).toEqual(beamNoCache.sequences);
        beam.sequencesScores!.forEach((score, i) => expect(score).toBeCloseTo(beamNoCache.sequencesScores![i]!, 4));

        const sample = (seed: number) => model.generate(prompts, { maxNewTokens: 6, doSample: true, topK: 0, numReturnSequences: 2, seed });
        const [a, b] = [await sample(3), await sample(3)];
        expect(a.sequences).toHaveLength(4);
        expect(a.sequences).toEqual(b.sequences);
      }, 'generate');
      model.dispose();
    });
  });
});

describe('generation defaults', () => {
  it('start from decoder_start_token_id and stop at eos; a caller may override them', async () => {
    const model = new Seq2SeqModel({ ...TINY, bosTokenId: 3, eosTokenId: 4 });
    expect(model.generationConfig).toEqual({ bosTokenId: 3, eosTokenId: 4, padTokenId: 0, decoderStartTokenId: 3 });
    await expectNoLeaks(async () => {
      const out = await model.generate([[5, 6, 7]], { maxNewTokens: 8 });
      expect(out.sequences[0]![0]).toBe(3);
      const row = out.sequences[0]!;
      if (out.stopReason === 'eos') expect(row[row.length - 1]).toBe(4);
      else expect(row).toHaveLength(9);
      const other = await model.generate([[5, 6, 7]], { maxNewTokens: 2, decoderStartTokenId: 7 });
      expect(other.sequences[0]![0]).toBe(7);
    });
    model.dispose();
  });
});
