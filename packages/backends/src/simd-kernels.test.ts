import * as tf from '@tensorflow/tfjs-core';
import { addLayerNorm, cachedAttentionStep, FUSED_GELU, FUSED_LAYER_NORM, geluTanh } from '@tfkit/core-tensor';
import { expectAllClose, expectNoLeaks, withBackend } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { installFusedWasmKernels } from './fused-kernels.js';
import { gemmScratchFloats, simdKernels } from './simd-kernels.js';
import { values } from './testing/values.js';

/** One decoding step's attention in float64 from the float32 inputs: output (b, 1, h·d). */
function attention64(qkv: Float32Array, pastKey: Float32Array, pastValue: Float32Array, b: number, h: number, d: number, past: number, scale: number): Float64Array {
  const c = h * d;
  const out = new Float64Array(b * c);
  for (let bi = 0; bi < b; bi++) {
    for (let hi = 0; hi < h; hi++) {
      const key = (j: number, i: number) => (j < past ? pastKey[((bi * h + hi) * past + j) * d + i]! : qkv[bi * 3 * c + c + hi * d + i]!);
      const value = (j: number, i: number) => (j < past ? pastValue[((bi * h + hi) * past + j) * d + i]! : qkv[bi * 3 * c + 2 * c + hi * d + i]!);
      const scores = Array.from({ length: past + 1 }, (_, j) => {
        let s = 0;
        for (let i = 0; i < d; i++) s += qkv[bi * 3 * c + hi * d + i]! * key(j, i);
        return s * scale;
      });
      const top = Math.max(...scores);
      const e = scores.map((s) => Math.exp(s - top));
      const total = e.reduce((a, v) => a + v, 0);
      for (let i = 0; i < d; i++) out[bi * c + hi * d + i] = e.reduce((a, p, j) => a + (p / total) * value(j, i), 0);
    }
  }
  return out;
}

describe('tfkit\'s wasm SIMD kernels', () => {
  it('run over the single-threaded wasm backend\'s heap (so the fused attention tests exercise them), not on cpu', async () => {
    await withBackend('wasm', () => expect(simdKernels(tf.backend())).not.toBeNull());
    await withBackend('cpu', () => expect(simdKernels(tf.backend())).toBeNull());
  });

  it.each([
    ['GPT-2 small\'s heads (12 × 64), 130 cached positions', 1, 12, 64, 130],
    ['head size 12 (an 8-wide step and a tail of 4), two rows', 2, 3, 12, 9],
    ['head size 5 (tail only)', 1, 2, 5, 4],
  ] as const)('cached attention equals the float64 answer (%s)', async (_label, b, h, d, past) => {
    installFusedWasmKernels();
    const c = h * d;
    const qkv = values(b * 3 * c, 61, 2);
    const pastKey = values(b * h * past * d, 62, 2);
    const pastValue = values(b * h * past * d, 63);
    const scale = 1 / Math.sqrt(d);
    const got = await withBackend('wasm', () => {
      expect(simdKernels(tf.backend())).not.toBeNull();
      return expectNoLeaks(() => tf.tidy(() => {
        const past4 = { key: tf.tensor4d(pastKey, [b, h, past, d]), value: tf.tensor4d(pastValue, [b, h, past, d]) };
        const step = cachedAttentionStep(tf.tensor3d(qkv, [b, 1, 3 * c]), past4, null, h, scale)!;
        return [step.output, step.key, step.value].map((t) => t.dataSync() as Float32Array);
      }), 'SIMD attention');
    });
    // Within float32's rounding of the float64 answer.
    expectAllClose(got[0]!, attention64(qkv, pastKey, pastValue, b, h, d, past, scale), { atol: 1e-7, rtol: 1e-6, label: 'output' });
    // The cache: the past with this step's keys/values appended, exactly.
    for (let bi = 0; bi < b; bi++) {
      for (let hi = 0; hi < h; hi++) {
        const row = (bi * h + hi) * (past + 1) * d;
        expect(got[1]!.subarray(row, row + past * d)).toEqual(pastKey.subarray((bi * h + hi) * past * d, (bi * h + hi + 1) * past * d));
        expect(got[2]!.subarray(row + past * d, row + (past + 1) * d)).toEqual(qkv.subarray(bi * 3 * c + 2 * c + hi * d, bi * 3 * c + 2 * c + (hi + 1) * d));
      }
    }
  });
});

