import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '@tfkit/layers';
import { expectAllClose, expectNoLeaks, withBackend } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import {
  BertForMaskedLM, BertForMultipleChoice, BertForNextSentencePrediction, BertForPreTraining, BertForQuestionAnswering,
  BertForSequenceClassification, BertForTokenClassification,
} from './bert-heads.js';
import { BertModel } from './bert-modeling.js';

const tiny = { vocabSize: 40, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 4, intermediateSize: 24, maxPositionEmbeddings: 16, initializerRange: 0.2 };
const ids = [[2, 11, 12, 13, 4, 3], [2, 21, 22, 3, 0, 0]];
const mask = [[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0]];

/** Mean cross-entropy of rows of `logits` (flattened to [N, C]) against labels, skipping `ignore`. */
function refCrossEntropy(logits: tf.Tensor, labels: number[], ignore = -100): number {
  const c = logits.shape[logits.rank - 1]!;
  const z = logits.dataSync();
  let total = 0;
  let count = 0;
  labels.forEach((label, i) => {
    if (label === ignore) return;
    const row = Array.from(z.subarray(i * c, (i + 1) * c));
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
    total += lse - row[label]!;
    count++;
  });
  return total / count;
}

describe('task heads: outputs and losses', () => {
  it('BertForPreTraining: loss = MLM (ignore −100) + NSP', async () => {
    const model = new BertForPreTraining(tiny, { seed: 1 });
    const labels = [[-100, -100, 12, -100, 7, -100], [-100, 30, -100, -100, -100, -100]];
    await expectNoLeaks(() => {
      const out = model.forward({ inputIds: ids, attentionMask: mask, labels, nextSentenceLabel: [1, 0] });
      expect(out.predictionLogits.shape).toEqual([2, 6, 40]);
      expect(out.seqRelationshipLogits.shape).toEqual([2, 2]);
      const want = refCrossEntropy(out.predictionLogits, labels.flat()) + refCrossEntropy(out.seqRelationshipLogits, [1, 0]);
      expect(out.loss!.dataSync()[0]).toBeCloseTo(want, 4);
      tf.dispose(out as unknown as tf.TensorContainer);
    });
    model.dispose();
  });

  it('BertForMaskedLM and BertForNextSentencePrediction: their own losses', async () => {
    const mlm = new BertForMaskedLM(tiny, { seed: 2 });
    const nsp = new BertForNextSentencePrediction(tiny, { seed: 2 });
    await expectNoLeaks(() => {
      const labels = [[-100, 1, -100, -100, 5, -100], [-100, -100, -100, 9, -100, -100]];
      const a = mlm.forward({ inputIds: ids, attentionMask: mask, labels });
      expect(a.loss!.dataSync()[0]).toBeCloseTo(refCrossEntropy(a.logits, labels.flat()), 4);
      const b = nsp.forward({ inputIds: ids, attentionMask: mask, labels: [0, 1] });
      expect(b.logits.shape).toEqual([2, 2]);
      expect(b.loss!.dataSync()[0]).toBeCloseTo(refCrossEntropy(b.logits, [0, 1]), 4);
      tf.dispose([a, b] as unknown as tf.TensorContainer);
    });
    mlm.dispose();
    nsp.dispose();
  });

  it('BertForSequenceClassification: single-label, multi-label and regression, inferred or from problem_type', async () => {
    const single = new BertForSequenceClassification({ ...tiny, numLabels: 3 }, { seed: 3 });
    const multi = new BertForSequenceClassification({ ...tiny, numLabels: 3, problemType: 'multi_label_classification' }, { seed: 3 });
    const regression = new BertForSequenceClassification({ ...tiny, numLabels: 1 }, { seed: 3 });
    await expectNoLeaks(() => {
      const s = single.forward({ inputIds: ids, attentionMask: mask, labels: [2, 0] });
      expect(s.logits.shape).toEqual([2, 3]);
      expect(s.loss!.dataSync()[0]).toBeCloseTo(refCrossEntropy(s.logits, [2, 0]), 4);

      const targets = [[1, 0, 1], [0, 0, 1]];
      const m = multi.forward({ inputIds: ids, attentionMask: mask, labels: targets });
      const z = m.logits.dataSync();
      const bce = targets.flat().reduce((acc, y, i) => acc - (y * Math.log(1 / (1 + Math.exp(-z[i]!))) + (1 - y) * Math.log(1 - 1 / (1 + Math.exp(-z[i]!)))), 0) / 6;
      expect(m.loss!.dataSync()[0]).toBeCloseTo(bce, 4);
      // Without problem_type, [batch, labels] float targets also mean multi-label.
      const targetTensor = tf.tensor2d(targets);
      const inferred = single.forward({ inputIds: ids, attentionMask: mask, labels: targetTensor });
      expect(inferred.loss!.dataSync()[0]).toBeGreaterThan(0);

      const r = regression.forward({ inputIds: ids, attentionMask: mask, labels: [0.5, -1.5] });
      const y = r.logits.dataSync();
      expect(r.logits.shape).toEqual([2, 1]);
      expect(r.loss!.dataSync()[0]).toBeCloseTo(((y[0]! - 0.5) ** 2 + (y[1]! + 1.5) ** 2) / 2, 4);
      tf.dispose([s, m, inferred, r, targetTensor] as unknown as tf.TensorContainer);
    });
    for (const model of [single, multi, regression]) model.dispose();
  });

  it('every head checks its labels alike: float ids = int ids, out-of-range or fractional labels are InputErrors naming the entry, nothing leaks', async () => {
    const seq = new BertForSequenceClassification({ ...tiny, numLabels: 3 }, { seed: 3 });
    const tok = new BertForTokenClassification({ ...tiny, numLabels: 5 }, { seed: 4 });
    const mlm = new BertForMaskedLM(tiny, { seed: 2 });
    const qa = new BertForQuestionAnswering(tiny, { seed: 5 });
    const lossOf = (out: { loss?: tf.Scalar }) => {
      const v = out.loss!.dataSync()[0] as number;
      tf.dispose(out as unknown as tf.TensorContainer);
      return v;
    };
    const inputs = { inputIds: ids, attentionMask: mask };
    await expectNoLeaks(() => {
      const want = lossOf(seq.forward({ ...inputs, labels: [2, 0] }));
      const floatIds = tf.tensor1d([2, 0], 'float32');
      expect(lossOf(seq.forward({ ...inputs, labels: floatIds }))).toBe(want);
      expect(lossOf(seq.forward({ ...inputs, labels: [[2], [0]] }))).toBe(want);
      floatIds.dispose();
      // [3, 3] used to give 0 and [2, 3] half the loss: a label ≥ num_labels scored nothing.
      expect(() => seq.forward({ ...inputs, labels: [3, 3] })).toThrow(InputError);
      expect(() => seq.forward({ ...inputs, labels: [2, 3] })).toThrow(/^BertForSequenceClassification: labels\[1\] = 3 is not a class id: expected an integer in \[0, 3\) \(num_labels\)/);
      expect(() => seq.forward({ ...inputs, labels: [2.5, 0] })).toThrow(/labels\[0\] = 2.5 is not an integer/);
      expect(() => tok.forward({ ...inputs, labels: [[-100, 1, 2, 0, 4, -100], [-100, 5, 3, -100, -100, -100]] })).toThrow(/BertForTokenClassification: labels\[1\]\[1\] = 5 is not a class id/);
      expect(() => mlm.forward({ ...inputs, labels: [[-100, 40, -100, -100, -100, -100], [-100, -100, -100, -100, -100, -100]] })).toThrow(/BertForMaskedLM: labels\[0\]\[1\] = 40 is not a class id: expected an integer in \[0, 40\) \(vocab_size\)/);
      expect(() => qa.forward({ ...inputs, startPositions: [1.5, 0], endPositions: [2, 3] })).toThrow(/BertForQuestionAnswering: startPositions\[0\] = 1.5 is not an integer/);
      // Every label ignored: NaN, as PyTorch's mean over no positions.
      expect(lossOf(mlm.forward({ ...inputs, labels: [[-100, -100, -100, -100, -100, -100], [-100, -100, -100, -100, -100, -100]] }))).toBeNaN();
    });
    for (const model of [seq, tok, mlm, qa]) model.dispose();
  });

  it('BertForTokenClassification: per-token logits, loss over labelled tokens only', async () => {
    const model = new BertForTokenClassification({ ...tiny, numLabels: 5 }, { seed: 4 });
    const labels = [[-100, 1, 2, 0, 4, -100], [-100, 3, 3, -100, -100, -100]];
    await expectNoLeaks(() => {
      const out = model.forward({ inputIds: ids, attentionMask: mask, labels });
      expect(out.logits.shape).toEqual([2, 6, 5]);
      expect(out.loss!.dataSync()[0]).toBeCloseTo(refCrossEntropy(out.logits, labels.flat()), 4);
      tf.dispose(out as unknown as tf.TensorContainer);
    });
    model.dispose();
  });

  it('BertForQuestionAnswering: span loss is the mean of start and end losses; out-of-range positions are ignored', async () => {
    const model = new BertForQuestionAnswering(tiny, { seed: 5 });
    await expectNoLeaks(() => {
      const out = model.forward({ inputIds: ids, attentionMask: mask, startPositions: [2, 1], endPositions: [3, 99] });
      expect(out.startLogits.shape).toEqual([2, 6]);
      expect(out.endLogits.shape).toEqual([2, 6]);
      // Position 99 is clamped to 6 = seq length, the ignore index: only row 0's end counts.
      const want = (refCrossEntropy(out.startLogits, [2, 1]) + refCrossEntropy(out.endLogits, [3, -100])) / 2;
      expect(out.loss!.dataSync()[0]).toBeCloseTo(want, 4);
      tf.dispose(out as unknown as tf.TensorContainer);
    });
    model.dispose();
  });

  it('BertForMultipleChoice: [batch, choices, seq] inputs → [batch, choices] logits and loss', async () => {
    const model = new BertForMultipleChoice(tiny, { seed: 6 });
    const choices = [ids, [[2, 5, 6, 3, 0, 0], [2, 7, 3, 0, 0, 0]]];
    const choiceMask = choices.map((c) => c.map((row) => row.map((v) => (v === 0 ? 0 : 1))));
    await expectNoLeaks(() => {
      const out = model.forward({ inputIds: choices, attentionMask: choiceMask, labels: [1, 0] });
      expect(out.logits.shape).toEqual([2, 2]);
      expect(out.loss!.dataSync()[0]).toBeCloseTo(refCrossEntropy(out.logits, [1, 0]), 4);
      tf.dispose(out as unknown as tf.TensorContainer);
    });
    model.dispose();
  });
});

