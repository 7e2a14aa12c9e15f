/**
 * TfkitSoftmaxCrossEntropy and its gradient on wasm (tfkit's SIMD exp): the kernel's log-sum-exp
 * and negative log-likelihood against a float64 computation, its exp against Math.exp, and
 * `softmaxCrossEntropy` through the kernels against the composite on the cpu backend (loss and
 * gradient; ignored positions, class weights, 'sum'), with no leaks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_SOFTMAX_CROSS_ENTROPY, FUSED_SOFTMAX_CROSS_ENTROPY_GRAD, softmaxCrossEntropy } from '@tfkit/core-tensor';
import { expectAllClose, expectNoLeaks, withBackend } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { installSimdWasmKernels } from './fused-kernels.js';
import { values } from './testing/values.js';

/** Row-wise log-sum-exp in float64. */
function lse64(x: Float32Array, rows: number, classes: number): number[] {
  return Array.from({ length: rows }, (_, r) => {
    const row = x.subarray(r * classes, (r + 1) * classes);
    const max = Math.max(...row);
    return max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
  });
}

describe('TfkitSoftmaxCrossEntropy on wasm', () => {
  it.each([
    // [rows, classes, scale]: widths below, at and off a multiple of four; logits up to ±60
    [3, 1, 1],
    [4, 3, 2],
    [5, 37, 10],
    [2, 1000, 60],
    [0, 7, 1],
  ])('gives each row\'s log-sum-exp and −log p(label) within a few float32 ulps of float64 (%i × %i, |x| ≤ %i)', async (rows, classes, scale) => {
    const x = values(rows * classes, 41, scale);
    const labels = Int32Array.from({ length: rows }, (_, r) => (r * 7) % classes);
    const [nll, lse] = await withBackend('wasm', () => {
      installSimdWasmKernels(tf.backend());
      return expectNoLeaks(() => tf.tidy(() => {
        const outs = tf.engine().runKernel(FUSED_SOFTMAX_CROSS_ENTROPY, { logits: tf.tensor2d(x, [rows, classes]), labels: tf.tensor1d(labels, 'int32') }) as tf.Tensor[];
        return outs.map((t) => t.dataSync() as Float32Array);
      }), 'TfkitSoftmaxCrossEntropy');
    });
    const want = lse64(x, rows, classes);
    expectAllClose(lse!, want, { atol: 1e-6, rtol: 1e-6, label: 'lse' });
    expectAllClose(nll!, want.map((l, r) => l - x[r * classes + labels[r]!]!), { atol: 2e-6, rtol: 1e-6, label: 'nll' });
  });

  it('gives exp(x − lse)·scale − scale at the label, its exp within 2 ulps of Math.exp down to 0 below −87.34', async () => {
    const classes = 203;
    // One row sweeping [−100, 0] (lse 0, scale 1), one of random logits with a −∞ (scale −0.5).
    const sweep = Float32Array.from({ length: classes }, (_, j) => -100 + (100 * j) / (classes - 1));
    const random = values(classes, 42, 8);
    random[17] = -Infinity;
    const x = new Float32Array([...sweep, ...random]);
    const lse = new Float32Array([0, lse64(random, 1, classes)[0]!]);
    const scale = new Float32Array([1, -0.5]);
    const labels = new Int32Array([5, 200]);
    const g = await withBackend('wasm', () => {
      installSimdWasmKernels(tf.backend());
      return expectNoLeaks(() => tf.tidy(() => (tf.engine().runKernel(FUSED_SOFTMAX_CROSS_ENTROPY_GRAD, {
        logits: tf.tensor2d(x, [2, classes]), lse: tf.tensor1d(lse), labels: tf.tensor1d(labels, 'int32'), scale: tf.tensor1d(scale),
      }) as tf.Tensor).dataSync() as Float32Array), 'TfkitSoftmaxCrossEntropyGrad');
    });
    for (let r = 0; r < 2; r++) {
      for (let j = 0; j < classes; j++) {
        const i = r * classes + j;
        const e = Math.exp(Math.fround(x[i]! - lse[r]!));
        const want = Math.fround(Math.fround(e) * scale[r]!) - (j === labels[r] ? scale[r]! : 0);
        if (x[i]! - lse[r]! < -87.34) expect(g[i]! + 0).toBe(j === labels[r] ? -scale[r]! : 0); // (−0 reads as 0)
        else expect(Math.abs(g[i]! - want)).toBeLessThanOrEqual(Math.abs(want) * 2.5e-7 + 1e-45);
      }
    }
    expect(g[classes + 17]! + 0).toBe(0); // exp(−∞) = 0
  });

  it('names a label outside [0, classes)', async () => {
    await withBackend('wasm', () => {
      installSimdWasmKernels(tf.backend());
      tf.tidy(() => {
        expect(() => tf.engine().runKernel(FUSED_SOFTMAX_CROSS_ENTROPY, { logits: tf.zeros([2, 4]), labels: tf.tensor1d([1, 4], 'int32') })).toThrow(/labels\[1\] = 4 is outside \[0, 4\)/);
      });
    });
  });

  /** The loss and its gradient for logits (2, 9, 53) with one ignored position per row. */
  function run(options: Parameters<typeof softmaxCrossEntropy>[2]): Float32Array[] {
    return tf.tidy(() => {
      const logits = tf.tensor3d(values(2 * 9 * 53, 43, 6), [2, 9, 53]);
      const labels = tf.tensor2d(Int32Array.from({ length: 18 }, (_, i) => (i % 9 === 4 ? -100 : (i * 11) % 53)), [2, 9], 'int32');
      const [loss, grad] = [softmaxCrossEntropy(logits, labels, options), tf.grad((z: tf.Tensor) => softmaxCrossEntropy(z, labels, options))(logits)];
      return [loss.dataSync() as Float32Array, grad.dataSync() as Float32Array];
    });
  }

  it.each([
    ['mean', {}],
    ['sum', { reduction: 'sum' as const }],
    ['class weights', { weight: Array.from({ length: 53 }, (_, j) => 0.5 + (j % 5) / 4) }],
  ])('carries softmaxCrossEntropy (%s) forward and backward, equal to the composite on cpu', async (_label, options) => {
    const want = await withBackend('cpu', () => run(options));
    const got = await withBackend('wasm', async () => {
      installSimdWasmKernels(tf.backend());
      const info = await tf.profile(() => run(options));
      const names = info.kernels.map((k) => k.name);
      expect(names).toContain(FUSED_SOFTMAX_CROSS_ENTROPY);
      expect(names).toContain(FUSED_SOFTMAX_CROSS_ENTROPY_GRAD);
      expect(names).not.toContain('Exp');
      return expectNoLeaks(() => run(options), 'softmaxCrossEntropy via TfkitSoftmaxCrossEntropy');
    });
    expectAllClose(got[0]!, want[0]!, { atol: 1e-6, rtol: 1e-6, label: 'loss' });
    expectAllClose(got[1]!, want[1]!, { atol: 1e-7, rtol: 1e-5, label: 'gradient' });
  });
});
