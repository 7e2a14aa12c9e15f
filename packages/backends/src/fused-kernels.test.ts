import * as tf from '@tensorflow/tfjs-core';
import {
  addLayerNorm, cachedAttentionInPlace, cachedAttentionStep, FUSED_ADD_LAYER_NORM, FUSED_CACHED_ATTENTION, FUSED_CACHED_ATTENTION_IN_PLACE, FUSED_DENSE, FUSED_DROPOUT_MASK, MASK_VALUE, scaledDotProductAttention, FUSED_ELEMENTWISE_MAX_SIZE, FUSED_GELU, FUSED_LAYER_NORM, gelu, geluTanh, layerNorm, linear,
} from '@tfkit/core-tensor';
import { expectAllClose, expectNoLeaks, wasmHeapInUse, withBackend } from '@tfkit/test-utils';
import { describe, expect, it, onTestFinished } from 'vitest';
import { installFusedWasmKernels, installSimdWasmKernels } from './fused-kernels.js';
import { setRelaxedSimd, simdKernels } from './simd-kernels.js';
import { values } from './testing/values.js';

/** Dropout's mask through `TfkitDropoutMask` (what @tfkit/layers' Dropout runs where it is registered). */
const dropoutMask = (shape: number[], p: number, seed: number) => tf.engine().runKernel(FUSED_DROPOUT_MASK, {}, { shape, p, seed }) as tf.Tensor;

/** Layer norm in float64 from the float32 inputs: the answer both paths approximate. */
function layerNorm64(c: Case): Float64Array {
  const width = c.shape[c.shape.length - 1]!;
  const y = new Float64Array(c.x.length);
  for (let o = 0; o < c.x.length; o += width) {
    const row = Array.from(c.x.subarray(o, o + width));
    const mean = row.reduce((a, v) => a + v, 0) / width;
    const variance = row.reduce((a, v) => a + (v - mean) ** 2, 0) / width;
    row.forEach((v, i) => {
      y[o + i] = ((v - mean) / Math.sqrt(variance + 1e-5)) * (c.gamma?.[i] ?? 1) + (c.beta?.[i] ?? 0);
    });
  }
  return y;
}

type Case = { x: Float32Array; shape: number[]; gamma: Float32Array | null; beta: Float32Array | null };

/** The value and the gradients (x, γ, β) of Σ w·layerNorm(x), read back as plain arrays. */
function layerNormRun(c: Case): { y: Float32Array; grads: Float32Array[] } {
  return tf.tidy(() => {
    const width = c.shape[c.shape.length - 1]!;
    const x = tf.tensor(c.x, c.shape);
    const gamma = c.gamma ? tf.tensor1d(c.gamma) : null;
    const beta = c.beta ? tf.tensor1d(c.beta) : null;
    const w = tf.tensor(values(c.x.length, 99), c.shape);
    const f = (...ts: tf.Tensor[]) => {
      const [xx, g, b] = [ts[0]!, gamma ? ts[1]! : null, beta ? ts[gamma ? 2 : 1]! : null];
      return tf.sum(tf.mul(layerNorm(xx, g, b, 1e-5), w));
    };
    const inputs = [x, ...(gamma ? [gamma] : []), ...(beta ? [beta] : [])];
    const grads = tf.grads(f)(inputs).map((g) => g.dataSync() as Float32Array);
    expect(width).toBeGreaterThan(0);
    return { y: layerNorm(x, gamma, beta, 1e-5).dataSync() as Float32Array, grads };
  });
}

function geluRun(x: Float32Array, tanh: boolean): { y: Float32Array; dx: Float32Array } {
  return tf.tidy(() => {
    const t = tf.tensor1d(x);
    const op = tanh ? geluTanh : gelu;
    const w = tf.tensor1d(values(x.length, 7));
    const dx = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(op(v), w)))(t).dataSync() as Float32Array;
    return { y: op(t).dataSync() as Float32Array, dx };
  });
}

/** Kernels tfjs runs for `f`, by name. */
async function kernelNames(f: () => tf.Tensor): Promise<string[]> {
  const info = await tf.profile(() => f());
  tf.dispose(info.result);
  // A custom-gradient op shows as a scope with an empty name around its kernels.
  return info.kernels.map((k) => k.name).filter((name) => name !== '');
}

