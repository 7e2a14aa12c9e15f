/**
 * TfkitBatchMatMul on wasm (tfkit's SIMD product): every value as a float32 loop summing over the
 * inner axis in order gives it, bit for bit, and `batchedMatMul` through it equal to the cpu
 * backend forward and backward.
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchedMatMul, FUSED_BATCH_MATMUL, linear, matMul2d } from '@tfkit/core-tensor';
import { expectAllClose, expectNoLeaks, withBackend } from '@tfkit/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installSimdWasmKernels } from './fused-kernels.js';
import { setRelaxedSimd } from './simd-kernels.js';
import { values } from './testing/values.js';

/** op(a)·b per slice by the definition, in float32, summing l = 0, 1, … in order. */
function reference(a: Float32Array, b: Float32Array, batch: number, m: number, n: number, k: number, transposeA: boolean, transposeB: boolean): Float32Array {
  const c = new Float32Array(batch * m * n);
  for (let s = 0; s < batch; s++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let l = 0; l < k; l++) {
          const x = a[s * m * k + (transposeA ? l * m + i : i * k + l)]!;
          const y = b[s * k * n + (transposeB ? j * k + l : l * n + j)]!;
          sum = Math.fround(sum + Math.fround(x * y));
        }
        c[s * m * n + i * n + j] = sum;
      }
    }
  }
  return c;
}

const bits = (x: Float32Array) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length));

