// Training steps through @tfkit/finetune with its family-agnostic DataCollatorForSeq2Seq: the same
// collator feeds the Transformer and the recurrent Seq2SeqModel (each reads its pad and decoder start
// from its config), the Trainer's steps lower the loss of the batch they fit and leave no tensors
// behind. (Learning a task to a target: transformer-learning.slow.test.ts.)
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@tfkit/core-tensor';
import { Dataset, DataCollatorForSeq2Seq, Trainer } from '@tfkit/finetune';
import { expectAllClose, expectNoLeaks } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { Seq2SeqModel } from './seq2seq-model.js';
import { Transformer } from './transformer-model.js';

type Pair = { source: number[]; target: number[] };

/** Eight random strings over tokens 3 … 12, eos-terminated, as their own targets. */
function copies(seed: number): Pair[] {
  const rng = new Random(seed);
  return Array.from({ length: 8 }, () => {
    const s = [...Array.from({ length: 2 + rng.int(4) }, () => 3 + rng.int(10)), 2];
    return { source: s, target: s };
  });
}

describe('seq2seq training steps with DataCollatorForSeq2Seq and the Trainer', () => {
  it.each([
    ['Transformer', () => new Transformer({ vocabSize: 13, dModel: 16, encoderLayers: 1, decoderLayers: 1, encoderAttentionHeads: 2, decoderAttentionHeads: 2, encoderFfnDim: 32, decoderFfnDim: 32, initStd: 0.15 }, { seed: 1 })],
    ['Seq2SeqModel', () => new Seq2SeqModel({ vocabSize: 13, embeddingSize: 16, hiddenSize: 16 }, { seed: 1 })],
  ] as const)('%s: the collated batch is what the model reads, and four steps on it lower its loss, leaving no tensors', async (_name, make) => {
    const model = make();
    const pairs = copies(1);
    const collator = new DataCollatorForSeq2Seq<Pair>({ model });
    // The decoder inputs the collator builds are those the model derives from the labels itself.
    tf.tidy(() => {
      const batch = collator.collate(pairs);
      model.eval();
      const given = model.forward(batch as never);
      const derived = model.forward({ inputIds: batch['inputIds']!, attentionMask: batch['attentionMask']!, labels: batch['labels']! });
      expectAllClose(given.logits, derived.logits, { atol: 0 });
      expectAllClose(given.loss!, derived.loss!, { atol: 0 });
    });
    await expectNoLeaks(async () => {
      const trainer = new Trainer<Pair>({ model, trainDataset: Dataset.fromArray(pairs), collator: collator.collate, batchSize: 8, maxSteps: 4, learningRate: 1e-2, warmupSteps: 0, seed: 3, logEvery: 1 });
      const losses = (await trainer.train()).logHistory.map((e) => e.loss!);
      trainer.optimizer.dispose();
      expect(losses).toHaveLength(4);
      // Measured (cpu): Transformer 3.01 → 2.37, Seq2SeqModel 2.56 → 2.29.
      expect(losses[3]!).toBeLessThan(losses[0]! - 0.05);
    }, 'training');
    model.dispose();
  });
});
