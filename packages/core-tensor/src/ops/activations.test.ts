import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectAllClose, numericGradient } from '@tfkit/test-utils';
import { ConfigError } from '../errors.js';
import { gelu, geluTanh, getActivation, quickGelu, silu } from './activations.js';
import { NODE_BACKENDS, onBackend, valueAndGrads } from './op-test-helpers.js';

const XS = [-3, -1.5, -0.5, 0, 0.25, 1, 2.5];

/** erf by its Maclaurin series in float64 (converges to double precision for |x| ≤ 3 in < 60 terms). */
function erf(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; n < 60; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}
const cdf = (x: number) => 0.5 * (1 + erf(x / Math.SQRT2));
const pdf = (x: number) => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
const GELU = XS.map((x) => x * cdf(x));
const GELU_TANH = XS.map((x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))));

describe.each(NODE_BACKENDS)('activations on %s', (backend) => {
  onBackend(backend);

  it('gelu (exact, erf) and gelu tanh approximation give the reference values', () => {
    expect(erf(1)).toBeCloseTo(0.8427007929497149, 14);
    const x = tf.tensor1d(XS);
    expectAllClose(tf.tidy(() => gelu(x).dataSync().slice()), GELU, { atol: 2e-6 });
    expectAllClose(tf.tidy(() => geluTanh(x).dataSync().slice()), GELU_TANH, { atol: 2e-6 });
    expectAllClose(tf.tidy(() => quickGelu(x).dataSync().slice()), XS.map((v) => v / (1 + Math.exp(-1.702 * v))), { atol: 2e-6 });
    expectAllClose(tf.tidy(() => silu(x).dataSync().slice()), XS.map((v) => v / (1 + Math.exp(-v))), { atol: 2e-6 });
    x.dispose();
  });

  it('gelu gradients: exact derivative Φ(x) + x·φ(x), and finite differences for the tanh form', () => {
    const x = tf.tensor1d(XS);
    const exact = valueAndGrads((t) => tf.sum(gelu(t!)) as tf.Scalar, [x]).grads[0]!;
    expectAllClose(exact, XS.map((v) => cdf(v) + v * pdf(v)), { atol: 1e-5 });
    const tanhGrad = valueAndGrads((t) => tf.sum(geluTanh(t!)) as tf.Scalar, [x]).grads[0]!;
    const numeric = numericGradient((t) => tf.sum(geluTanh(t)) as tf.Scalar, x, 1e-2);
    expectAllClose(tanhGrad, numeric, { atol: 2e-3 });
    x.dispose();
  });
});

describe('getActivation', () => {
  it('maps Hugging Face names and rejects unknown ones with the known list', () => {
    expect(getActivation('gelu')).toBe(gelu);
    expect(getActivation('gelu_new')).toBe(geluTanh);
    expect(getActivation('gelu_pytorch_tanh')).toBe(geluTanh);
    expect(() => getActivation('gelu_fancy')).toThrow(ConfigError);
    expect(() => getActivation('gelu_fancy')).toThrow(/unknown activation "gelu_fancy"; known: relu, gelu/);
  });
});
