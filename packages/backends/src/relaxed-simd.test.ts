/**
 * tfkit's SIMD product with relaxed SIMD's fused multiply-adds (`fusedMultiplyAdd`, the default
 * where the runtime validates relaxed SIMD). Node 20 needs V8's flag, set here before any module
 * is compiled (each test file runs in its own process); Node 22+ and Chromium have it on.
 */
import v8 from 'node:v8';
import * as tf from '@tensorflow/tfjs-core';
import { batchedMatMul, createRegistry, FUSED_BATCH_MATMUL, linear } from '@tfkit/core-tensor';
import { expectAllClose, expectNoLeaks, withBackend } from '@tfkit/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerAllBackends, useBackend } from './index.js';
import { simdKernels } from './simd-kernels.js';
import { values } from './testing/values.js';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

/**
 * op(a)·b + bias by the kernel's definition (gemm's, and gemv's for fewer than 16 rows), summing
 * l = 0, 1, … in order in float32: columns below n − n mod 8 (the SIMD loops) with `fused`
 * multiply-adds (a·b + c rounded once: the product is exact in float64, the sum rounded to float64
 * and then to float32, which equals one rounding but for ties too rare to meet here), the last
 * n mod 8 columns (scalar code) rounded twice.
 */
function reference(a: Float32Array, b: Float32Array, bias: Float32Array | null, m: number, n: number, k: number, transposeA: boolean, fused: boolean): Float32Array {
  const c = new Float32Array(m * n);
  const simdColumns = n - (n % 8);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = bias ? bias[j]! : 0;
      for (let l = 0; l < k; l++) {
        const x = a[transposeA ? l * m + i : i * k + l]!;
        const y = b[l * n + j]!;
        sum = fused && j < simdColumns ? Math.fround(x * y + sum) : Math.fround(sum + Math.fround(x * y));
      }
      c[i * n + j] = sum;
    }
  }
  return c;
}

const bits = (x: Float32Array) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length));

async function activate(fusedMultiplyAdd?: boolean) {
  const registry = createRegistry();
  registerAllBackends(registry);
  return useBackend(registry, 'wasm', { threads: 1, ...(fusedMultiplyAdd === undefined ? {} : { fusedMultiplyAdd }) });
}

describe('relaxed SIMD product (fused multiply-add)', () => {
  beforeAll(async () => {
    await activate();
    await withBackend('cpu', () => undefined);
  });

  it('is what useBackend picks by default where the runtime has relaxed SIMD, and says so', async () => {
    const activation = await activate();
    expect(activation.notes[0]).toMatch(/tfkit's SIMD kernels with fused multiply-add \(relaxed SIMD\)/);
    const relaxed = simdKernels(tf.backend())!;
    expect(relaxed.relaxed).toBe(true);
    const off = await activate(false);
    expect(off.notes[0]).toMatch(/tfkit's SIMD kernels$/);
    const plain = simdKernels(tf.backend())!;
    expect(plain.relaxed).toBe(false);
    expect(plain.gemm).not.toBe(relaxed.gemm);
    await expect(activate('yes' as unknown as boolean)).rejects.toThrow(/fusedMultiplyAdd must be true or false, got "yes"/);
    await activate();
    await withBackend('cpu', () => undefined);
  });

  it.each([
    // [m, n, k]: 4×8 blocks with row and column remainders; an inner axis over two blocks
    [37, 29, 600],
    [16, 64, 33],
    [5, 7, 3],
  ])('rounds each term once in the SIMD columns (%i×%i, k = %i), and twice with fusedMultiplyAdd: false', async (m, n, k) => {
    const a = values(m * k, 21, 3);
    const b = values(k * n, 22, 2);
    const bias = values(n, 23);
    for (const fma of [true, false]) {
      await activate(fma);
      for (const transposeA of [false, true]) {
        const got = await withBackend('wasm', () =>
          expectNoLeaks(() => tf.tidy(() => {
            const x = tf.tensor2d(a, transposeA ? [k, m] : [m, k]);
            const w = tf.tensor2d(b, [k, n]);
            const y = transposeA
              ? (tf.engine().runKernel(FUSED_BATCH_MATMUL, { a: tf.reshape(x, [1, k, m]), b: tf.reshape(w, [1, k, n]) }, { transposeA: true }) as tf.Tensor)
              : (tf.engine().runKernel('TfkitDense', { x, weight: w, bias: tf.tensor1d(bias) }, {}) as tf.Tensor);
            return y.dataSync() as Float32Array;
          }), 'gemm'),
        );
        // (Fewer than 16 rows: TfkitDense runs gemv, the same values.)
        const want = reference(a, b, transposeA ? null : bias, m, n, k, transposeA, fma);
        if (fma) {
          // A CPU without FMA may run relaxed_madd unfused: then the plain bits.
          const plain = reference(a, b, transposeA ? null : bias, m, n, k, transposeA, false);
          expect([bits(want), bits(plain)]).toContainEqual(bits(got));
        } else {
          expect(bits(got)).toEqual(bits(want));
        }
      }
    }
    await activate();
    await withBackend('cpu', () => undefined);
  });

  it('keeps linear and attention products equal to cpu, forward and backward', async () => {
    const x = values(2 * 24 * 48, 31, 2);
    const w = values(48 * 40, 32);
    const q = values(2 * 3 * 20 * 16, 33);
    const run = () => tf.tidy(() => {
      const xt = tf.tensor3d(x, [2, 24, 48]);
      const wt = tf.tensor2d(w, [48, 40]);
      const qt = tf.tensor4d(q, [2, 3, 20, 16]);
      const f = (xx: tf.Tensor, ww: tf.Tensor, qq: tf.Tensor) => tf.add(tf.sum(tf.square(linear(xx, ww))), tf.sum(tf.square(batchedMatMul(qq, qq, false, true))));
      const grads = tf.grads(f as (...t: tf.Tensor[]) => tf.Tensor)([xt, wt, qt]).map((g) => g.dataSync() as Float32Array);
      return { y: f(xt, wt, qt).dataSync() as Float32Array, grads };
    });
    const want = await withBackend('cpu', run);
    const got = await withBackend('wasm', () => {
      expect(simdKernels(tf.backend())!.relaxed).toBe(true);
      return expectNoLeaks(run, 'relaxed products');
    });
    expectAllClose(got.y, want.y, { rtol: 1e-5 });
    got.grads.forEach((g, i) => expectAllClose(g, want.grads[i]!, { atol: 1e-4, rtol: 1e-5, label: `grad ${i}` }));
  });

  it("runs on the threaded build's helper Workers too, each band with the fused multiply-adds", async () => {
    const registry = createRegistry();
    registerAllBackends(registry);
    const activation = await useBackend(registry, 'wasm', { threads: 2 });
    try {
      if (activation.threads < 2) return; // a one-core machine
      expect(activation.notes[0]).toMatch(/tfkit's SIMD kernels with fused multiply-add \(relaxed SIMD\); its products on 2 threads/);
      const [m, k, n] = [128, 256, 192];
      const x = values(m * k, 41, 2);
      const w = values(k * n, 42);
      const bias = values(n, 43);
      const got = tf.tidy(() => linear(tf.tensor2d(x, [m, k]), tf.tensor2d(w, [k, n]), tf.tensor1d(bias)).dataSync() as Float32Array);
      // Columns 96… are the helper's (two bands of 96): fused there too, bit for bit.
      expect(bits(got)).toEqual(bits(reference(x, w, bias, m, n, k, false, true)));
      expect(bits(got)).not.toEqual(bits(reference(x, w, bias, m, n, k, false, false)));
    } finally {
      await activate();
    }
  });
});
