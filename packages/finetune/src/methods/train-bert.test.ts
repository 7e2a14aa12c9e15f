// Training LoRA and prefix tuning on tfkit's BERT: exactly the adapter (and `modulesToSave`) trains.
import * as tf from '@tensorflow/tfjs-core';
import { BertForSequenceClassification } from '@tfkit/models-bert';
import { expectNoLeaks, fixturePath } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { Dataset } from '../data/dataset.js';
import { Trainer } from '../train/trainer.js';
import { LoraModel } from './lora.js';
import { PrefixTuningModel } from './prefix-tuning.js';

const rows = [[2, 15, 27, 99, 3, 0], [2, 8, 41, 3, 0, 0], [2, 51, 7, 3, 0, 0], [2, 33, 60, 12, 3, 0]];
const collate = (ex: { i: number }[]) => ({
  inputIds: tf.tensor2d(ex.map((e) => rows[e.i] as number[]), undefined, 'int32'),
  attentionMask: tf.tensor2d(ex.map((e) => (rows[e.i] as number[]).map((id) => (id ? 1 : 0))), undefined, 'int32'),
  labels: tf.tensor1d(ex.map((e) => e.i % 2), 'int32'),
});

describe('LoRA training step on BERT', () => {
  it('changes every lora_A / lora_B and the classifier, and no base weight', async () => {
    const model = await BertForSequenceClassification.fromPretrained(fixturePath('models', 'bert-sequence-classification'));
    const lora = LoraModel.apply(model, { r: 4, loraAlpha: 8, loraDropout: 0.1, targetModules: ['query', 'value'], modulesToSave: ['classifier'] });
    const before = new Map(model.namedParameters().map(([n, p]) => [n, tf.clone(p.value)]));
    await expectNoLeaks(async () => {
      const trainer = new Trainer({ model, trainDataset: Dataset.fromArray([0, 1, 2, 3].map((i) => ({ i }))), collator: collate, batchSize: 4, maxSteps: 2, learningRate: 1e-2, logEvery: 1 });
      await trainer.train();
      trainer.optimizer.dispose();
    });
    const changed = changedParams(model, before);
    const expected = model.namedParameters().map(([n]) => n).filter((n) => /lora_[AB]\.default\.weight$/.test(n) || n.startsWith('classifier.'));
    expect(expected.length).toBe(2 * 4 + 2);
    expect(changed.sort()).toEqual(expected.sort());
    before.forEach((t) => t.dispose());
    lora.dispose();
    model.dispose();
  });
});

/** Names of `model`'s parameters whose values differ from `before`. */
function changedParams(model: { namedParameters(): [string, { value: tf.Tensor }][] }, before: Map<string, tf.Tensor>): string[] {
  return model.namedParameters().filter(([n, p]) => tf.tidy(() => tf.max(tf.abs(tf.sub(p.value, before.get(n) as tf.Tensor))).dataSync()[0] as number) > 0).map(([n]) => n);
}

describe('prefix tuning on BERT', () => {
  it('trains through BERT\'s pastKeyValues: the loss falls and only the prefix changes', async () => {
    const bert = await BertForSequenceClassification.fromPretrained(fixturePath('models', 'bert-sequence-classification'));
    const { numHiddenLayers, numAttentionHeads, hiddenSize } = bert.config;
    const model = new PrefixTuningModel(bert, { numVirtualTokens: 4, numLayers: numHiddenLayers, numAttentionHeads, tokenDim: hiddenSize });
    const before = new Map(model.namedParameters().map(([n, p]) => [n, tf.clone(p.value)]));
    const data = Dataset.fromArray([0, 1, 2, 3].map((i) => ({ i })));
    await expectNoLeaks(async () => {
      const trainer = new Trainer({ model, trainDataset: data, evalDataset: data, collator: collate, batchSize: 4, maxSteps: 40, learningRate: 0.1, logEvery: 10 });
      const start = await trainer.evaluate();
      await trainer.train();
      const end = await trainer.evaluate();
      expect(end['eval_loss']).toBeLessThan((start['eval_loss'] as number) * 0.7);
      trainer.optimizer.dispose();
    });
    expect(changedParams(model, before)).toEqual(['prompt_encoder.default.embedding.weight']);
    before.forEach((t) => t.dispose());
    model.dispose();
  });
});