describe('fused wasm kernels (layer norm, GELU)', () => {
  const cases: [string, Case][] = [
    ['γ and β', { x: values(4 * 3 * 40, 1, 2), shape: [4, 3, 40], gamma: values(40, 2), beta: values(40, 3) }],
    ['γ only', { x: values(5 * 16, 4), shape: [5, 16], gamma: values(16, 5), beta: null }],
    ['neither', { x: values(2 * 9, 6), shape: [2, 9], gamma: null, beta: null }],
  ];

  it.each(cases)('layer norm on wasm equals the composite on cpu, forward and backward (%s)', async (_label, c) => {
    installFusedWasmKernels();
    const want = await withBackend('cpu', () => layerNormRun(c));
    const got = await withBackend('wasm', async () => {
      expect(tf.getKernel(FUSED_LAYER_NORM, 'wasm')).toBeDefined();
      return expectNoLeaks(() => layerNormRun(c), 'fused layer norm');
    });
    expectAllClose(got.y, want.y, { atol: 2e-5, label: 'y' });
    expectAllClose(got.y, layerNorm64(c), { atol: 2e-6, label: 'y vs float64' });
    expect(got.grads).toHaveLength(want.grads.length);
    got.grads.forEach((g, i) => expectAllClose(g, want.grads[i]!, { atol: 5e-5, rtol: 1e-4, label: `grad ${i}` }));
  });

  it('stays exact for rows far from zero, where float32 sums lose digits', async () => {
    installFusedWasmKernels();
    // Rows around 1000 that vary by 0.01: the composite's float32 mean is off by ~1e-3 here; the
    // kernel sums in float64 and matches a float64 reference to float32 rounding.
    const c: Case = { x: values(3 * 64, 8, 0.01, 1000), shape: [3, 64], gamma: values(64, 9), beta: values(64, 10) };
    const got = await withBackend('wasm', () => tf.tidy(() => layerNorm(tf.tensor(c.x, c.shape), tf.tensor1d(c.gamma!), tf.tensor1d(c.beta!)).dataSync()));
    expectAllClose(got, layerNorm64(c), { atol: 1e-5, label: 'y vs float64' });
  });

  it.each([false, true])('GELU on wasm equals the composite on cpu, forward and backward (tanh: %s)', async (tanh) => {
    installFusedWasmKernels();
    const x = values(300, 12, 6); // covers the tails, |x| up to 6
    const want = await withBackend('cpu', () => geluRun(x, tanh));
    const got = await withBackend('wasm', () => expectNoLeaks(() => geluRun(x, tanh), 'fused GELU'));
    expectAllClose(got.y, want.y, { atol: 2e-6, label: 'y' });
    expectAllClose(got.dx, want.dx, { atol: 2e-6, label: 'dx' });
  });

  it('runs one kernel where the composite runs many, and the composite again once unregistered', async () => {
    installFusedWasmKernels();
    await withBackend('wasm', async () => {
      const x = tf.tensor2d(values(2 * 8, 13), [2, 8]);
      const g = tf.ones([8]);
      const b = tf.zeros([8]);
      expect(await kernelNames(() => layerNorm(x, g, b))).toEqual([FUSED_LAYER_NORM]);
      expect(await kernelNames(() => geluTanh(x))).toEqual([FUSED_GELU]);
      // Large tensors stay on tfjs's vectorised kernels.
      const big = tf.zeros([FUSED_ELEMENTWISE_MAX_SIZE + 1]);
      expect(await kernelNames(() => geluTanh(big))).not.toContain(FUSED_GELU);
      big.dispose();
      const fused = layerNorm(x, g, b);
      const config = tf.getKernel(FUSED_LAYER_NORM, 'wasm')!;
      tf.unregisterKernel(FUSED_LAYER_NORM, 'wasm');
      try {
        const names = await kernelNames(() => layerNorm(x, g, b));
        expect(names.length).toBeGreaterThan(5);
        expect(names).not.toContain(FUSED_LAYER_NORM);
        const composite = layerNorm(x, g, b);
        expectAllClose(fused, composite, { atol: 1e-5 });
        composite.dispose();
      } finally {
        tf.registerKernel(config);
      }
      tf.dispose([x, g, b, fused]);
    });
  });

  it('draws a dropout mask in one kernel, on the heap, with the bits of tfjs\'s composite', async () => {
    await withBackend('wasm', async () => {
      installSimdWasmKernels(tf.backend());
      await expectNoLeaks(async () => {
        expect(await kernelNames(() => dropoutMask([4, 300], 0.1, 77))).toEqual([FUSED_DROPOUT_MASK]);
        const bits = (t: tf.Tensor) => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));
        // Long runs, odd lengths, rates whose float32 rounding decides ties, seeds up to 2^32 − 1.
        for (const [n, p, seed] of [[100_003, 0.1, 0], [4097, 0.5, 4294967295], [20_000, 1 / 3, 123456789], [999, 0.999, 5], [1, 0, 9]] as const) {
          const got = tf.tidy(() => bits(dropoutMask([n], p, seed)));
          const want = tf.tidy(() => bits(tf.mul(tf.cast(tf.greaterEqual(tf.randomUniform([n], 0, 1, 'float32', seed), p), 'float32'), 1 / (1 - p))));
          expect(got, `n ${n}, p ${p}, seed ${seed}`).toEqual(want);
          if (n > 1000) expect(new Set(got).size).toBe(2);
        }
      }, 'dropout mask');
    });
  });

  it('leaves int32 inputs to the composite path', async () => {
    installFusedWasmKernels();
    await withBackend('wasm', async () => {
      const x = tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32');
      const names = await kernelNames(() => geluTanh(tf.cast(x, 'float32')));
      expect(names).toContain(FUSED_GELU);
      const direct = await kernelNames(() => layerNorm(x, null, null));
      expect(direct).not.toContain(FUSED_LAYER_NORM);
      x.dispose();
    });
  });
});

