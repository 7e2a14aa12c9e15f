import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectAllClose, expectNoLeaks, numericGradient } from '@tfkit/test-utils';
import { ShapeError } from '../errors.js';
import { linear, matMul2d } from './linear.js';
import { NODE_BACKENDS, onBackend, projectionLoss, randn, seeded, valueAndGrads } from './op-test-helpers.js';

/** The plain composition `linear` must equal, differentiated by tfjs's own gradients. */
function referenceLinear(x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor): tf.Tensor {
  const [inF, outF] = w.shape as [number, number];
  let y = tf.matMul(tf.reshape(x, [-1, inF]) as tf.Tensor2D, w as tf.Tensor2D);
  if (b) y = tf.add(y, b);
  return tf.reshape(y, [...x.shape.slice(0, -1), outF]);
}

describe.each(NODE_BACKENDS)('linear and matMul2d on %s', (backend) => {
  onBackend(backend);

  it('matches x·w + b for 3-D input, forward and backward', async () => {
    const rng = seeded(1);
    const x = randn(rng, [2, 3, 5]);
    const w = randn(rng, [5, 4]);
    const b = randn(rng, [4]);
    const loss = projectionLoss(rng, [2, 3, 4]);
    await expectNoLeaks(() => {
      const got = valueAndGrads((xx, ww, bb) => loss(linear(xx!, ww!, bb!)), [x, w, b]);
      const want = valueAndGrads((xx, ww, bb) => loss(referenceLinear(xx!, ww!, bb!)), [x, w, b]);
      expect(got.value).toBeCloseTo(want.value, 4);
      got.grads.forEach((g, i) => expectAllClose(g, want.grads[i]!, { atol: 1e-5, label: `grad ${i}` }));
      const y = linear(x, w, b);
      expect(y.shape).toEqual([2, 3, 4]);
      y.dispose();
    }, 'linear');
    tf.dispose([x, w, b]);
  });

  // Few rows and wide weights take the (W·dYᵀ)ᵀ arrangement for dX on wasm; many rows take dY·Wᵀ.
  for (const [rows, inF, outF] of [[2, 16, 32], [64, 4, 3]] as const) {
    it(`gradients match for ${rows} rows of ${inF} → ${outF}`, () => {
      const rng = seeded(rows);
      const x = randn(rng, [rows, inF]);
      const w = randn(rng, [inF, outF]);
      const b = randn(rng, [outF]);
      const loss = projectionLoss(rng, [rows, outF]);
      const got = valueAndGrads((xx, ww, bb) => loss(linear(xx!, ww!, bb!)), [x, w, b]);
      const want = valueAndGrads((xx, ww, bb) => loss(referenceLinear(xx!, ww!, bb!)), [x, w, b]);
      got.grads.forEach((g, i) => expectAllClose(g, want.grads[i]!, { atol: 1e-4, label: `grad ${i}` }));
      tf.dispose([x, w, b]);
    });
  }

  it('works without a bias and on 1-D input', () => {
    const rng = seeded(2);
    const x = randn(rng, [5]);
    const w = randn(rng, [5, 3]);
    const got = tf.tidy(() => linear(x, w).dataSync().slice());
    const want = tf.tidy(() => referenceLinear(x, w).dataSync().slice());
    expectAllClose(got, want, { atol: 1e-5 });
    const grads = valueAndGrads((xx, ww) => tf.sum(linear(xx!, ww!)) as tf.Scalar, [x, w]).grads;
    // d/dx Σ(x·w) = row sums of w; d/dw = x broadcast over columns.
    const wData = w.arraySync() as number[][];
    expectAllClose(grads[0]!, wData.map((r) => r.reduce((a, c) => a + c, 0)), { atol: 1e-5 });
    const xData = x.dataSync();
    expectAllClose(grads[1]!, Array.from(xData).flatMap((v) => [v, v, v]), { atol: 1e-6 });
    tf.dispose([x, w]);
  });

  it('agrees with finite differences', () => {
    const rng = seeded(3);
    const x = randn(rng, [3, 4]);
    const w = randn(rng, [4, 2]);
    const b = randn(rng, [2]);
    const loss = projectionLoss(rng, [3, 2]);
    const analytic = valueAndGrads((ww) => loss(linear(x, ww!, b)), [w]).grads[0]!;
    const numeric = numericGradient((ww) => loss(linear(x, ww, b)), w);
    expectAllClose(analytic, numeric, { atol: 2e-3, rtol: 2e-3 });
    tf.dispose([x, w, b]);
  });

  it('matMul2d multiplies and differentiates on the 2-D path', () => {
    const rng = seeded(4);
    const a = randn(rng, [3, 4]) as tf.Tensor2D;
    const b = randn(rng, [4, 5]) as tf.Tensor2D;
    const loss = projectionLoss(rng, [3, 5]);
    const got = valueAndGrads((aa, bb) => loss(matMul2d(aa as tf.Tensor2D, bb as tf.Tensor2D)), [a, b]);
    const want = valueAndGrads((aa, bb) => loss(tf.matMul(aa as tf.Tensor2D, bb as tf.Tensor2D)), [a, b]);
    got.grads.forEach((g, i) => expectAllClose(g, want.grads[i]!, { atol: 1e-5 }));
    tf.dispose([a, b]);
  });
});

describe('linear shape errors', () => {
  it('names the mismatching shapes', () => {
    tf.tidy(() => {
      const x = tf.zeros([2, 3]);
      const w = tf.zeros([4, 5]);
      expect(() => linear(x, w)).toThrow(ShapeError);
      expect(() => linear(x, w)).toThrow(/last axis is 3 but the weight expects 4/);
      expect(() => linear(x, tf.zeros([3]))).toThrow(/weight must be 2-D/);
      expect(() => linear(tf.zeros([2, 4]), w, tf.zeros([3]))).toThrow(/bias has 3 elements/);
      expect(() => matMul2d(x as tf.Tensor2D, w as tf.Tensor2D)).toThrow(/inner dimensions differ/);
    });
  });
});
