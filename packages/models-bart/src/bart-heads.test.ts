import * as tf from '@tensorflow/tfjs-core';
import { Random, ShapeError, softmaxCrossEntropy } from '@tfkit/core-tensor';
import { InputError } from '@tfkit/layers';
import { expectAllClose, expectNoLeaks } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import type { BartConfigInput } from './bart-config.js';
import { BartForConditionalGeneration, BartForSequenceClassification, lastEosPositions } from './bart-heads.js';

const tiny: BartConfigInput = {
  vocabSize: 20, maxPositionEmbeddings: 16, dModel: 16, encoderLayers: 1, decoderLayers: 1, encoderAttentionHeads: 2, decoderAttentionHeads: 2,
  encoderFfnDim: 32, decoderFfnDim: 32, initStd: 0.2, dropout: 0, numLabels: 2,
};

/** Rows `<s> x… </s>` right-padded to 8; the class is whether token 5 occurs. */
function task(n: number, seed: number) {
  const rng = new Random(seed);
  const rows = Array.from({ length: n }, (_, i) => {
    const body = Array.from({ length: 2 + rng.int(4) }, () => 6 + rng.int(14));
    if (i % 2) body[rng.int(body.length)] = 5;
    return [0, ...body, 2];
  });
  const inputIds = rows.map((r) => [...r, ...new Array<number>(8 - r.length).fill(1)]);
  return { inputIds, attentionMask: rows.map((r) => [...r.map(() => 1), ...new Array<number>(8 - r.length).fill(0)]), labels: rows.map((_, i) => i % 2) };
}

describe('BartForSequenceClassification', () => {
  it('classifies the decoder state at each row\'s last eos with the dense → tanh → out_proj head', async () => {
    const model = new BartForSequenceClassification(tiny, { seed: 2 });
    const inputIds = [[0, 7, 8, 2, 9, 2, 1, 1], [0, 2, 11, 12, 13, 14, 15, 2]];
    const attentionMask = [[1, 1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1]];
    expect(lastEosPositions(inputIds, 2)).toEqual([5, 7]);
    await expectNoLeaks(() => tf.tidy(() => {
      const { logits } = model.forward({ inputIds, attentionMask });
      const hidden = model.model.forward({ inputIds, attentionMask }).lastHiddenState;
      const pooled = tf.reshape(tf.concat([tf.slice(hidden, [0, 5, 0], [1, 1, -1]), tf.slice(hidden, [1, 7, 0], [1, 1, -1])]), [2, 16]);
      const h = model.classification_head;
      const manual = tf.add(tf.matMul(tf.tanh(tf.add(tf.matMul(pooled, h.dense.weight.value), h.dense.bias!.value)), h.out_proj.weight.value), h.out_proj.bias!.value);
      expectAllClose(logits, manual, { atol: 1e-5 });
      expect(logits.shape).toEqual([2, 2]);
      const { loss } = model.forward({ inputIds, attentionMask, labels: [1, 0] });
      expectAllClose(loss!, softmaxCrossEntropy(logits, [1, 0]), { atol: 1e-6 });
    }));
    expect(() => model.forward({ inputIds: [[0, 7, 2, 2], [0, 7, 8, 2]] })).toThrow(/same number of eos tokens \(eos_token_id 2\); got 2, 1 per row/);
    expect(() => model.forward({ inputIds: [[0, 7, 8, 9]] })).toThrow(ShapeError);
    model.dispose();
  });

  it('regression with one label, multi-label targets with problem_type', async () => {
    const { inputIds, attentionMask } = task(4, 3);
    const regression = new BartForSequenceClassification({ ...tiny, numLabels: 1 }, { seed: 1 });
    const multi = new BartForSequenceClassification({ ...tiny, numLabels: 3, problemType: 'multi_label_classification' }, { seed: 1 });
    await expectNoLeaks(() => tf.tidy(() => {
      const r = regression.forward({ inputIds, attentionMask, labels: [0.5, 1, -1, 2] });
      expectAllClose(r.loss!, tf.mean(tf.square(tf.sub(tf.reshape(r.logits, [-1]), [0.5, 1, -1, 2]))), { atol: 1e-6 });
      const targets = [[1, 0, 1], [0, 0, 0], [1, 1, 1], [0, 1, 0]];
      const m = multi.forward({ inputIds, attentionMask, labels: targets });
      const z = m.logits;
      const bce = tf.mean(tf.add(tf.sub(tf.relu(z), tf.mul(z, targets)), tf.log1p(tf.exp(tf.neg(tf.abs(z))))));
      expectAllClose(m.loss!, bce, { atol: 1e-6 });
      expect(() => multi.forward({ inputIds, attentionMask, labels: [[1, 0], [0, 1], [1, 1], [0, 0]] })).toThrow(/labels is \[4,2\], expected \[4,3\]/);
    }));
    regression.dispose();
    multi.dispose();
  });

  it('trains: the loss falls and encoder, decoder and head all receive gradients', async () => {
    const model = new BartForSequenceClassification({ ...tiny, classifierDropout: 0.1 }, { seed: 5 });
    const data = task(16, 6);
    await expectNoLeaks(() => {
      model.train();
      const named = model.namedParameters({ trainableOnly: true });
      const { value, grads } = tf.variableGrads(() => model.forward(data).loss!, named.map(([, p]) => p.variable));
      for (const [name, p] of named) {
        const norm = tf.tidy(() => tf.norm(grads[p.variable.name]!).dataSync()[0]!);
        expect(norm > 0, name).toBe(true);
      }
      tf.dispose([value, ...Object.values(grads)]);
      const evalLoss = () => tf.tidy(() => model.eval().forward(data).loss!.dataSync()[0]!);
      const initial = evalLoss();
      model.train();
      const optimizer = tf.train.adam(0.01);
      for (let i = 0; i < 25; i++) optimizer.minimize(() => model.forward(data).loss!, false, model.trainableVariables());
      optimizer.dispose();
      expect(evalLoss()).toBeLessThan(initial * 0.5);
    }, 'classification training');
    model.dispose();
  });
});

