// Past keys/values (what prefix tuning feeds BERT): the attention over [past; input] computed by
// hand, a fully masked past that changes nothing, Hugging Face's shifted default positions.
import * as tf from '@tensorflow/tfjs-core';
import { fixturePath } from '@tfkit/test-utils';
import { expectAllClose, expectNoLeaks } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { BertForSequenceClassification } from './bert-heads.js';
import { BertModel, type LayerKeyValue } from './bert-modeling.js';

const ids = [[2, 15, 27, 99, 3], [2, 8, 41, 3, 0]];
const mask = [[1, 1, 1, 1, 1], [1, 1, 1, 1, 0]];
const P = 3;

/** Random past keys/values `[2, heads, P, headDim]` for every layer. */
function randomPast(model: BertModel, seed: number): LayerKeyValue[] {
  const { numHiddenLayers: l, numAttentionHeads: h, hiddenSize: c } = model.config;
  return Array.from({ length: l }, (_, i) => ({
    key: tf.randomNormal([2, h, P, c / h], 0, 1, 'float32', seed + 2 * i),
    value: tf.randomNormal([2, h, P, c / h], 0, 1, 'float32', seed + 2 * i + 1),
  }));
}

describe('BERT with pastKeyValues', () => {
  it('self-attention over [past; input] matches the attention computed by hand', async () => {
    const model = new BertModel({ vocabSize: 100, hiddenSize: 16, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 32, maxPositionEmbeddings: 16 }, { seed: 4 });
    model.eval();
    const past = randomPast(model, 10);
    const fullMask = tf.tensor2d([[1, 1, 1, ...(mask[0] as number[])], [1, 0, 1, ...(mask[1] as number[])]], undefined, 'int32');
    const hidden = tf.randomNormal([2, 5, 16], 0, 1, 'float32', 3);
    const additive = tf.tidy(() => tf.reshape(tf.mul(tf.sub(1, tf.cast(fullMask, 'float32')), -1e9), [2, 1, 1, P + 5]));
    await expectNoLeaks(() => {
      const self = model.encoder.layer.at(0).attention.self;
      const { context, probs } = self.forward(hidden, additive, true, past[0] as LayerKeyValue);
      const want = tf.tidy(() => {
        const heads = (x: tf.Tensor) => tf.transpose(tf.reshape(x, [2, 5, 2, 8]), [0, 2, 1, 3]);
        const q = heads(self.query.forward(hidden));
        const k = tf.concat([(past[0] as LayerKeyValue).key, heads(self.key.forward(hidden))], 2);
        const v = tf.concat([(past[0] as LayerKeyValue).value, heads(self.value.forward(hidden))], 2);
        const scores = tf.add(tf.div(tf.matMul(q, k, false, true), Math.sqrt(8)), additive);
        const p = tf.softmax(scores);
        return { p, out: tf.reshape(tf.transpose(tf.matMul(p, v), [0, 2, 1, 3]), [2, 5, 16]) };
      });
      expect(probs?.shape).toEqual([2, 2, 5, P + 5]);
      expectAllClose(context, want.out, { atol: 1e-5 });
      expectAllClose(probs as tf.Tensor, want.p, { atol: 1e-6 });
      // Masked past slots get no attention.
      expect(tf.tidy(() => tf.max(tf.slice(probs as tf.Tensor, [1, 0, 0, 1], [1, 2, 5, 1])).dataSync()[0])).toBeLessThan(1e-12);
      tf.dispose([context, probs, want.p, want.out]);
    });
    tf.dispose([hidden, fullMask, additive, ...past.flatMap((kv) => [kv.key, kv.value])]);
    model.dispose();
  });

  it('a fully masked past changes nothing; default positions start after the past (Hugging Face)', async () => {
    const model = await BertForSequenceClassification.fromPretrained(fixturePath('models', 'bert-sequence-classification'));
    const past = randomPast(model.bert, 20);
    const withPast = (pastMask: number, extra: Record<string, unknown> = {}) =>
      (model.forward({ inputIds: ids, attentionMask: mask.map((r) => [...Array<number>(P).fill(pastMask), ...r]), pastKeyValues: past, ...extra }) as { logits: tf.Tensor }).logits;
    await expectNoLeaks(() => {
      const plain = tf.tidy(() => (model.forward({ inputIds: ids, attentionMask: mask }) as { logits: tf.Tensor }).logits);
      const masked = tf.tidy(() => withPast(0, { positionIds: [[0, 1, 2, 3, 4], [0, 1, 2, 3, 4]] }));
      expectAllClose(masked, plain, { atol: 1e-5 });
      const seen = tf.tidy(() => withPast(1));
      expect(tf.tidy(() => tf.max(tf.abs(tf.sub(seen, plain))).dataSync()[0])).toBeGreaterThan(1e-3);
      const shifted = tf.tidy(() => withPast(1, { positionIds: [[3, 4, 5, 6, 7], [3, 4, 5, 6, 7]] }));
      expectAllClose(seen, shifted, { atol: 1e-6 });
      tf.dispose([plain, masked, seen, shifted]);
    });
    expect(() => model.forward({ inputIds: ids, attentionMask: mask, pastKeyValues: past })).toThrow(/attentionMask is \[2,5\], expected \[2,8\] \(batch, past \+ input tokens\)/);
    expect(() => model.forward({ inputIds: ids, pastKeyValues: past.slice(1) })).toThrow(/pastKeyValues has 1 layers, the model 2/);
    tf.dispose(past.flatMap((kv) => [kv.key, kv.value]));
    model.dispose();
  });
});
