import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@tfkit/core-tensor';
import { crossEntropyLoss, Embedding, Linear, Module, sequenceClassificationLoss } from '@tfkit/layers';
import { expectAllClose, expectNoLeaks } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import type { Batch } from '../data/collator.js';
import { Dataset } from '../data/dataset.js';
import { FinetuneError } from '../errors.js';
import { SGD } from '../optim/sgd.js';
import { ToyClassifier } from '../testing/toy.js';
import { balancedClassWeights } from './class-weights.js';
import { Trainer } from './trainer.js';

/** Per-token logits `[B, T, C]` from embeddings; computes its own (unweighted) loss when given labels, and records the batch keys it saw. */
class ToyTagger extends Module {
  embeddings: Embedding;
  classifier: Linear;
  readonly seen: string[][] = [];
  readonly hfConfig: Record<string, unknown>;
  constructor(classes = 3, names?: string[]) {
    super();
    const rng = new Random(3);
    this.embeddings = new Embedding(10, 4, { rng, initStd: 0.5 });
    this.classifier = new Linear(4, classes, { rng, initStd: 0.5 });
    this.hfConfig = names ? { num_labels: classes, id2label: Object.fromEntries(names.map((n, i) => [String(i), n])) } : {};
  }
  forward(batch: Batch): { logits: tf.Tensor; loss?: tf.Tensor } {
    this.seen.push(Object.keys(batch).sort());
    return tf.tidy(() => {
      const logits = this.classifier.forward(this.embeddings.forward(batch['inputIds'] as tf.Tensor));
      const labels = batch['labels'];
      return labels ? { logits, loss: crossEntropyLoss(logits, labels, { where: 'ToyTagger' }) } : { logits };
    });
  }
}

interface Tagged { ids: number[]; tags: number[] }

/** Pads ids with 0 and tags with −100 (ignored), as a token-classification collator does. */
function tagCollator(examples: Tagged[]): Batch {
  const len = Math.max(...examples.map((e) => e.ids.length));
  return {
    inputIds: tf.tensor2d(examples.map((e) => [...e.ids, ...Array(len - e.ids.length).fill(0)]), undefined, 'int32'),
    labels: tf.tensor2d(examples.map((e) => [...e.tags, ...Array(len - e.tags.length).fill(-100)]), undefined, 'int32'),
  };
}

// Class 0 ("O") dominates: 9 of 13 counted labels; one −100 inside a sentence (a sub-word).
const tagged: Tagged[] = [
  { ids: [1, 2, 3, 4], tags: [0, 0, 1, 0] },
  { ids: [5, 6], tags: [0, -100] },
  { ids: [7, 8, 9, 2, 3], tags: [2, 0, 0, 0, 1] },
  { ids: [4, 4, 1], tags: [0, 0, 2] },
];

function params(model: Module): Map<string, number[]> {
  return new Map(model.namedParameters().map(([n, p]) => [n, Array.from(p.variable.dataSync())]));
}