describe('BART labels', () => {
  it('float class ids work as int ones; bad labels are InputErrors naming the entry, in both heads; nothing leaks', async () => {
    const classifier = new BartForSequenceClassification({ ...tiny, numLabels: 3 }, { seed: 3 });
    const generator = new BartForConditionalGeneration(tiny, { seed: 4 });
    const { inputIds, attentionMask } = task(2, 5);
    const lossOf = (out: { loss?: tf.Scalar }) => {
      const v = out.loss!.dataSync()[0] as number;
      tf.dispose(out as unknown as tf.TensorContainer);
      return v;
    };
    await expectNoLeaks(() => {
      const want = lossOf(classifier.forward({ inputIds, attentionMask, labels: [2, 0] }));
      const floatIds = tf.tensor1d([2, 0], 'float32');
      expect(lossOf(classifier.forward({ inputIds, attentionMask, labels: floatIds }))).toBe(want);
      floatIds.dispose();
      expect(() => classifier.forward({ inputIds, attentionMask, labels: [3, 3] })).toThrow(InputError);
      expect(() => classifier.forward({ inputIds, attentionMask, labels: [2, 3] })).toThrow(/^BartForSequenceClassification: labels\[1\] = 3 is not a class id: expected an integer in \[0, 3\) \(num_labels\)/);
      expect(() => classifier.forward({ inputIds, attentionMask, labels: [1, 0.5] })).toThrow(/labels\[1\] = 0.5 is not an integer/);
      expect(() => generator.forward({ inputIds, attentionMask, labels: [[0, 7, 20, 2], [0, 8, 2, -100]] })).toThrow(/^BartForConditionalGeneration: labels\[0\]\[2\] = 20 is outside the vocabulary \[0, 20\) \(vocab_size\)/);
      expect(lossOf(generator.forward({ inputIds, attentionMask, labels: [[0, 7, 9, 2], [0, 8, 2, -100]] }))).toBeGreaterThan(0);
    });
    classifier.dispose();
    generator.dispose();
  });
});
