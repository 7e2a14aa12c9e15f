// The task collators feed tfkit's task models through the Trainer: a tiny BERT (with
// bert-base-uncased's 30k vocabulary, hence a slow test) learns NER tags and SQuAD-style answers
// from them, and postprocessQaPredictions reads the answers back.
import * as tf from '@tensorflow/tfjs-core';
import { BertForQuestionAnswering, BertForTokenClassification } from '@tfkit/models-bert';
import { expectNoLeaks, fixturePath } from '@tfkit/test-utils';
import { Tokenizer } from '@tfkit/tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Trainer } from '../train/trainer.js';
import { Dataset } from './dataset.js';
import { DataCollatorForQuestionAnswering, postprocessQaPredictions, prepareQaTrainFeatures } from './question-answering.js';
import { DataCollatorForTokenClassification } from './token-classification.js';

const TINY = { vocabSize: 30522, hiddenSize: 32, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 64, maxPositionEmbeddings: 64, hiddenDropoutProb: 0, attentionProbsDropoutProb: 0 };

let bert: Tokenizer;
const backend = tf.getBackend();
beforeAll(async () => {
  bert = await Tokenizer.fromPretrained(fixturePath('tokenizers', 'bert-base-uncased'));
  await tf.setBackend('wasm');
});
afterAll(async () => {
  await tf.setBackend(backend);
});

describe('token classification through the Trainer', () => {
  const TAGS = ['O', 'B-PER', 'I-PER', 'B-LOC'];
  const examples = [
    { tokens: ['Peter', 'Blackburn', 'visited', 'Brussels'], ner_tags: ['B-PER', 'I-PER', 'O', 'B-LOC'] },
    { tokens: ['Unhappiness', 'in', 'U.S.', 'cities'], ner_tags: ['O', 'O', 'B-LOC', 'O'] },
  ];

  it('the model\'s loss skips −100 positions, and training fits the word tags', async () => {
    const model = new BertForTokenClassification({ ...TINY, numLabels: 4 }, { seed: 1 });
    const collator = new DataCollatorForTokenClassification({ tokenizer: bert, padTokenId: 0, labelToId: TAGS });
    await expectNoLeaks(async () => {
      // Loss = mean cross-entropy over the labelled positions only.
      const batch = collator.collate(examples);
      const [loss, manual] = tf.tidy(() => {
        const out = model.forward(batch as never) as { loss: tf.Scalar; logits: tf.Tensor3D };
        const labels = batch['labels'] as tf.Tensor2D;
        const keep = tf.notEqual(labels, -100);
        const safe = tf.where(keep, labels, tf.zerosLike(labels));
        const nll = tf.neg(tf.sum(tf.mul(tf.logSoftmax(out.logits), tf.oneHot(safe, 4)), -1));
        return [out.loss.dataSync()[0] as number, (tf.sum(tf.mul(nll, tf.cast(keep, 'float32'))).dataSync()[0] as number) / (tf.sum(tf.cast(keep, 'float32')).dataSync()[0] as number)];
      });
      expect(loss).toBeCloseTo(manual, 5);
      Object.values(batch).forEach((t) => t.dispose());

      const trainer = new Trainer({ model, trainDataset: Dataset.fromArray(examples), collator: collator.collate, batchSize: 2, maxSteps: 60, learningRate: 3e-3, seed: 3 });
      await trainer.train();
      trainer.optimizer.dispose();
      const after = collator.collate(examples);
      const predicted = tf.tidy(() => tf.argMax((model.forward(after as never) as { logits: tf.Tensor }).logits, -1).arraySync() as number[][]);
      const gold = after['labels']!.arraySync() as number[][];
      // Every labelled (first) sub-token predicts its word's tag.
      gold.forEach((row, b) => row.forEach((g, t) => g !== -100 && expect(predicted[b]?.[t], `example ${b} token ${t}`).toBe(g)));
      Object.values(after).forEach((t) => t.dispose());
    });
    model.dispose();
  }, 120_000);
});

describe('question answering through the Trainer', () => {
  const examples = [
    { question: 'Who wrote it?', context: 'The novel Persuasion was written by Jane Austen in 1816 and published in 1817.', answers: { text: ['Jane Austen'], answer_start: [36] } },
    { question: 'When was it published?', context: 'The novel Persuasion was written by Jane Austen in 1816 and published in 1817.', answers: { text: ['1817'], answer_start: [73] } },
  ];

  it('learns the answer spans of overflowing windows; postprocessing reads them back as text', async () => {
    const features = prepareQaTrainFeatures(bert, examples, { maxLength: 16, stride: 3 });
    expect(features.length).toBeGreaterThan(examples.length); // the contexts overflow
    const model = new BertForQuestionAnswering(TINY, { seed: 2 });
    const collator = new DataCollatorForQuestionAnswering({ padTokenId: 0 });
    await expectNoLeaks(async () => {
      const trainer = new Trainer({ model, trainDataset: Dataset.fromArray(features), collator: collator.collate, batchSize: features.length, maxSteps: 80, learningRate: 3e-3, seed: 3 });
      await trainer.train();
      trainer.optimizer.dispose();
      const batch = collator.collate(features);
      const [starts, ends] = tf.tidy(() => {
        const out = model.forward(batch as never) as { startLogits: tf.Tensor2D; endLogits: tf.Tensor2D };
        return [out.startLogits.arraySync(), out.endLogits.arraySync()];
      });
      Object.values(batch).forEach((t) => t.dispose());
      const answers = postprocessQaPredictions(examples, features, starts, ends, { maxAnswerLength: 10 });
      expect(answers.map((a) => a.prediction)).toEqual(['Jane Austen', '1817']);
    });
    model.dispose();
  }, 120_000);
});