/** The value and the gradients (x, w[, b]) of Σ u·linear(x, w, b), read back as plain arrays. */
function denseRun(xShape: number[], inF: number, outF: number, withBias: boolean): { y: Float32Array; grads: Float32Array[] } {
  return tf.tidy(() => {
    const n = xShape.reduce((a, d) => a * d, 1);
    const x = tf.tensor(values(n, 21), xShape);
    const w = tf.tensor2d(values(inF * outF, 22, 0.3), [inF, outF]);
    const b = withBias ? tf.tensor1d(values(outF, 23)) : null;
    const u = tf.tensor(values((n / inF) * outF, 24), [...xShape.slice(0, -1), outF]);
    const f = (...ts: tf.Tensor[]) => tf.sum(tf.mul(linear(ts[0]!, ts[1]!, withBias ? ts[2]! : null), u));
    const grads = tf.grads(f)([x, w, ...(b ? [b] : [])]).map((g) => g.dataSync() as Float32Array);
    return { y: linear(x, w, b).dataSync() as Float32Array, grads };
  });
}

/**
 * The outputs and gradients (x, residual, γ, β) of Σ u·sum + Σ v·normed for addLayerNorm: a
 * pre-norm block uses both outputs (the stream goes on, the normalised copy feeds the sublayer).
 */
function addLayerNormRun(shape: number[], useSum: boolean): { sum: Float32Array; normed: Float32Array; grads: Float32Array[] } {
  return tf.tidy(() => {
    const n = shape.reduce((a, d) => a * d, 1);
    const width = shape[shape.length - 1]!;
    const x = tf.tensor(values(n, 31, 2), shape);
    const r = tf.tensor(values(n, 32), shape);
    const gamma = tf.tensor1d(values(width, 33));
    const beta = tf.tensor1d(values(width, 34));
    const u = tf.tensor(values(n, 35), shape);
    const v = tf.tensor(values(n, 36), shape);
    const f = (...ts: tf.Tensor[]) => {
      const out = addLayerNorm(ts[0]!, ts[1]!, ts[2]!, ts[3]!, 1e-5);
      const normedPart = tf.sum(tf.mul(out.normed, v));
      return useSum ? tf.add(tf.sum(tf.mul(out.sum, u)), normedPart) : normedPart;
    };
    const grads = tf.grads(f)([x, r, gamma, beta]).map((g) => g.dataSync() as Float32Array);
    const out = addLayerNorm(x, r, gamma, beta, 1e-5);
    return { sum: out.sum.dataSync() as Float32Array, normed: out.normed.dataSync() as Float32Array, grads };
  });
}

