import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@tfkit/core-tensor';
import { InputError } from '@tfkit/layers';
import { expectNoLeaks, withBackend } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { GPT2ForSequenceClassification, GPT2LMHeadModel } from './gpt2-heads.js';

const tiny = { vocabSize: 40, nPositions: 16, nEmbd: 16, nLayer: 2, nHead: 2, residPdrop: 0, embdPdrop: 0, attnPdrop: 0 };

function batch(rows: number, len: number, vocab: number, seed: number): number[][] {
  const rng = new Random(seed);
  return Array.from({ length: rows }, () => Array.from({ length: len }, () => rng.int(vocab)));
}

/** Gradients of `loss` for every trainable variable, keyed by parameter name. */
function gradsByName(model: GPT2LMHeadModel | GPT2ForSequenceClassification, loss: () => tf.Scalar) {
  const named = model.namedParameters({ trainableOnly: true });
  const { value, grads } = tf.variableGrads(loss, named.map(([, p]) => p.variable));
  const byName = new Map(named.map(([n, p]) => [n, grads[p.variable.name] as tf.Tensor]));
  return { value, grads: byName };
}

describe.each(['cpu', 'wasm'])('GPT-2 training on %s', (backend) => {
  it('the causal-LM loss reaches every parameter (tied embedding included) and falls with Adam', async () => {
    await withBackend(backend, async () => {
      const model = new GPT2LMHeadModel(tiny, { seed: 1 }).train();
      const ids = batch(4, 12, tiny.vocabSize, 2);
      await expectNoLeaks(async () => {
        const { value, grads } = gradsByName(model, () => model.forward({ inputIds: ids, labels: ids }).loss as tf.Scalar);
        expect(grads.size).toBe(model.namedParameters().length);
        for (const [name, g] of grads) {
          const norm = tf.tidy(() => tf.norm(g).dataSync()[0] as number);
          expect(Number.isFinite(norm) && norm > 0, `gradient of ${name}`).toBe(true);
        }
        const initial = value.dataSync()[0] as number;
        expect(initial).toBeCloseTo(Math.log(tiny.vocabSize), 0);
        tf.dispose([value, ...grads.values()]);

        const optimizer = tf.train.adam(0.02);
        let last = initial;
        for (let step = 0; step < 30; step++) {
          const loss = optimizer.minimize(() => model.forward({ inputIds: ids, labels: ids }).loss as tf.Scalar, true, model.trainableVariables()) as tf.Scalar;
          last = (await loss.data())[0] as number;
          loss.dispose();
        }
        optimizer.dispose();
        expect(last).toBeLessThan(initial * 0.5);
      }, 'training');
      model.dispose();
    });
  });

  it('the loss ignores −100 labels and matches a hand-shifted cross-entropy', async () => {
    await withBackend(backend, () =>
      expectNoLeaks(() => {
        const model = new GPT2LMHeadModel(tiny, { seed: 3 });
        const ids = batch(2, 6, tiny.vocabSize, 4);
        const labels = ids.map((r) => r.map((t, i) => (i === 3 ? -100 : t)));
        const out = model.forward({ inputIds: ids, labels });
        const logp = tf.tidy(() => tf.logSoftmax(out.logits).arraySync() as number[][][]);
        let sum = 0;
        let count = 0;
        labels.forEach((row, b) => row.forEach((target, t) => {
          if (t === 0 || target === -100) return;
          sum -= (logp[b]?.[t - 1]?.[target] as number);
          count++;
        }));
        expect(out.loss?.dataSync()[0]).toBeCloseTo(sum / count, 4);
        tf.dispose(out as unknown as tf.TensorContainer);
        model.dispose();
      }),
    );
  });

  it('sequence classification trains through the last non-padding token', async () => {
    await withBackend(backend, () =>
      expectNoLeaks(() => {
        const model = new GPT2ForSequenceClassification({ ...tiny, numLabels: 3, padTokenId: 0 }, { seed: 5 }).train();
        const ids = [[5, 6, 7, 0, 0], [8, 9, 10, 11, 12]];
        expect(model.lastTokenIndices(ids)).toEqual([2, 4]);
        const { value, grads } = gradsByName(model, () => model.forward({ inputIds: ids, attentionMask: ids.map((r) => r.map((t) => (t ? 1 : 0))), labels: [2, 0] }).loss as tf.Scalar);
        expect(grads.has('score.weight')).toBe(true);
        for (const [name, g] of grads) expect(tf.tidy(() => tf.norm(g).dataSync()[0] as number), name).toBeGreaterThan(0);
        tf.dispose([value, ...grads.values()]);
        // The pooled logits are the per-position logits at each row's last real token.
        const out = model.forward({ inputIds: ids });
        const hidden = model.transformer.forward({ inputIds: ids }).lastHiddenState;
        const all = tf.tidy(() => model.score.forward(hidden).arraySync() as number[][][]);
        const pooled = out.logits.arraySync();
        expect(pooled[0]?.[1]).toBeCloseTo(all[0]?.[2]?.[1] as number, 5);
        expect(pooled[1]?.[2]).toBeCloseTo(all[1]?.[4]?.[2] as number, 5);
        tf.dispose([out.logits, hidden]);
        model.dispose();
      }),
    );
  });
});

describe('GPT-2 labels', () => {
  it('float class ids work as int ones (they crashed with a broadcast error); bad labels are InputErrors naming the entry; nothing leaks', async () => {
    const classifier = new GPT2ForSequenceClassification({ ...tiny, numLabels: 3, padTokenId: 0 }, { seed: 5 });
    const lm = new GPT2LMHeadModel(tiny, { seed: 3 });
    const ids = [[5, 6, 7, 0, 0], [8, 9, 10, 11, 12]];
    const lossOf = (out: { loss?: tf.Scalar }) => {
      const v = out.loss!.dataSync()[0] as number;
      tf.dispose(out as unknown as tf.TensorContainer);
      return v;
    };
    await expectNoLeaks(() => {
      const want = lossOf(classifier.forward({ inputIds: ids, labels: [2, 0] }));
      const floatIds = tf.tensor1d([2, 0], 'float32');
      const intIds = tf.tensor1d([2, 0], 'int32');
      expect(lossOf(classifier.forward({ inputIds: ids, labels: floatIds }))).toBe(want);
      expect(lossOf(classifier.forward({ inputIds: ids, labels: intIds }))).toBe(want);
      tf.dispose([floatIds, intIds]);
      expect(() => classifier.forward({ inputIds: ids, labels: [3, 3] })).toThrow(InputError);
      expect(() => classifier.forward({ inputIds: ids, labels: [2, 3] })).toThrow(/^GPT2ForSequenceClassification: labels\[1\] = 3 is not a class id: expected an integer in \[0, 3\) \(num_labels\)/);
      expect(() => classifier.forward({ inputIds: ids, labels: [0.5, 1] })).toThrow(/labels\[0\] = 0.5 is not an integer/);
      expect(() => lm.forward({ inputIds: ids, labels: [[5, 6, 40, 0, 0], [8, 9, 10, 11, 12]] })).toThrow(/labels\[0\]\[2\] = 40 is not a class id: expected an integer in \[0, 40\) \(vocab_size\)/);
      expect(lossOf(lm.forward({ inputIds: ids, labels: ids.map((r) => r.map(() => -100)) }))).toBeNaN();
    });
    classifier.dispose();
    lm.dispose();
  });
});
