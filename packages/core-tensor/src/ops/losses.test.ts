import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectAllClose, expectNoLeaks, numericGradient } from '@tfkit/test-utils';
import { ShapeError } from '../errors.js';
import { meanSquaredError, sigmoidCrossEntropy, softmaxCrossEntropy } from './losses.js';
import { NODE_BACKENDS, onBackend, randn, seeded, valueAndGrads } from './op-test-helpers.js';

/** −log softmax(z)[label] per row, in float64. */
function rowLosses(logits: number[][], labels: number[]): number[] {
  return logits.map((row, i) => {
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((a, z) => a + Math.exp(z - max), 0));
    return lse - (row[labels[i]!] as number);
  });
}

describe.each(NODE_BACKENDS)('losses on %s', (backend) => {
  onBackend(backend);

  it('softmaxCrossEntropy averages over non-ignored labels; the gradient is (softmax − onehot)/count', async () => {
    const rng = seeded(21);
    const logits = randn(rng, [2, 3, 5], 2);
    const labels = tf.tensor2d([[4, -100, 0], [2, 2, -100]], [2, 3], 'int32');
    const flat = (logits.arraySync() as number[][][]).flat();
    const flatLabels = [4, -100, 0, 2, 2, -100];
    const kept = flatLabels.map((l, i) => [l, i] as const).filter(([l]) => l !== -100);
    const perRow = rowLosses(kept.map(([, i]) => flat[i]!), kept.map(([l]) => l));
    const expected = perRow.reduce((a, b) => a + b, 0) / kept.length;
    await expectNoLeaks(() => {
      const { value, grads } = valueAndGrads((z) => softmaxCrossEntropy(z!, labels), [logits]);
      expect(value).toBeCloseTo(expected, 5);
      const want = flat.flatMap((row, i) => {
        const label = flatLabels[i]!;
        if (label === -100) return row.map(() => 0);
        const max = Math.max(...row);
        const sum = row.reduce((a, z) => a + Math.exp(z - max), 0);
        return row.map((z, c) => (Math.exp(z - max) / sum - (c === label ? 1 : 0)) / kept.length);
      });
      expectAllClose(grads[0]!, want, { atol: 1e-6 });
    }, 'cross-entropy');
    const sum = tf.tidy(() => softmaxCrossEntropy(logits, labels, { reduction: 'sum' }).dataSync()[0]!);
    expect(sum).toBeCloseTo(expected * kept.length, 4);
    tf.dispose([logits, labels]);
  });

  it('softmaxCrossEntropy keeps one logits-sized tensor (the log-probabilities) for the backward pass', () => {
    const [b, t, vocab] = [2, 32, 1000];
    const size = b * t * vocab * 4;
    const input = tf.randomNormal([b, t, vocab], 0, 1, 'float32', 5);
    const labels = tf.randomUniform([b, t], 0, vocab, 'int32', 6);
    // Bytes in tensors when the backward pass starts: what the forward left saved for it.
    let held = 0;
    const probe = tf.customGrad(((x: tf.Tensor) => ({
      value: tf.clone(x),
      gradFunc: (dy: tf.Tensor | tf.Tensor[]) => {
        held = tf.memory().numBytes;
        return tf.clone(dy as tf.Tensor);
      },
    })) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor) => tf.Tensor;
    const before = tf.memory().numBytes;
    // The logits are an intermediate (as a model's are): nothing but the loss should keep them.
    const grad = tf.grad((x: tf.Tensor) => probe(softmaxCrossEntropy(tf.mul(x, 2), labels)));
    const g = grad(input);
    // The logits themselves (tf.grad frees the forward's intermediates only after the backward
    // pass) and the log-probabilities; before, a reshape's copy and two one-hot copies besides (5 × size).
    expect(held - before).toBeGreaterThanOrEqual(2 * size);
    expect(held - before).toBeLessThan(2.25 * size);
    tf.dispose([g, input, labels]);
  });

  it('gives 0 and a zero gradient when every label is ignored; a custom ignoreIndex works', () => {
    const logits = tf.tensor2d([[1, 2, 3], [0, 0, 1]]);
    const { value, grads } = valueAndGrads((z) => softmaxCrossEntropy(z!, [-100, -100]), [logits]);
    expect(Math.abs(value)).toBe(0);
    expectAllClose(grads[0]!, new Float32Array(6), { atol: 0 });
    const custom = tf.tidy(() => softmaxCrossEntropy(logits, [0, 2], { ignoreIndex: 0 }).dataSync()[0]!);
    expect(custom).toBeCloseTo(rowLosses([[0, 0, 1]], [2])[0]!, 5);
    tf.dispose(logits);
  });

  it('agrees with finite differences and rejects a label count that does not match', () => {
    const rng = seeded(22);
    const logits = randn(rng, [4, 3]);
    const labels = [2, 0, -100, 1];
    const analytic = valueAndGrads((z) => softmaxCrossEntropy(z!, labels), [logits]).grads[0]!;
    const numeric = numericGradient((z) => softmaxCrossEntropy(z, labels), logits);
    expectAllClose(analytic, numeric, { atol: 1e-3 });
    expect(() => softmaxCrossEntropy(logits, [1, 2])).toThrow(ShapeError);
    logits.dispose();
  });

  it('meanSquaredError and sigmoidCrossEntropy match their formulas', () => {
    const p = tf.tensor1d([0.5, -1, 2]);
    const t = tf.tensor1d([0, 1, 1]);
    expect(tf.tidy(() => meanSquaredError(p, t).dataSync()[0]!)).toBeCloseTo((0.25 + 4 + 1) / 3, 6);
    const bce = [0.5, -1, 2].map((z, i) => {
      const y = [0, 1, 1][i]!;
      return -(y * Math.log(1 / (1 + Math.exp(-z))) + (1 - y) * Math.log(1 - 1 / (1 + Math.exp(-z))));
    });
    expect(tf.tidy(() => sigmoidCrossEntropy(p, t).dataSync()[0]!)).toBeCloseTo(bce.reduce((a, b) => a + b) / 3, 6);
    tf.dispose([p, t]);
  });
});