describe('fused wasm kernels (dense, residual add + layer norm)', () => {
  it.each([
    ['3-D input with bias', [2, 3, 24], 24, 40, true],
    ['2-D input without bias', [5, 16], 16, 7, false],
    ['one row (a decoding step)', [1, 1, 32], 32, 96, true],
  ] as const)('dense on wasm equals the composite on cpu, forward and backward (%s)', async (_label, xShape, inF, outF, withBias) => {
    installFusedWasmKernels();
    const want = await withBackend('cpu', () => denseRun([...xShape], inF, outF, withBias));
    const got = await withBackend('wasm', async () => {
      expect(tf.getKernel(FUSED_DENSE, 'wasm')).toBeDefined();
      expect(await kernelNames(() => tf.tidy(() => linear(tf.ones([...xShape]), tf.ones([inF, outF]), withBias ? tf.ones([outF]) : null)))).toContain(FUSED_DENSE);
      return expectNoLeaks(() => denseRun([...xShape], inF, outF, withBias), 'fused dense');
    });
    expectAllClose(got.y, want.y, { atol: 1e-5, rtol: 1e-5, label: 'y' });
    expect(got.grads).toHaveLength(withBias ? 3 : 2);
    got.grads.forEach((g, i) => expectAllClose(g, want.grads[i]!, { atol: 1e-5, rtol: 1e-5, label: `grad ${i}` }));
  });

  it("keeps no copy of a dense weight for any number of rows (XNNPACK keeps its packed one), and gives XNNPACK's values bit for bit", async () => {
    installFusedWasmKernels();
    // The plain product (relaxed SIMD's fused multiply-adds round differently: relaxed-simd.test.ts).
    setRelaxedSimd(false);
    onTestFinished(() => setRelaxedSimd(true));
    await withBackend('wasm', async () => {
      expect(simdKernels(tf.backend())).not.toBeNull();
      const [inF, outF] = [512, 1024];
      const weightBytes = inF * outF * 4;
      const x = tf.tensor2d(values(64 * inF, 51), [64, inF]);
      const b = tf.tensor1d(values(outF, 52));
      const wValues = values(inF * outF, 53);
      /** Heap bytes (tensors and the backend's own allocations) a product leaves behind, its output and a fresh weight aside. */
      const leftBehind = (product: (w: tf.Tensor) => tf.Tensor) => {
        const weight = tf.tensor2d(wValues, [inF, outF]);
        const before = wasmHeapInUse();
        const y = product(weight);
        const values_ = y.dataSync().slice();
        y.dispose();
        const kept = wasmHeapInUse() - before;
        weight.dispose();
        return { kept, values: values_ };
      };
      const row = (i: number) => tf.slice(x, [i, 0], [1, inF]);
      // One row by XNNPACK (tfjs's fused matMul, the bias in its accumulator), which keeps its packed copy.
      const rows = [0, 37, 63].map((i) => leftBehind((weight) => tf.tidy(() => tf.fused.matMul({ a: row(i) as tf.Tensor2D, b: weight as tf.Tensor2D, bias: b }))));
      rows.forEach((r) => expect(r.kept).toBeGreaterThanOrEqual(weightBytes)); // the measurement sees the packed copy
      // One row (a decoding step) and three by TfkitDense (gemv), with and without transientWeight:
      // nothing kept, XNNPACK's bits.
      for (const attrs of [{}, { transientWeight: true }] as tf.NamedAttrMap[]) {
        [0, 37, 63].forEach((i, r) => {
          const one = leftBehind((weight) => tf.tidy(() => tf.engine().runKernel(FUSED_DENSE, { x: row(i), weight, bias: b }, attrs) as tf.Tensor));
          expect(one.kept).toBeLessThan(weightBytes / 16);
          expect(one.values).toEqual(rows[r]!.values);
        });
        const three = leftBehind((weight) => tf.tidy(() => tf.engine().runKernel(FUSED_DENSE, { x: tf.slice(x, [36, 0], [3, inF]), weight, bias: b }, attrs) as tf.Tensor));
        expect(three.kept).toBeLessThan(weightBytes / 16);
        expect(three.values.slice(outF, 2 * outF)).toEqual(rows[1]!.values);
      }
      // 64 rows, cached or not, inference or a recorded pass: the SIMD product (gemm), nothing
      // kept, each row the bits XNNPACK gave it alone.
      const many = leftBehind((weight) => tf.engine().runKernel(FUSED_DENSE, { x, weight, bias: b }, {}) as tf.Tensor);
      expect(many.kept).toBeLessThan(weightBytes / 16);
      [0, 37, 63].forEach((i, r) => expect(many.values.slice(i * outF, (i + 1) * outF)).toEqual(rows[r]!.values));
      const inference = leftBehind((weight) => linear(x, weight, b));
      expect(inference.kept).toBeLessThan(weightBytes / 16);
      expect(inference.values).toEqual(many.values);
      const bias = tf.variable(b, true);
      const training = leftBehind((weight) => {
        const { value, grads } = tf.variableGrads(() => tf.sum(linear(x, weight, bias)) as tf.Scalar, [bias]);
        Object.values(grads).forEach((g) => g.dispose());
        return value;
      });
      expect(training.kept).toBeLessThan(weightBytes / 16);
      tf.dispose([x, b, bias]);
    });
  });

  it.each([true, false])('residual add + layer norm on wasm equals the composite on cpu, forward and backward (sum used: %s)', async (useSum) => {
    installFusedWasmKernels();
    const shape = [2, 3, 40];
    const want = await withBackend('cpu', () => addLayerNormRun(shape, useSum));
    const got = await withBackend('wasm', async () => {
      expect(tf.getKernel(FUSED_ADD_LAYER_NORM, 'wasm')).toBeDefined();
      return expectNoLeaks(() => addLayerNormRun(shape, useSum), 'fused add + layer norm');
    });
    expectAllClose(got.sum, want.sum, { atol: 1e-6, label: 'sum' });
    expectAllClose(got.normed, want.normed, { atol: 2e-5, label: 'normed' });
    got.grads.forEach((g, i) => expectAllClose(g, want.grads[i]!, { atol: 5e-5, rtol: 1e-4, label: `grad ${i}` }));
  });

  it('runs one kernel each where the composites run several, and the composites again once unregistered', async () => {
    installFusedWasmKernels();
    await withBackend('wasm', async () => {
      const x = tf.tensor3d(values(2 * 3 * 8, 41), [2, 3, 8]);
      const r = tf.tensor3d(values(2 * 3 * 8, 42), [2, 3, 8]);
      const w = tf.tensor2d(values(8 * 5, 43), [8, 5]);
      const b = tf.tensor1d(values(5, 44));
      const g = tf.tensor1d(values(8, 45));
      const beta = tf.tensor1d(values(8, 46));
      expect(await kernelNames(() => linear(x, w, b))).toEqual([FUSED_DENSE]);
      expect(await kernelNames(() => linear(x, w))).toEqual([FUSED_DENSE]);
      const fusedNames = (await tf.profile(() => Object.values(addLayerNorm(x, r, g, beta)))).kernels.map((k) => k.name);
      expect(fusedNames).toEqual([FUSED_ADD_LAYER_NORM]);
      // Without γ/β, or with a residual to broadcast, the op is the composite.
      expect((await tf.profile(() => Object.values(addLayerNorm(x, r, null, null)))).kernels.map((k) => k.name)).not.toContain(FUSED_ADD_LAYER_NORM);
      const fusedY = linear(x, w, b);
      const fusedA = addLayerNorm(x, r, g, beta);
      const configs = [tf.getKernel(FUSED_DENSE, 'wasm')!, tf.getKernel(FUSED_ADD_LAYER_NORM, 'wasm')!];
      for (const c of configs) tf.unregisterKernel(c.kernelName, 'wasm');
      try {
        const names = await kernelNames(() => linear(x, w, b));
        expect(names).toContain('BatchMatMul');
        expect(names.length).toBeGreaterThan(2);
        const compositeY = linear(x, w, b);
        const compositeA = addLayerNorm(x, r, g, beta);
        expectAllClose(fusedY, compositeY, { atol: 1e-5 });
        expectAllClose(fusedA.sum, compositeA.sum, { atol: 0 });
        expectAllClose(fusedA.normed, compositeA.normed, { atol: 2e-5 });
        tf.dispose([compositeY, compositeA.sum, compositeA.normed]);
      } finally {
        for (const c of configs) tf.registerKernel(c);
      }
      tf.dispose([x, r, w, b, g, beta, fusedY, fusedA.sum, fusedA.normed]);
    });
  });
});

