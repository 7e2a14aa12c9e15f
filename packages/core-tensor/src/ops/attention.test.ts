import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectAllClose, expectNoLeaks } from '@tfkit/test-utils';
import { MASK_VALUE, causalMask, combineMasks, paddingMask, scaledDotProductAttention } from './attention.js';
import { NODE_BACKENDS, onBackend, projectionLoss, randn, seeded, valueAndGrads } from './op-test-helpers.js';

/** softmax(q·kᵀ/√d + mask)·v with tfjs's batched matMul and autodiff. */
function referenceAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask: tf.Tensor | null): tf.Tensor {
  let scores = tf.div(tf.matMul(q as tf.Tensor4D, k as tf.Tensor4D, false, true), Math.sqrt(q.shape[3] as number));
  if (mask) scores = tf.add(scores, mask);
  return tf.matMul(tf.softmax(scores) as tf.Tensor4D, v as tf.Tensor4D);
}

describe('masks', () => {
  it('paddingMask, causalMask and combineMasks are additive 0 / MASK_VALUE masks', () => {
    const pad = tf.tensor2d([[1, 1, 0]], [1, 3], 'int32');
    const padMask = paddingMask(pad);
    expect(padMask.shape).toEqual([1, 1, 1, 3]);
    expectAllClose(padMask, [0, 0, MASK_VALUE], { atol: 0 });
    const causal = causalMask(2, 3);
    // Query i sits at absolute position 1 + i: it sees keys 0..1+i.
    expect(causal.arraySync()).toEqual([[[[0, 0, MASK_VALUE], [0, 0, 0]]]]);
    // Two masked entries saturate at MASK_VALUE instead of overflowing to −∞.
    const both = combineMasks(padMask, causal, null)!;
    expect(both.shape).toEqual([1, 1, 2, 3]);
    expectAllClose(both, [0, 0, MASK_VALUE, 0, 0, MASK_VALUE], { atol: 0 });
    expect(combineMasks(null, undefined)).toBeNull();
    tf.dispose([pad, padMask, causal, both]);
  });
});

describe.each(NODE_BACKENDS)('scaledDotProductAttention on %s', (backend) => {
  onBackend(backend);

  // [batch, heads, tq, tk, d]: tiny slices take wasm's batched loop, larger ones per-head 2-D matMuls.
  for (const [b, h, tq, tk, d] of [[2, 2, 4, 4, 3], [2, 3, 32, 32, 64], [2, 2, 1, 6, 4]] as const) {
    it(`matches the formula with padding + causal masks, forward and backward ([${b},${h},${tq},${tk},${d}])`, async () => {
      const rng = seeded(tq * 31 + d);
      const q = randn(rng, [b, h, tq, d]);
      const k = randn(rng, [b, h, tk, d]);
      const v = randn(rng, [b, h, tk, d]);
      const padding = tf.tensor2d(Array.from({ length: b }, (_, row) => Array.from({ length: tk }, (_, j) => (j < tk - row ? 1 : 0))), [b, tk], 'int32');
      const mask = tf.tidy(() => combineMasks(paddingMask(padding), causalMask(tq, tk))!);
      const loss = projectionLoss(rng, [b, h, tq, d]);
      await expectNoLeaks(() => {
        const got = valueAndGrads((x, y, z) => loss(scaledDotProductAttention(x!, y!, z!, mask).output), [q, k, v]);
        const want = valueAndGrads((x, y, z) => loss(referenceAttention(x!, y!, z!, mask)), [q, k, v]);
        expect(got.value).toBeCloseTo(want.value, 3);
        got.grads.forEach((g, i) => expectAllClose(g, want.grads[i]!, { atol: 1e-4, rtol: 1e-4, label: `d${'qkv'[i]}` }));
      }, 'attention');
      tf.dispose([q, k, v, padding, mask]);
    });
  }

  it('returns probabilities that sum to one, uniform over a fully masked row', () => {
    const rng = seeded(5);
    const q = randn(rng, [1, 1, 2, 4]);
    const k = randn(rng, [1, 1, 3, 4]);
    const v = randn(rng, [1, 1, 3, 4]);
    const mask = tf.tensor4d([0, 0, MASK_VALUE, MASK_VALUE, MASK_VALUE, MASK_VALUE], [1, 1, 2, 3]);
    const { output, probs } = scaledDotProductAttention(q, k, v, mask, { returnProbs: true });
    const p = probs!.arraySync() as number[][][][];
    const rows = p[0]![0]!;
    expect(rows[0]![2]).toBe(0);
    expectAllClose(rows.map((row) => row.reduce((a, c) => a + c, 0)), [1, 1], { atol: 1e-6 });
    expectAllClose(rows[1]!, [1 / 3, 1 / 3, 1 / 3], { atol: 1e-6 });
    expect(output.shape).toEqual([1, 1, 2, 4]);
    tf.dispose([q, k, v, mask, output, probs!]);
  });

  it('broadcasts keys and values shared across heads', () => {
    const rng = seeded(6);
    const q = randn(rng, [2, 3, 4, 5]);
    const k = randn(rng, [2, 1, 4, 5]);
    const v = randn(rng, [2, 1, 4, 5]);
    const got = tf.tidy(() => scaledDotProductAttention(q, k, v).output.dataSync().slice());
    const want = tf.tidy(() => referenceAttention(q, tf.tile(k, [1, 3, 1, 1]), tf.tile(v, [1, 3, 1, 1]), null).dataSync().slice());
    expectAllClose(got, want, { atol: 1e-5 });
    tf.dispose([q, k, v]);
  });

  it('applies a custom scale and dropout on the probabilities', () => {
    const rng = seeded(7);
    const q = randn(rng, [1, 2, 3, 4]);
    const k = randn(rng, [1, 2, 3, 4]);
    const v = randn(rng, [1, 2, 3, 4]);
    const zeroed = tf.tidy(() => scaledDotProductAttention(q, k, v, null, { dropout: (p) => tf.mul(p, 0) }).output.dataSync().slice());
    expectAllClose(zeroed, new Float32Array(zeroed.length), { atol: 0 });
    const scaled = tf.tidy(() => scaledDotProductAttention(q, k, v, null, { scale: 1 }).output.dataSync().slice());
    const want = tf.tidy(() => referenceAttention(tf.mul(q, Math.sqrt(4)), k, v, null).dataSync().slice());
    expectAllClose(scaled, want, { atol: 1e-5 });
    tf.dispose([q, k, v]);
  });
});