describe('BertModel behaviour', () => {
  it('padding does not change the real tokens’ outputs, for any sequence length', async () => {
    const model = new BertModel(tiny, { seed: 7 });
    await expectNoLeaks(() => {
      for (const len of [1, 3, 9]) {
        const row = Array.from({ length: len }, (_, i) => 5 + i);
        const alone = model.forward({ inputIds: [row] });
        const padded = model.forward({ inputIds: [[...row, 0, 0, 0]], attentionMask: [[...row.map(() => 1), 0, 0, 0]] });
        expect(alone.lastHiddenState.shape).toEqual([1, len, 16]);
        const real = tf.slice(padded.lastHiddenState, [0, 0, 0], [1, len, 16]);
        expectAllClose(real, alone.lastHiddenState, { atol: 1e-5 });
        expectAllClose(padded.poolerOutput!, alone.poolerOutput!, { atol: 1e-5 });
        tf.dispose([alone, padded, real] as unknown as tf.TensorContainer);
      }
    });
    expect(() => model.forward({ inputIds: [Array.from({ length: 17 }, () => 5)] })).toThrow(/max_position_embeddings 16/);
    model.dispose();
  });

  it('dropout acts in train mode only, reproducibly from the seed', async () => {
    const outputs = () => {
      const model = new BertForSequenceClassification(tiny, { seed: 8 });
      const evalOut = tf.tidy(() => model.forward({ inputIds: ids }).logits);
      model.train();
      const trainOut = tf.tidy(() => model.forward({ inputIds: ids }).logits);
      const data = [evalOut.dataSync().slice(), trainOut.dataSync().slice()];
      tf.dispose([evalOut, trainOut]);
      model.dispose();
      return data;
    };
    const [eval1, train1] = outputs();
    const [eval2, train2] = outputs();
    expect(Array.from(train1!)).not.toEqual(Array.from(eval1!));
    expect(Array.from(train2!)).toEqual(Array.from(train1!));
    expect(Array.from(eval2!)).toEqual(Array.from(eval1!));
  });

  it.each(['cpu', 'wasm'])('gradients reach every parameter of BertForPreTraining on %s', async (backend) => {
    await withBackend(backend, async () => {
      const model = new BertForPreTraining(tiny, { seed: 9 }).train();
      const labels = [[-100, 11, -100, -100, 7, -100], [-100, -100, 22, -100, -100, -100]];
      await expectNoLeaks(() => {
        const vars = model.trainableVariables();
        const { value, grads } = tf.variableGrads(
          () => model.forward({ inputIds: ids, attentionMask: mask, tokenTypeIds: [[0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 0, 0]], labels, nextSentenceLabel: [0, 1] }).loss!,
          vars,
        );
        const named = model.namedParameters();
        expect(Object.keys(grads)).toHaveLength(named.length);
        for (const [name, p] of named) {
          const g = grads[p.variable.name];
          expect(g, name).toBeDefined();
          expect(tf.tidy(() => tf.max(tf.abs(g!)).dataSync()[0]), `gradient of ${name}`).toBeGreaterThan(0);
        }
        tf.dispose([value, ...Object.values(grads)]);
      }, 'variableGrads');
      model.dispose();
    });
  });
});