describe('Trainer classWeights (PyTorch CrossEntropyLoss(weight=…) for classification fine-tuning)', () => {
  it('token classification: one SGD step moves the weights by exactly the weighted loss’s gradient; the model runs without labels', async () => {
    const weights = [0.25, 3, 1.5];
    const model = new ToyTagger();
    const before = params(model);
    const all = tagCollator(tagged);
    // The reference gradient: @tfkit/layers' weighted loss (checked against torch in losses-torch.slow.test.ts).
    const { value: wantLoss, grads } = tf.variableGrads(() => crossEntropyLoss(model.forward({ inputIds: all['inputIds'] as tf.Tensor }).logits, all['labels'] as tf.Tensor, { where: 'test', weight: weights }));
    const lr = 0.5;
    const want = new Map(model.namedParameters().map(([n, p]) => [n, Array.from(before.get(n) as number[], (v, i) => v - lr * (grads[p.variable.name] as tf.Tensor).dataSync()[i]!)]));
    const wantValue = wantLoss.dataSync()[0] as number;
    tf.dispose([wantLoss, ...Object.values(grads), ...Object.values(all)]);
    model.seen.length = 0;

    await expectNoLeaks(async () => {
      const trainer = new Trainer<Tagged>({
        model, trainDataset: Dataset.fromArray(tagged), collator: tagCollator, optimizer: (m) => new SGD(m.namedParameters(), { lr }),
        batchSize: 4, maxSteps: 1, shuffle: false, maxGradNorm: null, scheduler: 'constant', classWeights: weights,
      });
      const result = await trainer.train();
      expect(result.trainingLoss).toBeCloseTo(wantValue, 6);
      expect(trainer.classWeights).toEqual(weights);
      trainer.optimizer.dispose();
    });
    expect(model.seen.every((keys) => !keys.includes('labels'))).toBe(true);
    for (const [name, values] of params(model)) expectAllClose(values, want.get(name) as number[], { atol: 1e-6, label: name });
    // The unweighted loss differs: the weights change what is learned.
    expect(Math.abs(wantValue - tf.tidy(() => crossEntropyLoss(model.forward(tagCollator(tagged)).logits, tagCollator(tagged)['labels'] as tf.Tensor, { where: 't' }).dataSync()[0]!))).toBeGreaterThan(1e-3);
    model.dispose();
  });

  it("'balanced' is scikit-learn's n / (C · count[c]) over the labels the loss counts (−100 left out); eval_loss is the weighted loss", async () => {
    const model = new ToyTagger(3, ['O', 'B-PER', 'B-LOC']);
    await expectNoLeaks(async () => {
      // Counted labels: 9 × O, 2 × B-PER, 2 × B-LOC → 13 / (3 · count).
      const want = [13 / 27, 13 / 6, 13 / 6];
      expectAllClose(balancedClassWeights(Dataset.fromArray(tagged), tagCollator, { classes: 3, batchSize: 3 }), want, { atol: 1e-12 });
      const trainer = new Trainer<Tagged>({ model, trainDataset: Dataset.fromArray(tagged), evalDataset: Dataset.fromArray(tagged), collator: tagCollator, batchSize: 2, classWeights: 'balanced' });
      expect(trainer.classWeights).toBeUndefined();
      const metrics = await trainer.evaluate();
      expectAllClose(trainer.classWeights as number[], want, { atol: 1e-12 });
      // Batches of 2 examples, each batch's weighted mean weighted by its size (as the Trainer's eval_loss).
      const batchLoss = (ex: Tagged[]) => tf.tidy(() => { const b = tagCollator(ex); return crossEntropyLoss(model.forward({ inputIds: b['inputIds'] as tf.Tensor }).logits, b['labels'] as tf.Tensor, { where: 't', weight: want }).dataSync()[0]!; });
      expect(metrics['eval_loss']).toBeCloseTo((batchLoss(tagged.slice(0, 2)) * 2 + batchLoss(tagged.slice(2)) * 2) / 4, 6);
      trainer.optimizer.dispose();
    });
    model.dispose();
  });

  it('sequence classification: [B, C] logits against [B] class ids', async () => {
    const model = new ToyClassifier({ classes: 3, seed: 2 });
    const rows = [{ ids: [3, 5, 6], label: 0 }, { ids: [7, 8], label: 2 }, { ids: [9, 9, 10, 11], label: 0 }, { ids: [4], label: 1 }];
    const collate = (ex: typeof rows): Batch => {
      const len = Math.max(...ex.map((e) => e.ids.length));
      return { inputIds: tf.tensor2d(ex.map((e) => [...e.ids, ...Array(len - e.ids.length).fill(0)]), undefined, 'int32'), labels: tf.tensor1d(ex.map((e) => e.label), 'int32') };
    };
    const weights = [0.5, 2, 1];
    const want = tf.tidy(() => { const b = collate(rows); return sequenceClassificationLoss(model.forward(b).logits, b['labels'] as tf.Tensor, { where: 't', weight: weights }).dataSync()[0]!; });
    await expectNoLeaks(async () => {
      const trainer = new Trainer({ model, evalDataset: Dataset.fromArray(rows), collator: collate, evalBatchSize: 4, classWeights: weights });
      expect((await trainer.evaluate())['eval_loss']).toBeCloseTo(want, 6);
      trainer.optimizer.dispose();
    });
    model.dispose();
  });

  it('typed errors: wrong length, negative, non-finite, all zero, with computeLoss, a class missing for balanced — and nothing leaks', async () => {
    const model = new ToyTagger(3, ['O', 'B-PER', 'B-LOC']);
    const make = (classWeights: unknown, extra: object = {}) => () => new Trainer<Tagged>({ model, trainDataset: Dataset.fromArray(tagged), collator: tagCollator, classWeights: classWeights as number[], ...extra });
    await expectNoLeaks(async () => {
      expect(make([1, 2])).toThrow(/classWeights has 2 weights but the model has 3 classes \(num_labels: O, B-PER, B-LOC\): give one weight per class, in class-id order/);
      expect(make([1, -2, 1])).toThrow(/classWeights\[1\] \(B-PER\) = -2 is negative: class weights must be ≥ 0/);
      expect(make([1, 1, Number.NaN])).toThrow(/classWeights\[2\] \(B-LOC\) = NaN is not a finite number/);
      expect(make([1, Number.POSITIVE_INFINITY, 1])).toThrow(/classWeights\[1\] \(B-PER\) = Infinity is not a finite number/);
      expect(make([0, 0, 0])).toThrow(/classWeights are all 0/);
      expect(make([])).toThrow(/classWeights is empty/);
      expect(make('square')).toThrow(/classWeights must be an array of numbers \(one per class, in class-id order\) or 'balanced', got "square"/);
      expect(make([1, 1, 1], { computeLoss: () => tf.scalar(0) })).toThrow(/classWeights and computeLoss exclude each other/);
      for (const f of [make([1, 2]), make([1, -2, 1])]) expect(f).toThrow(FinetuneError);
      const noLoc = tagged.map((t) => ({ ids: t.ids, tags: t.tags.map((y) => (y === 2 ? 0 : y)) }));
      const trainer = new Trainer<Tagged>({ model, trainDataset: Dataset.fromArray(noLoc), collator: tagCollator, classWeights: 'balanced', maxSteps: 1 });
      await expect(trainer.train()).rejects.toThrow(/class 2 \(B-LOC\) never occurs in the training labels, so its 'balanced' weight would be infinite/);
      trainer.optimizer.dispose();
    });
    // A model whose config does not give the number of classes: the length is checked by the loss (an InputError naming `weight`).
    const bare = new ToyTagger(3);
    await expectNoLeaks(async () => {
      const trainer = new Trainer<Tagged>({ model: bare, trainDataset: Dataset.fromArray(tagged), collator: tagCollator, classWeights: [1, 2], maxSteps: 1 });
      await expect(trainer.train()).rejects.toThrow(/weight has 2 values for 3 classes \(num_labels\): give one weight per class/);
      trainer.optimizer.dispose();
    });
    model.dispose();
    bare.dispose();
  });
});