describe('layer norm in the SIMD kernel', () => {
  it.each([
    ['GPT-2 small\'s width, γ and β', 2, 768, true],
    ['an odd width (a tail of one), no γ or β', 3, 7, false],
    ['width 1', 2, 1, true],
  ] as const)('equals the float64 answer, statistics included (%s)', async (_label, rows, width, affine) => {
    installFusedWasmKernels();
    const x = values(rows * width, 71, 3, 0.5);
    const gamma = affine ? values(width, 72, 1, 1) : null;
    const beta = affine ? values(width, 73) : null;
    const got = await withBackend('wasm', () => {
      expect(simdKernels(tf.backend())).not.toBeNull();
      return expectNoLeaks(() => tf.tidy(() => {
        const inputs: tf.NamedTensorMap = { x: tf.tensor2d(x, [rows, width]) };
        if (gamma && beta) Object.assign(inputs, { gamma: tf.tensor1d(gamma), beta: tf.tensor1d(beta) });
        return (tf.engine().runKernel(FUSED_LAYER_NORM, inputs, { epsilon: 1e-5 }) as tf.Tensor[]).map((t) => t.dataSync() as Float32Array);
      }), 'SIMD layer norm');
    });
    const y = new Float64Array(rows * width);
    const means: number[] = [];
    const rstds: number[] = [];
    for (let r = 0; r < rows; r++) {
      const row = Array.from(x.subarray(r * width, (r + 1) * width));
      const mean = row.reduce((a, v) => a + v, 0) / width;
      const rstd = 1 / Math.sqrt(row.reduce((a, v) => a + (v - mean) ** 2, 0) / width + 1e-5);
      means.push(mean);
      rstds.push(rstd);
      row.forEach((v, i) => { y[r * width + i] = (v - mean) * rstd * (gamma?.[i] ?? 1) + (beta?.[i] ?? 0); });
    }
    expectAllClose(got[0]!, y, { atol: 1e-6, rtol: 1e-6, label: 'y' });
    expectAllClose(got[1]!, means, { atol: 1e-7, rtol: 1e-6, label: 'mean' });
    expectAllClose(got[2]!, rstds, { atol: 0, rtol: 1e-6, label: 'rstd' });
  });

  it('adds the residual in float32 (the sum exactly x + r rounded) before normalising', async () => {
    installFusedWasmKernels();
    const [x, r] = [values(2 * 13, 74, 2), values(2 * 13, 75, 2)];
    const got = await withBackend('wasm', () => tf.tidy(() => {
      const out = addLayerNorm(tf.tensor2d(x, [2, 13]), tf.tensor2d(r, [2, 13]), tf.ones([13]), tf.zeros([13]), 1e-5);
      return out.sum.dataSync() as Float32Array;
    }));
    expect(Array.from(got)).toEqual(Array.from(x, (v, i) => Math.fround(v + r[i]!)));
  });
});

describe('fused tanh-GELU on wasm', () => {
  it('is within float32 rounding of the float64 answer from −30 to 30, and keeps ±∞ and NaN', async () => {
    installFusedWasmKernels();
    const x = new Float32Array([...Array.from({ length: 60_001 }, (_, i) => -30 + i * 1e-3), Infinity, -Infinity, NaN, 0, -0]);
    const got = await withBackend('wasm', () => tf.tidy(() => {
      const t = tf.tensor1d(x);
      expect(tf.getKernel(FUSED_GELU, 'wasm')).toBeDefined();
      return geluTanh(t).dataSync() as Float32Array;
    }));
    const k = Math.sqrt(2 / Math.PI);
    const want = Array.from(x, (v) => 0.5 * v * (1 + Math.tanh(k * (v + 0.044715 * v * v * v))));
    const finite = (a: ArrayLike<number>) => Array.from(a).slice(0, 60_001);
    expectAllClose(finite(got), finite(want), { atol: 1e-7, rtol: 2e-7, label: 'gelu' });
    // gelu(∞) = ∞; gelu(−∞) = −∞·0 and gelu(NaN) are NaN, as in float64; the sign of zero kept.
    expect(Array.from(got.slice(60_001))).toEqual([Infinity, NaN, NaN, 0, -0]);
    expect(want.slice(60_001)).toEqual([Infinity, NaN, NaN, 0, -0]);
  });
});