/** A decoding step's attention by the composite ops: split q/k/v, append to the cache, attend, merge heads. */
function compositeStep(qkv: tf.Tensor3D, past: { key: tf.Tensor4D; value: tf.Tensor4D } | null, mask: tf.Tensor | null, h: number, scale: number): tf.Tensor[] {
  return tf.tidy(() => {
    const [b, , c3] = qkv.shape;
    const d = c3 / 3 / h;
    const [q, k, v] = tf.split(tf.reshape(qkv, [b, 3 * h, 1, d]), 3, 1) as tf.Tensor4D[];
    const key = past ? tf.concat([past.key, k!], 2) : k!;
    const value = past ? tf.concat([past.value, v!], 2) : v!;
    const out = scaledDotProductAttention(q!, key, value, mask, { scale }).output;
    return [tf.reshape(out, [b, 1, c3 / 3]), key, value];
  });
}

describe('fused wasm kernel: a decoding step\'s attention', () => {
  const h = 3;
  const d = 8;
  // [label, batch, past length, mask, heads × head size (default h × d)]
  const cases: [string, number, number, number[] | null, [number, number]?][] = [
    ['past and a padding mask per row', 2, 6, [0, 0, MASK_VALUE, 0, 0, 0, 0, MASK_VALUE, MASK_VALUE, 0, 0, 0, 0, 0]],
    ['past, one mask for every row', 2, 4, [MASK_VALUE, 0, 0, 0, 0]],
    ['past, no mask', 1, 9, null],
    ['no past (a one-token prompt)', 2, 0, null],
    ['a row masked everywhere (uniform, as the composite)', 1, 3, [MASK_VALUE, MASK_VALUE, MASK_VALUE, MASK_VALUE]],
    // Head sizes that are not a multiple of the kernel's 4-wide loops.
    ['head size 7, past and a mask per row', 2, 5, [0, MASK_VALUE, 0, 0, 0, 0, 0, 0, 0, 0, 0, MASK_VALUE], [2, 7]],
    ['head size 2, no past', 1, 0, null, [5, 2]],
  ];

  it.each(cases)('equals the composite on cpu (%s)', async (_label, b, pastLen, maskValues, dims) => {
    installFusedWasmKernels();
    const [h, d] = dims ?? [3, 8];
    const c = h * d;
    const run = (fused: boolean) => tf.tidy(() => {
      const qkv = tf.tensor3d(values(b * 3 * c, 51, 2), [b, 1, 3 * c]);
      const past = pastLen > 0
        ? { key: tf.tensor4d(values(b * h * pastLen * d, 52, 2), [b, h, pastLen, d]), value: tf.tensor4d(values(b * h * pastLen * d, 53), [b, h, pastLen, d]) }
        : null;
      const mask = maskValues ? tf.tensor4d(maskValues, [maskValues.length / (pastLen + 1), 1, 1, pastLen + 1]) : null;
      const scale = 1 / Math.sqrt(d);
      if (!fused) return compositeStep(qkv, past, mask, h, scale).map((t) => t.dataSync() as Float32Array);
      const step = cachedAttentionStep(qkv, past, mask, h, scale);
      expect(step).not.toBeNull();
      return [step!.output, step!.key, step!.value].map((t) => t.dataSync() as Float32Array);
    });
    const want = await withBackend('cpu', () => run(false));
    const got = await withBackend('wasm', () => expectNoLeaks(() => run(true), 'fused attention step'));
    expectAllClose(got[0]!, want[0]!, { atol: 2e-6, label: 'output' });
    expectAllClose(got[1]!, want[1]!, { atol: 0, label: 'key' });
    expectAllClose(got[2]!, want[2]!, { atol: 0, label: 'value' });
  });

  it('is one kernel, and not used while a gradient is recorded or where the kernel is missing', async () => {
    installFusedWasmKernels();
    await withBackend('wasm', async () => {
      const qkv = tf.tensor3d(values(3 * h * d, 54), [1, 1, 3 * h * d]);
      const past = { key: tf.tensor4d(values(h * 2 * d, 55), [1, h, 2, d]), value: tf.tensor4d(values(h * 2 * d, 56), [1, h, 2, d]) };
      const names = (await tf.profile(() => {
        const step = cachedAttentionStep(qkv, past, null, h, 0.5)!;
        return [step.output, step.key, step.value];
      })).kernels.map((k) => k.name);
      expect(names).toEqual([FUSED_CACHED_ATTENTION]);
      // Under tf.grad the op declines (the kernel has no gradient); the caller's composite runs.
      let seen: unknown = 'unset';
      const g = tf.grad((x: tf.Tensor) => {
        seen = cachedAttentionStep(x, past, null, h, 0.5);
        return tf.sum(x);
      })(qkv);
      expect(seen).toBeNull();
      // Shapes the contract does not cover: more than one query, a mask over several queries.
      expect(cachedAttentionStep(tf.tidy(() => tf.concat([qkv, qkv], 1)), past, null, h, 0.5)).toBeNull();
      const config = tf.getKernel(FUSED_CACHED_ATTENTION, 'wasm')!;
      tf.unregisterKernel(FUSED_CACHED_ATTENTION, 'wasm');
      try {
        expect(cachedAttentionStep(qkv, past, null, h, 0.5)).toBeNull();
      } finally {
        tf.registerKernel(config);
      }
      tf.dispose([qkv, past.key, past.value, g]);
    });
  });
});