describe('TfkitBatchMatMul on wasm', () => {
  // The plain product: with relaxed SIMD's fused multiply-adds (Chromium, Node 22+) each term is
  // rounded once, and the bits are relaxed-simd.test.ts's concern.
  beforeAll(() => setRelaxedSimd(false));
  afterAll(() => setRelaxedSimd(true));

  it.each([
    // [batch, m, n, k]: whole 4×8 blocks, remainders of rows and columns, fewer rows than a block,
    // an inner axis longer than one block (partial sums carried through c), k = 0
    [4, 128, 64, 32],
    [2, 9, 19, 600],
    [2, 3, 5, 0],
    [3, 13, 11, 7],
    [2, 16, 24, 5],
    [1, 5, 9, 1],
  ])('gives the in-order float32 sums bit for bit (%i × %i×%i, k = %i), each operand plain and transposed', async (batch, m, n, k) => {
    const a = values(batch * m * k, 11, 3);
    const b = values(batch * k * n, 12, 2);
    for (const [transposeA, transposeB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const got = await withBackend('wasm', () => {
        installSimdWasmKernels(tf.backend());
        expect(tf.getKernel(FUSED_BATCH_MATMUL, 'wasm')).toBeDefined();
        return expectNoLeaks(() => tf.tidy(() => {
          const at = tf.tensor3d(a, transposeA ? [batch, k, m] : [batch, m, k]);
          const bt = tf.tensor3d(b, transposeB ? [batch, n, k] : [batch, k, n]);
          const c = tf.engine().runKernel(FUSED_BATCH_MATMUL, { a: at, b: bt }, { transposeA, transposeB }) as tf.Tensor;
          expect(c.shape).toEqual([batch, m, n]);
          return c.dataSync() as Float32Array;
        }), 'TfkitBatchMatMul');
      });
      expect(bits(got)).toEqual(bits(reference(a, b, batch, m, n, k, transposeA, transposeB)));
    }
  });

  it('refuses shapes that do not multiply, naming them', async () => {
    await withBackend('wasm', () => {
      installSimdWasmKernels(tf.backend());
      tf.tidy(() => {
        expect(() => tf.engine().runKernel(FUSED_BATCH_MATMUL, { a: tf.zeros([2, 4, 3]), b: tf.zeros([2, 5, 8]) }, {})).toThrow(/\[2,4,3\] · \[2,5,8\] do not multiply/);
      });
    });
  });

  /** c = op(a)·op(b) over [2, 3] batch axes, and the gradients of Σ w·c. */
  function run(transposeA: boolean, transposeB: boolean): Float32Array[] {
    const [m, n, k] = [12, 16, 20];
    return tf.tidy(() => {
      const a = tf.tensor(values(6 * m * k, 21), transposeA ? [2, 3, k, m] : [2, 3, m, k]);
      const b = tf.tensor(values(6 * k * n, 22), transposeB ? [2, 3, n, k] : [2, 3, k, n]);
      const w = tf.tensor(values(6 * m * n, 23), [2, 3, m, n]);
      const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(batchedMatMul(x, y, transposeA, transposeB), w));
      const [ga, gb] = tf.grads(f)([a, b]);
      return [batchedMatMul(a, b, transposeA, transposeB), ga!, gb!].map((t) => t.dataSync() as Float32Array);
    });
  }

  it.each([
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ])('carries batchedMatMul (transposeA %s, transposeB %s) forward and backward, equal to the cpu backend', async (transposeA, transposeB) => {
    const want = await withBackend('cpu', () => run(transposeA, transposeB));
    const got = await withBackend('wasm', async () => {
      installSimdWasmKernels(tf.backend());
      const info = await tf.profile(() => tf.tidy(() => batchedMatMul(tf.ones([2, 3, 12, 20]), tf.ones([2, 3, 20, 16]))));
      tf.dispose(info.result);
      expect(info.kernels.map((x) => x.name)).toContain(FUSED_BATCH_MATMUL);
      return expectNoLeaks(() => run(transposeA, transposeB), 'batchedMatMul via TfkitBatchMatMul');
    });
    ['c', 'da', 'db'].forEach((label, i) => expectAllClose(got[i]!, want[i]!, { atol: 1e-5, rtol: 1e-5, label }));
  });

  it('leaves batchedMatMul on its per-slice route when the kernel is not registered', async () => {
    const want = await withBackend('cpu', () => run(false, true));
    const got = await withBackend('wasm', async () => {
      tf.unregisterKernel(FUSED_BATCH_MATMUL, 'wasm');
      try {
        const info = await tf.profile(() => tf.tidy(() => batchedMatMul(tf.ones([2, 3, 12, 20]), tf.ones([2, 3, 20, 16]))));
        tf.dispose(info.result);
        expect(info.kernels.map((x) => x.name)).not.toContain(FUSED_BATCH_MATMUL);
        return run(false, true);
      } finally {
        installSimdWasmKernels(tf.backend());
      }
    });
    ['c', 'da', 'db'].forEach((label, i) => expectAllClose(got[i]!, want[i]!, { atol: 1e-5, rtol: 1e-5, label }));
  });

  /** linear(x, w, b) and matMul2d(x, v) with the gradients of Σ u·y + Σ t·z for every input. */
  function dense(): Float32Array[] {
    return tf.tidy(() => {
      const x = tf.tensor(values(2 * 7 * 24, 31), [2, 7, 24]);
      const w = tf.tensor2d(values(24 * 40, 32), [24, 40]);
      const b = tf.tensor1d(values(40, 33));
      const v = tf.tensor2d(values(24 * 12, 34), [24, 12]);
      const u = tf.tensor(values(2 * 7 * 40, 35), [2, 7, 40]);
      const t = tf.tensor(values(14 * 12, 36), [14, 12]);
      const f = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor, vv: tf.Tensor) =>
        tf.add(tf.sum(tf.mul(linear(xx, ww, bb), u)), tf.sum(tf.mul(matMul2d(tf.reshape(xx, [14, 24]) as tf.Tensor2D, vv as tf.Tensor2D), t)));
      const grads = tf.grads((...ts: tf.Tensor[]) => f(ts[0]!, ts[1]!, ts[2]!, ts[3]!))([x, w, b, v]);
      return [linear(x, w, b), matMul2d(tf.reshape(x, [14, 24]) as tf.Tensor2D, v), ...grads].map((g) => g.dataSync() as Float32Array);
    });
  }

  it("carries linear's and matMul2d's backward products (dY·Wᵀ, Xᵀ·dY) with no transposes, equal to the cpu backend", async () => {
    const want = await withBackend('cpu', dense);
    const got = await withBackend('wasm', async () => {
      installSimdWasmKernels(tf.backend());
      const x = tf.tensor(values(2 * 7 * 24, 31), [2, 7, 24]);
      const w = tf.variable(tf.tensor2d(values(24 * 40, 32), [24, 40]));
      const info = await tf.profile(() => {
        const { value, grads } = tf.variableGrads(() => tf.sum(linear(x, w)) as tf.Scalar, [w]);
        Object.values(grads).forEach((g) => g.dispose());
        return value;
      });
      tf.dispose([info.result as tf.Tensor, x, w]);
      const names = info.kernels.map((k) => k.name);
      expect(names).toContain(FUSED_BATCH_MATMUL);
      expect(names).not.toContain('Transpose');
      return expectNoLeaks(dense, 'linear and matMul2d via TfkitBatchMatMul');
    });
    ['linear', 'matMul2d', 'dx', 'dw', 'db', 'dv'].forEach((label, i) => expectAllClose(got[i]!, want[i]!, { atol: 1e-5, rtol: 1e-5, label }));
  });
});
