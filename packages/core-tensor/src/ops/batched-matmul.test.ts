import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectAllClose, expectNoLeaks } from '@tfkit/test-utils';
import { ShapeError } from '../errors.js';
import { batchedMatMul, SPLIT_MIN_MACS } from './batched-matmul.js';
import { NODE_BACKENDS, onBackend, projectionLoss, randn, seeded, valueAndGrads } from './op-test-helpers.js';

const COMBOS = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
] as const;

/** [m, k, n] per slice: below the wasm split threshold (scalar batched loop; one query row, as in a decoding step), above it (per-slice XNNPACK). */
const SIZES: Record<string, [number, number, number]> = {
  small: [3, 4, 5],
  oneRow: [1, 8, 7],
  large: [32, 64, 32],
};

describe.each(NODE_BACKENDS)('batchedMatMul on %s', (backend) => {
  onBackend(backend);

  it('covers both wasm routes', () => {
    expect(SIZES['small']!.reduce((a, b) => a * b)).toBeLessThan(SPLIT_MIN_MACS);
    expect(SIZES['large']!.reduce((a, b) => a * b)).toBeGreaterThanOrEqual(SPLIT_MIN_MACS);
  });

  for (const [size, [m, k, n]] of Object.entries(SIZES)) {
    for (const [tA, tB] of COMBOS) {
      it(`${size} slices, transposeA=${tA}, transposeB=${tB}: forward and gradients match tf.matMul`, async () => {
        const rng = seeded(m * 7 + (tA ? 1 : 0) + (tB ? 2 : 0));
        const a = randn(rng, tA ? [2, 3, k, m] : [2, 3, m, k]);
        const b = randn(rng, tB ? [2, 3, n, k] : [2, 3, k, n]);
        const loss = projectionLoss(rng, [2, 3, m, n]);
        await expectNoLeaks(() => {
          const got = valueAndGrads((x, y) => loss(batchedMatMul(x!, y!, tA, tB)), [a, b]);
          const want = valueAndGrads((x, y) => loss(tf.matMul(x as tf.Tensor4D, y as tf.Tensor4D, tA, tB)), [a, b]);
          expect(Math.abs(got.value - want.value)).toBeLessThan(1e-4 + 1e-5 * Math.abs(want.value));
          got.grads.forEach((g, i) => expectAllClose(g, want.grads[i]!, { atol: 1e-4, rtol: 1e-5, label: `grad ${i}` }));
        }, 'batchedMatMul');
        tf.dispose([a, b]);
      });
    }
  }

  it('takes per-slice 2-D matMuls on wasm only when the slices are large enough', async () => {
    const kernels = async (m: number, k: number, n: number) => {
      const a = tf.ones([2, 3, m, k]);
      const b = tf.ones([2, 3, n, k]);
      const profile = await tf.profile(() => tf.tidy(() => void batchedMatMul(a, b, false, true).dataSync()));
      tf.dispose([a, b]);
      return profile.kernels.map((kernel) => kernel.name);
    };
    const [m, k, n] = SIZES['large']!;
    const large = await kernels(m, k, n);
    const small = await kernels(...SIZES['small']!);
    expect(small).toContain('BatchMatMul');
    expect(small).not.toContain('Unpack');
    if (backend === 'wasm') {
      expect(large.filter((name) => name === 'BatchMatMul')).toHaveLength(6); // one 2-D product per (batch, head)
      // Slices are cut by heap copies, not tfjs-wasm's JavaScript-loop Unpack/Pack kernels.
      expect(large).not.toContain('Unpack');
      expect(large).not.toContain('Pack');
    } else {
      expect(large).not.toContain('Unpack');
    }
  });

  it('handles rank 2 and rank 3', () => {
    const rng = seeded(9);
    const a2 = randn(rng, [4, 3]);
    const b2 = randn(rng, [4, 5]);
    const a3 = randn(rng, [2, 3, 4]);
    const b3 = randn(rng, [2, 5, 4]);
    const r2 = tf.tidy(() => tf.sub(batchedMatMul(a2, b2, true, false), tf.matMul(a2 as tf.Tensor2D, b2 as tf.Tensor2D, true, false)).dataSync().slice());
    const r3 = tf.tidy(() => tf.sub(batchedMatMul(a3, b3, false, true), tf.matMul(a3 as tf.Tensor3D, b3 as tf.Tensor3D, false, true)).dataSync().slice());
    expectAllClose(r2, new Float32Array(r2.length), { atol: 1e-5 });
    expectAllClose(r3, new Float32Array(r3.length), { atol: 1e-5 });
    tf.dispose([a2, b2, a3, b3]);
  });
});

describe('batchedMatMul errors', () => {
  it('rejects mismatched ranks, batch axes and inner dimensions', () => {
    tf.tidy(() => {
      expect(() => batchedMatMul(tf.zeros([2, 3, 4]), tf.zeros([4, 5]))).toThrow(ShapeError);
      expect(() => batchedMatMul(tf.zeros([2, 3, 4]), tf.zeros([3, 4, 5]))).toThrow(/batch axes differ/);
      expect(() => batchedMatMul(tf.zeros([2, 3, 4]), tf.zeros([2, 5, 4]))).toThrow(/inner dimensions differ \(4 vs 5\)/);
    });
  });
});
