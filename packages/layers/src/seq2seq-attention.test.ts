import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectAllClose, expectNoLeaks, withBackend } from '@tfkit/test-utils';
import { Random } from '@tfkit/core-tensor';
import { BahdanauAttention, LuongAttention } from './seq2seq-attention.js';

const BACKENDS = ['cpu', 'wasm'] as const;

describe.each(BACKENDS)('seq2seq attention on %s', (backend) => {
  it('Bahdanau: weights = softmax_i(vᵀ tanh(W_q s + W_k h_i + b)), context = Σ weights·h_i', async () => {
    await withBackend(backend, async () => {
      const att = new BahdanauAttention(5, 4, 6, { rng: new Random(1) });
      await expectNoLeaks(() => tf.tidy(() => {
        const s = tf.randomNormal([2, 5], 0, 1, 'float32', 2);
        const keys = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 3);
        // Position by position, one source state at a time.
        const scores = tf.unstack(keys, 1).map((h) =>
          tf.matMul(tf.tanh(tf.add(tf.add(tf.matMul(s, att.query_proj.weight.value), tf.matMul(h, att.key_proj.weight.value)), att.key_proj.bias!.value)), att.v.weight.value),
        );
        const weights = tf.softmax(tf.concat(scores, 1)); // (2, 3)
        const context = tf.sum(tf.mul(tf.expandDims(weights, 2), keys), 1);
        const out = att.forward(s, keys);
        expectAllClose(out.weights, weights, { atol: 1e-6 });
        expectAllClose(out.context, context, { atol: 1e-5 });
        // Precomputed keys, many queries at once, and a padding mask.
        const many = att.forward(tf.stack([s, s], 1), keys, { projectedKeys: att.projectKeys(keys), mask: tf.tensor2d([[1, 1, 1], [1, 1, 0]]) });
        expect(many.context.shape).toEqual([2, 2, 4]);
        expectAllClose(tf.slice(many.weights, [0, 0, 0], [1, 2, 3]), tf.stack([tf.slice(weights, [0, 0], [1, 3]), tf.slice(weights, [0, 0], [1, 3])], 1), { atol: 1e-6 });
        expectAllClose(tf.slice(many.weights, [1, 0, 2], [1, 2, 1]), [[[0], [0]]], { atol: 0 });
        expectAllClose(tf.sum(many.weights, 2), [[1, 1], [1, 1]], { atol: 1e-6 });
      }));
      await expectNoLeaks(() => {
        const keys = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 4);
        const { value, grads } = tf.variableGrads(() => tf.sum(att.forward(tf.ones([2, 5]), keys).context) as tf.Scalar, att.trainableVariables());
        expect(Object.keys(grads)).toHaveLength(4);
        tf.dispose([keys, value, ...Object.values(grads)]);
      });
      att.dispose();
    });
  });

  it("Luong 'dot' and 'general' score sᵀh and sᵀW_a h", async () => {
    await withBackend(backend, async () => {
      const dot = new LuongAttention(4, 4, { score: 'dot' });
      const general = new LuongAttention(5, 4, { score: 'general', rng: new Random(5) });
      await expectNoLeaks(() => tf.tidy(() => {
        const keys = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 6);
        const values = tf.randomNormal([2, 3, 7], 0, 1, 'float32', 7);
        const q4 = tf.randomNormal([2, 4], 0, 1, 'float32', 8);
        const w = tf.softmax(tf.sum(tf.mul(tf.expandDims(q4, 1), keys), 2));
        const d = dot.forward(q4, keys, { values });
        expectAllClose(d.weights, w, { atol: 1e-6 });
        expectAllClose(d.context, tf.sum(tf.mul(tf.expandDims(w, 2), values), 1), { atol: 1e-5 });
        const q5 = tf.randomNormal([2, 5], 0, 1, 'float32', 9);
        const projected = tf.reshape(tf.matMul(tf.reshape(keys, [6, 4]), general.linear_in!.weight.value), [2, 3, 5]);
        const wg = tf.softmax(tf.sum(tf.mul(tf.expandDims(q5, 1), projected), 2));
        expectAllClose(general.forward(q5, keys).weights, wg, { atol: 1e-6 });
        // Keys projected once per sequence give the same attention.
        expectAllClose(general.forward(q5, keys, { projectedKeys: general.projectKeys(keys) }).weights, wg, { atol: 1e-6 });
        expectAllClose(general.projectKeys(keys), projected, { atol: 1e-6 });
      }));
      expect(() => new LuongAttention(5, 4, { score: 'dot' })).toThrow(/must equal/);
      general.dispose();
    });
  });
});