describe('fused wasm kernel: a decoding step\'s attention written into a preallocated cache', () => {
  // [label, batch, past length, capacity, mask, heads × head size]
  const cases: [string, number, number, number, number[] | null, [number, number]][] = [
    ['past and a padding mask per row', 2, 6, 11, [0, 0, MASK_VALUE, 0, 0, 0, 0, MASK_VALUE, MASK_VALUE, 0, 0, 0, 0, 0], [3, 8]],
    ['past, no mask, the last free slot', 1, 9, 10, null, [3, 8]],
    ['an empty cache (a one-token prompt)', 2, 0, 4, null, [3, 8]],
    ['head size 7, one mask for every row', 2, 5, 16, [0, MASK_VALUE, 0, 0, 0, 0], [2, 7]],
  ];

  it.each(cases)('gives the copying kernel\'s output bit for bit, writes only position `length` (%s)', async (_label, b, pastLen, capacity, maskValues, [h, d]) => {
    installFusedWasmKernels();
    const c = h * d;
    await withBackend('wasm', () => expectNoLeaks(() => {
      const qkv = tf.tensor3d(values(b * 3 * c, 61, 2), [b, 1, 3 * c]);
      const pastKey = values(b * h * pastLen * d, 62, 2);
      const pastValue = values(b * h * pastLen * d, 63);
      const mask = maskValues ? tf.tensor4d(maskValues, [maskValues.length / (pastLen + 1), 1, 1, pastLen + 1]) : null;
      // The cache: the past in positions [0, pastLen), a sentinel everywhere after it.
      const SENTINEL = 12345;
      const fill = (past: Float32Array) => {
        const buf = new Float32Array(b * h * capacity * d).fill(SENTINEL);
        for (let r = 0; r < b * h; r++) buf.set(past.subarray(r * pastLen * d, (r + 1) * pastLen * d), r * capacity * d);
        return buf;
      };
      const cache = { key: tf.tensor4d(fill(pastKey), [b, h, capacity, d]), value: tf.tensor4d(fill(pastValue), [b, h, capacity, d]) };
      const past = pastLen > 0 ? { key: tf.tensor4d(pastKey, [b, h, pastLen, d]), value: tf.tensor4d(pastValue, [b, h, pastLen, d]) } : null;
      const scale = 1 / Math.sqrt(d);
      const copying = cachedAttentionStep(qkv, past, mask, h, scale)!;
      const inPlace = cachedAttentionInPlace(qkv, cache, pastLen, mask, h, scale);
      expect(inPlace).not.toBeNull();
      expect(Array.from(inPlace!.dataSync())).toEqual(Array.from(copying.output.dataSync()));
      // Positions 0…pastLen of the cache are the copying kernel's keys/values; the rest untouched.
      for (const [buffer, full] of [[cache.key, copying.key], [cache.value, copying.value]] as const) {
        const got = buffer.dataSync();
        const want = full.dataSync();
        for (let r = 0; r < b * h; r++) {
          expect(Array.from(got.subarray(r * capacity * d, r * capacity * d + (pastLen + 1) * d))).toEqual(Array.from(want.subarray(r * (pastLen + 1) * d, (r + 1) * (pastLen + 1) * d)));
          expect(Array.from(got.subarray(r * capacity * d + (pastLen + 1) * d, (r + 1) * capacity * d)).every((x) => x === SENTINEL)).toBe(true);
        }
      }
      tf.dispose([qkv, mask, cache.key, cache.value, past?.key, past?.value, copying.output, copying.key, copying.value, inPlace!].filter((t) => t != null));
    }, 'in-place attention step'));
  });

  it('is one kernel; declines a full cache, gradients and a missing kernel; refuses a shared buffer', async () => {
    installFusedWasmKernels();
    const h = 2;
    const d = 4;
    await withBackend('wasm', async () => {
      const qkv = tf.tensor3d(values(3 * h * d, 64), [1, 1, 3 * h * d]);
      const cache = { key: tf.zeros([1, h, 3, d]) as tf.Tensor4D, value: tf.zeros([1, h, 3, d]) as tf.Tensor4D };
      const names = (await tf.profile(() => cachedAttentionInPlace(qkv, cache, 1, null, h, 0.5)!)).kernels.map((k) => k.name);
      expect(names).toEqual([FUSED_CACHED_ATTENTION_IN_PLACE]);
      // No room left at position 3, a mask of the wrong length, under tf.grad: null, nothing written.
      expect(cachedAttentionInPlace(qkv, cache, 3, null, h, 0.5)).toBeNull();
      const wrongMask = tf.zeros([1, 1, 1, 3]);
      expect(cachedAttentionInPlace(qkv, cache, 0, wrongMask, h, 0.5)).toBeNull();
      let seen: unknown = 'unset';
      const g = tf.grad((x: tf.Tensor) => {
        seen = cachedAttentionInPlace(x, cache, 2, null, h, 0.5);
        return tf.sum(x);
      })(qkv);
      expect(seen).toBeNull();
      expect(Array.from(cache.key.dataSync()).slice(2 * d, 3 * d).every((x) => x === 0)).toBe(true);
      const config = tf.getKernel(FUSED_CACHED_ATTENTION_IN_PLACE, 'wasm')!;
      tf.unregisterKernel(FUSED_CACHED_ATTENTION_IN_PLACE, 'wasm');
      try {
        expect(cachedAttentionInPlace(qkv, cache, 2, null, h, 0.5)).toBeNull();
      } finally {
        tf.registerKernel(config);
      }
      // A buffer another tensor shares (tf.clone shares it on wasm) would change under that tensor.
      const shared = tf.clone(cache.key);
      expect(() => cachedAttentionInPlace(qkv, cache, 2, null, h, 0.5)).toThrow(/shared with another tensor/);
      tf.dispose([qkv, cache.key, cache.value, wrongMask, g, shared]);
    });
  });
});