describe("gemv: the product of a few rows without packing", () => {
  interface HeapBackend {
    makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
    typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
    disposeData(id: object): void;
  }

  /**
   * c = bias + op(a)·b by the definition, in float32 in order (a multiply and an add per term,
   * each rounded): op(a) m×k with element (i, l) at a[i·aRow + l·aCol] (float indices), b k×n row-major.
   */
  function inOrder(a: Float32Array, b: Float32Array, bias: Float32Array | null, m: number, n: number, k: number, aRow: number, aCol: number): Float32Array {
    const c = new Float32Array(m * n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = bias ? bias[j]! : 0;
        for (let l = 0; l < k; l++) s = Math.fround(s + Math.fround(a[i * aRow + l * aCol]! * b[l * n + j]!));
        c[i * n + j] = s;
      }
    }
    return c;
  }

  it.each([
    // [m, n, k, transposeA, bias]: four rows of b at a time and the last k mod 4; eight columns at
    // a time and the last n mod 8; no inner axis (the bias alone)
    [1, 203, 301, false, true],
    [3, 50, 37, true, true],
    [15, 1030, 9, false, false],
    [1, 3, 5, false, true],
    [2, 64, 1, true, false],
    [1, 9, 0, false, true],
    // rows packed four at a time (a transposed: one vector per inner index), the inner axis in
    // two and three blocks of 256, the last m mod 4 rows read in place
    [8, 19, 300, true, true],
    [13, 24, 520, true, false],
    [6, 16, 257, false, true],
  ] as const)('%i×%i (k = %i, a transposed: %s, bias: %s): gemm\'s values and the in-order float32 sums, bit for bit', async (m, n, k, transposeA, withBias) => {
    await withBackend('wasm', () => {
      const backend = tf.backend() as unknown as HeapBackend;
      const simd = simdKernels(backend)!;
      const plain = simd.relaxed ? null : simd;
      if (!plain) throw new Error('the unit project runs without relaxed SIMD: expected the plain kernels');
      const a = values(m * k, 71, 2);
      const b = values(k * n, 72);
      const bias = withBias ? values(n, 73) : null;
      const buffers = [m * k, k * n, n, m * n, m * n, gemmScratchFloats(m, Math.max(1, Math.min(k, 256)))].map((size) => backend.makeOutput([Math.max(1, size)], 'float32'));
      try {
        const view = (i: number) => backend.typedArrayFromHeap(buffers[i]!);
        view(0).set(a);
        view(1).set(b);
        if (bias) view(2).set(bias);
        view(4).fill(NaN);
        const at = (i: number) => view(i).byteOffset;
        const [aRow, aCol] = transposeA ? [1, m] : [k, 1];
        const want = inOrder(a, b, bias, m, n, k, aRow, aCol);
        // gemv reading op(b) one row at a time (kc 1) and four at a time (kc 4), then gemm
        for (const kc of [1, 4]) {
          view(3).fill(NaN);
          plain.gemv(at(0), at(1), at(3), bias ? at(2) : 0, m, n, k, 4 * aRow, 4 * aCol, 4 * n, 4, 0, kc, 4 * n);
          expect(view(3).slice()).toEqual(want);
        }
        plain.gemm(at(0), at(1), at(4), bias ? at(2) : 0, m, n, k, 4 * aRow, 4 * aCol, 4 * n, 4, at(5), 256, 4 * n);
        expect(view(4).slice()).toEqual(want);
      } finally {
        for (const t of buffers) backend.disposeData(t.dataId);
      }
    });
  });

  it('writes a band of columns into a wider output, leaving the rest alone', async () => {
    await withBackend('wasm', () => {
      const backend = tf.backend() as unknown as HeapBackend;
      const simd = simdKernels(backend)!;
      const [m, n, k, from, width] = [2, 40, 17, 8, 21];
      const a = values(m * k, 81);
      const b = values(k * n, 82);
      const bias = values(n, 83);
      const buffers = [m * k, k * n, n, m * n].map((size) => backend.makeOutput([size], 'float32'));
      try {
        const view = (i: number) => backend.typedArrayFromHeap(buffers[i]!);
        view(0).set(a);
        view(1).set(b);
        view(2).set(bias);
        view(3).fill(-7);
        const at = (i: number) => view(i).byteOffset;
        simd.gemv(at(0), at(1) + 4 * from, at(3) + 4 * from, at(2) + 4 * from, m, width, k, 4 * k, 4, 4 * n, 4, 0, 4, 4 * n);
        const got = view(3).slice();
        const want = inOrder(a, b, bias, m, n, k, k, 1);
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) expect(got[i * n + j]).toBe(j >= from && j < from + width ? want[i * n + j] : -7);
        }
      } finally {
        for (const t of buffers) backend.disposeData(t.dataId);
      }
    });
  });
});
