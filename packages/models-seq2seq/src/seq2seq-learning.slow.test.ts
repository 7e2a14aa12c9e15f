// The model really learns, trained by @tfkit/finetune's Trainer: reversing random digit strings
// (a classic attention benchmark — the first output digit depends on the last input one). Greedy
// decoding of held-out strings must be exactly right; on longer strings, attention must clearly
// beat the attention-free encoder-decoder that squeezes the whole input into one state.
// The tests take about a minute each on a quiet machine and several on a loaded CI runner: they
// rely on the slow project's generous timeout and assert nothing about time.
import { Random } from '@tfkit/core-tensor';
import { Dataset, padSequences, Trainer } from '@tfkit/finetune';
import { expectNoLeaks, withBackend } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import type { Seq2SeqAttentionType } from './seq2seq-config.js';
import { Seq2SeqModel } from './seq2seq-model.js';

const [PAD, BOS, EOS, FIRST_DIGIT] = [0, 1, 2, 3];

interface Pair { source: number[]; target: number[] }

/** `n` random digit strings of length in [min, max] with their reversals. */
function reversals(n: number, min: number, max: number, seed: number): Pair[] {
  const rng = new Random(seed);
  return Array.from({ length: n }, () => {
    const source = Array.from({ length: min + rng.int(max - min + 1) }, () => FIRST_DIGIT + rng.int(10));
    return { source, target: [...source].reverse() };
  });
}

const collate = (batch: Pair[]) => ({
  inputIds: padSequences(batch.map((p) => p.source), PAD),
  attentionMask: padSequences(batch.map((p) => p.source.map(() => 1)), 0),
  labels: padSequences(batch.map((p) => [...p.target, EOS]), -100),
});

async function train(attention: Seq2SeqAttentionType, data: Pair[], steps: number): Promise<Seq2SeqModel> {
  const model = new Seq2SeqModel({ vocabSize: 13, embeddingSize: 32, hiddenSize: 64, cell: 'gru', attention, bidirectional: true, dropout: 0, padTokenId: PAD, bosTokenId: BOS, eosTokenId: EOS }, { seed: 1 });
  const trainer = new Trainer<Pair>({ model, trainDataset: Dataset.fromArray(data), collator: collate, batchSize: 32, maxSteps: steps, learningRate: 1e-2, warmupSteps: 20, seed: 2, logEvery: 1e9 });
  await trainer.train();
  trainer.optimizer.dispose();
  return model.eval();
}

/** Share of pairs whose greedy decoding is exactly the reversed string followed by eos. */
async function exactMatch(model: Seq2SeqModel, pairs: Pair[]): Promise<number> {
  const { sequences } = await model.generate(pairs.map((p) => p.source), { maxNewTokens: Math.max(...pairs.map((p) => p.target.length)) + 1 });
  const hits = sequences.filter((row, i) => {
    const want = [BOS, ...pairs[i]!.target, EOS];
    return want.every((id, t) => row[t] === id);
  });
  return hits.length / pairs.length;
}

describe('learning to reverse digit strings (Trainer, wasm)', () => {
  it('GRU + Bahdanau attention: > 95% exact match on held-out strings of 3–8 digits after 300 steps', async () => {
    await withBackend('wasm', async () => {
      await expectNoLeaks(async () => {
        const model = await train('bahdanau', reversals(4000, 3, 8, 1), 300);
        const accuracy = await exactMatch(model, reversals(200, 3, 8, 99));
        console.log(`reversal, 3–8 digits, bahdanau: exact match ${(accuracy * 100).toFixed(1)}%`);
        expect(accuracy).toBeGreaterThan(0.95);
        model.dispose();
      }, 'training and generation');
    });
  });

  it('on 10–15 digits, Luong attention clearly beats no attention (same data, same 300 steps)', async () => {
    await withBackend('wasm', async () => {
      const data = reversals(4000, 10, 15, 1);
      const heldOut = reversals(200, 10, 15, 99);
      const accuracy: Record<string, number> = {};
      await expectNoLeaks(async () => {
        for (const attention of ['luong-general', 'none'] as const) {
          const model = await train(attention, data, 300);
          accuracy[attention] = await exactMatch(model, heldOut);
          model.dispose();
        }
      }, 'training and generation');
      console.log(`reversal, 10–15 digits: exact match luong-general ${(accuracy['luong-general']! * 100).toFixed(1)}%, none ${(accuracy['none']! * 100).toFixed(1)}%`);
      expect(accuracy['luong-general']).toBeGreaterThan(0.8);
      expect(accuracy['none']).toBeLessThan(0.2);
    });
  });
});
