import * as tf from '@tensorflow/tfjs-core';
import { FUSED_ELEMENTWISE_MAX_SIZE, FUSED_GELU, FUSED_LAYER_NORM, gelu, geluTanh, layerNorm } from '@tfkit/core-tensor';
import { expectAllClose, expectNoLeaks, withBackend } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { installFusedWasmKernels } from './fused-kernels.js';

/** Deterministic pseudo-random values (a tiny LCG), so cpu and wasm see the same numbers. */
function values(n: number, seed: number, scale = 1, offset = 0): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = offset + scale * (s / 2 ** 32 - 0.5) * 2;
  }
  return out;
}

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
