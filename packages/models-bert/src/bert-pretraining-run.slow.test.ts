// A from-scratch pretraining run: a tiny BERT learns MLM + NSP on a public-domain book.
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@tfkit/core-tensor';
import { loadCorpus } from '@tfkit/corpus';
import { withBackend } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { BertForPreTraining } from './bert-heads.js';
import { buildNspPairs, DataCollatorForLanguageModeling, type NspExample } from './bert-pretraining.js';

const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

/** Paragraphs of Alice in Wonderland as documents of sentences, and a word-level vocabulary of its commonest words ([UNK] for the rest). */
function corpus(vocabSize: number): { documents: string[][]; tokenize: (s: string) => number[] } {
  const text = loadCorpus({ books: ['carroll-alice'] }).toLowerCase();
  const documents = text
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\s+/g, ' ').split(/(?<=[.!?])\s+/).filter((s) => /[a-z]/.test(s)))
    .filter((d) => d.length >= 2);
  const counts = new Map<string, number>();
  for (const w of text.match(/[a-z']+/g) ?? []) counts.set(w, (counts.get(w) ?? 0) + 1);
  const words = [...counts].sort((a, b) => b[1] - a[1]).slice(0, vocabSize - SPECIALS.length).map(([w]) => w);
  const vocab = new Map([...SPECIALS, ...words].map((w, i) => [w, i]));
  return { documents, tokenize: (s) => (s.match(/[a-z']+/g) ?? []).map((w) => vocab.get(w) ?? 1) };
}

describe.each(['cpu', 'wasm'])('pretraining a tiny BERT from scratch on %s', (backend) => {
  it('MLM + NSP loss falls clearly, without leaking tensors', async () => {
    await withBackend(backend, async () => {
      const vocabSize = 100;
      const { documents, tokenize } = corpus(vocabSize);
      const pairs = buildNspPairs(documents, { maxLength: 24, clsTokenId: 2, sepTokenId: 3, tokenize, seed: 1 });
      expect(pairs.length).toBeGreaterThan(500);
      const heldOut = pairs.slice(0, 64);
      const train = pairs.slice(64);
      const collator = new DataCollatorForLanguageModeling({ maskTokenId: 4, vocabSize, specialTokenIds: [0, 2, 3, 4], seed: 2 });
      const evalBatch = new DataCollatorForLanguageModeling({ maskTokenId: 4, vocabSize, specialTokenIds: [0, 2, 3, 4], seed: 99 }).collate(heldOut);

      const model = new BertForPreTraining(
        { vocabSize, hiddenSize: 32, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 64, maxPositionEmbeddings: 32 },
        { seed: 3 },
      );
      const evalLoss = () => {
        model.eval();
        const loss = tf.tidy(() => model.forward(evalBatch).loss!.dataSync()[0]!);
        model.train();
        return loss;
      };
      const before = tf.memory().numTensors;
      const initial = evalLoss();
      const optimizer = tf.train.adam(5e-2);
      const rng = new Random(4);
      const losses: number[] = [];
      for (let step = 0; step < 60; step++) {
        const batch = collator.collate(Array.from({ length: 16 }, () => train[rng.int(train.length)] as NspExample));
        const loss = optimizer.minimize(() => model.forward(batch).loss!, true, model.trainableVariables());
        losses.push(loss!.dataSync()[0]!);
        loss!.dispose();
        // Let the test runner's messages through: a long synchronous loop trips its RPC timeout.
        await new Promise((resolve) => setImmediate(resolve));
      }
      const final = evalLoss();
      optimizer.dispose();
      expect(tf.memory().numTensors).toBe(before);
      // At init the loss is chance level, ln(100) + ln(2) ≈ 5.3; after 60 steps the held-out loss
      // must be clearly lower, and so must the (noisy, 16-pair) training losses.
      expect(initial).toBeGreaterThan(5);
      expect(final).toBeLessThan(0.8 * initial);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      expect(mean(losses.slice(-10))).toBeLessThan(0.85 * mean(losses.slice(0, 3)));
      model.dispose();
    });
  }, 300_000);
});