describe('fused wasm kernel: dense with the GELU inside', () => {
  it.each(['gelu', 'gelu_tanh'] as const)('linear(…, { activation: %s }) is one TfkitDense kernel with the values of the dense and GELU kernels, bit for bit; the composite while recorded', async (activation) => {
    installFusedWasmKernels();
    await withBackend('wasm', async () => {
      await expectNoLeaks(async () => {
        const x = tf.tensor3d(values(2 * 3 * 16, 71, 3), [2, 3, 16]);
        const w = tf.tensor2d(values(16 * 40, 72, 0.5), [16, 40]);
        const b = tf.tensor1d(values(40, 73));
        const op = activation === 'gelu' ? gelu : geluTanh;
        const info = await tf.profile(() => linear(x, w, b, { activation }));
        expect(info.kernels.map((k) => k.name)).toEqual([FUSED_DENSE]);
        const fused = info.result as tf.Tensor;
        const separate = tf.tidy(() => op(linear(x, w, b)));
        expect(Array.from(fused.dataSync())).toEqual(Array.from(separate.dataSync()));
        // Under tf.grad: the product and the GELU as two differentiable ops.
        const f = (xx: tf.Tensor) => tf.sum(linear(xx, w, b, { activation }));
        const g = tf.grad(f)(x);
        const want = tf.grad((xx: tf.Tensor) => tf.sum(op(linear(xx, w, b))))(x);
        expect(Array.from(g.dataSync())).toEqual(Array.from(want.dataSync()));
        tf.dispose([x, w, b, fused, separate, g, want]);
      }, 'dense + GELU');
    });
  });
});
