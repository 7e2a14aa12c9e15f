import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectAllClose, expectNoLeaks, numericGradient } from '@tfkit/test-utils';
import { layerNorm } from './norm.js';
import { NODE_BACKENDS, onBackend, projectionLoss, randn, seeded, valueAndGrads } from './op-test-helpers.js';

/** Layer norm written out, differentiated by tfjs's own gradients. */
function referenceLayerNorm(x: tf.Tensor, gamma: tf.Tensor | null, beta: tf.Tensor | null, eps: number): tf.Tensor {
  const mean = tf.mean(x, -1, true);
  const variance = tf.mean(tf.square(tf.sub(x, mean)), -1, true);
  let y = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps)));
  if (gamma) y = tf.mul(y, gamma);
  if (beta) y = tf.add(y, beta);
  return y;
}

describe.each(NODE_BACKENDS)('layerNorm on %s', (backend) => {
  onBackend(backend);

  it('normalises the last axis to zero mean and unit variance', () => {
    const x = tf.tensor2d([[1, 2, 3, 4], [10, 10, 10, 14]]);
    const y = tf.tidy(() => layerNorm(x, null, null, 0).arraySync() as number[][]);
    const s = Math.sqrt(1.25);
    expectAllClose(y[0]!, [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s], { atol: 1e-5 });
    expectAllClose(y[1]!, [-1 / Math.sqrt(3), -1 / Math.sqrt(3), -1 / Math.sqrt(3), Math.sqrt(3)], { atol: 1e-5 });
    x.dispose();
  });

  for (const [label, withGamma, withBeta] of [
    ['γ and β', true, true],
    ['γ only', true, false],
    ['β only', false, true],
    ['neither', false, false],
  ] as const) {
    it(`forward and gradients match autodiff of the formula (${label})`, async () => {
      const rng = seeded(11);
      const x = randn(rng, [2, 3, 6], 2);
      const gamma = randn(rng, [6]);
      const beta = randn(rng, [6]);
      const loss = projectionLoss(rng, [2, 3, 6]);
      const inputs = [x, ...(withGamma ? [gamma] : []), ...(withBeta ? [beta] : [])];
      const split = (ts: tf.Tensor[]) => [ts[0]!, withGamma ? ts[1]! : null, withBeta ? ts[withGamma ? 2 : 1]! : null] as const;
      await expectNoLeaks(() => {
        const got = valueAndGrads((...ts) => loss(layerNorm(...split(ts), 1e-5)), inputs);
        const want = valueAndGrads((...ts) => loss(referenceLayerNorm(...split(ts), 1e-5)), inputs);
        expect(got.value).toBeCloseTo(want.value, 4);
        expect(got.grads).toHaveLength(inputs.length);
        got.grads.forEach((g, i) => expectAllClose(g, want.grads[i]!, { atol: 2e-5, label: `grad ${i}` }));
      }, 'layerNorm');
      tf.dispose([x, gamma, beta]);
    });
  }

  it('agrees with finite differences for x', () => {
    const rng = seeded(12);
    const x = randn(rng, [3, 5]);
    const gamma = randn(rng, [5]);
    const beta = randn(rng, [5]);
    const loss = projectionLoss(rng, [3, 5]);
    const analytic = valueAndGrads((xx) => loss(layerNorm(xx!, gamma, beta)), [x]).grads[0]!;
    const numeric = numericGradient((xx) => loss(layerNorm(xx, gamma, beta)), x);
    expectAllClose(analytic, numeric, { atol: 3e-3, rtol: 3e-3 });
    tf.dispose([x, gamma, beta]);
  });
});
