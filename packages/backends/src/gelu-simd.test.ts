/**
 * GELU on tfkit's SIMD kernels (elementwise.wat's `gelu`): `TfkitGelu` at any size and
 * `TfkitGeluGrad`, against float64 evaluations of the same formulas and the cpu composite.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRegistry, FUSED_ELEMENTWISE_MAX_SIZE, FUSED_GELU, FUSED_GELU_GRAD, gelu, geluTanh, linear, type FusedKernelConfig } from '@tfkit/core-tensor';
import { expectAllClose, expectNoLeaks, withBackend } from '@tfkit/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { geluValues } from './fused-kernels.js';
import { registerAllBackends, useBackend } from './index.js';

const C = Math.sqrt(2 / Math.PI);
const K = 0.044715;

/** tfjs's erf (Abramowitz & Stegun 7.1.26), which the contract's exact GELU uses, in float64. */
function erf64(v: number): number {
  const a = Math.abs(v);
  const t = 1 / (1 + 0.3275911 * a);
  const poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t;
  return Math.sign(v) * (1 - poly * Math.exp(-a * a));
}

const reference = {
  exact: (x: number) => 0.5 * x * (1 + erf64(x / Math.SQRT2)),
  tanh: (x: number) => 0.5 * x * (1 + Math.tanh(C * (x + K * x * x * x))),
  exactGrad: (x: number) => 0.5 * (1 + erf64(x / Math.SQRT2)) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI),
  tanhGrad: (x: number) => {
    const t = Math.tanh(C * (x + K * x * x * x));
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * C * (1 + 3 * K * x * x);
  },
};

/** n values spread over [−span, span], some exactly 0 and tiny; deterministic. */
function spread(n: number, span: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sin(i * 12.9898) * span * (i % 7 === 0 ? 1e-4 : 1);
  out[0] = 0;
  return out;
}

async function kernelNames(f: () => tf.Tensor | tf.Tensor[]): Promise<string[]> {
  const info = await tf.profile(() => f());
  tf.dispose(info.result as tf.Tensor);
  return info.kernels.map((k) => k.name).filter((name) => name !== '');
}

describe('GELU on the SIMD kernels (single-threaded wasm)', () => {
  beforeAll(async () => {
    const registry = createRegistry();
    registerAllBackends(registry);
    await useBackend(registry, 'wasm', { threads: 1 });
    await withBackend('cpu', () => undefined);
  });

  it('registers TfkitGelu as vectorised and TfkitGeluGrad', () => {
    expect((tf.getKernel(FUSED_GELU, 'wasm') as FusedKernelConfig).vectorized).toBe(true);
    expect(tf.getKernel(FUSED_GELU_GRAD, 'wasm')).toBeDefined();
  });

  it.each([
    ['exact', gelu, reference.exact, reference.exactGrad],
    ['tanh', geluTanh, reference.tanh, reference.tanhGrad],
  ] as const)('%s form: values and gradient within float32 rounding of float64 (|x| ≤ 12, 4k + 3 values)', async (_form, op, f, df) => {
    const x = spread(1027, 12);
    const dyValues = spread(1027, 2).map((v, i) => v + (i % 3));
    const run = () =>
      tf.tidy(() => {
        const t = tf.tensor1d(x);
        const dy = tf.tensor1d(dyValues);
        const y = op(t).dataSync() as Float32Array;
        const dx = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(op(v), dy)))(t).dataSync() as Float32Array;
        return { y, dx };
      });
    const got = await withBackend('wasm', () => expectNoLeaks(run, 'SIMD GELU'));
    const composite = await withBackend('cpu', run);
    const want = Array.from(x, (v) => f(v));
    const wantDx = Array.from(x, (v, i) => df(v) * dyValues[i]!);
    expectAllClose(got.y, want, { atol: 1e-6, rtol: 2e-6, label: 'y' });
    // The tanh form's derivative loses digits in 1 − t² where |t| → 1, in any float32 evaluation:
    // no further from float64 than tfjs's float32 composite on cpu (plus a float32 step).
    const worst = (a: Float32Array) => Math.max(...Array.from(a, (v, i) => Math.abs(v - wantDx[i]!)));
    expect(worst(got.dx)).toBeLessThanOrEqual(1.5 * worst(composite.dx) + 1e-6);
    expectAllClose(got.dx, wantDx, { atol: 5e-6, rtol: 4e-6, label: 'dx' });
  });

  it('runs one kernel each way at any size, where the composite ran tfjs-backend-wasm`s Tanh', async () => {
    await withBackend('wasm', async () => {
      const big = tf.tensor1d(spread(FUSED_ELEMENTWISE_MAX_SIZE + 5, 4));
      expect(await kernelNames(() => geluTanh(big))).toEqual([FUSED_GELU]);
      const backward = await kernelNames(() => tf.grad((v: tf.Tensor) => tf.sum(geluTanh(v)))(big));
      expect(backward).toContain(FUSED_GELU_GRAD);
      expect(backward).not.toContain('Tanh');
      // Equal to the composite on cpu.
      const got = tf.tidy(() => geluTanh(big).dataSync());
      const want = await withBackend('cpu', () => tf.tidy(() => geluTanh(tf.tensor1d(spread(FUSED_ELEMENTWISE_MAX_SIZE + 5, 4))).dataSync()));
      expectAllClose(got as Float32Array, want as Float32Array, { atol: 2e-6, label: 'y vs cpu' });
      big.dispose();
    });
  });

  it("a dense layer's GELU (inference, 3 × 100k outputs) is TfkitDense alone, equal to the product then TfkitGelu", async () => {
    await withBackend('wasm', async () => {
      await expectNoLeaks(async () => {
        const x = tf.tensor2d(spread(3 * 24, 1), [3, 24]);
        const w = tf.tensor2d(spread(24 * 33_000, 0.3), [24, 33_000]);
        const names = await kernelNames(() => linear(x, w, null, { activation: 'gelu_tanh' }));
        expect(names).toEqual(['TfkitDense']);
        const fused = tf.tidy(() => linear(x, w, null, { activation: 'gelu_tanh' }).dataSync());
        const separate = tf.tidy(() => geluTanh(linear(x, w)).dataSync());
        expect(Array.from(fused)).toEqual(Array.from(separate));
        tf.dispose([x, w]);
      }, 'dense + GELU');
    });
  });

  it('handles 0, 1 and 3 values (the remainder path) and NaN', async () => {
    await withBackend('wasm', () => {
      for (const n of [0, 1, 3]) {
        const x = Float32Array.from({ length: n }, (_, i) => i - 1.5);
        const y = tf.tidy(() => gelu(tf.tensor1d(x)).dataSync());
        expectAllClose(y as Float32Array, Array.from(x, reference.exact), { atol: 1e-6 });
      }
      const y = tf.tidy(() => geluTanh(tf.tensor1d([NaN, 1, 2, 3, NaN])).dataSync());
      expect(Number.isNaN(y[0])).toBe(true);
      expect(Number.isNaN(y[4])).toBe(true);
    });
  });
});

describe('GELU in JavaScript (where the SIMD kernels cannot run: the threaded build)', () => {
  it.each([false, true])('equals float64 within float32 rounding (tanh: %s)', (tanh) => {
    const x = spread(1027, 12);
    const y = new Float32Array(x.length);
    geluValues(x, y, tanh);
    expectAllClose(y, Array.from(x, tanh ? reference.tanh : reference.exact), { atol: 1e-6, rtol: 2e-6 });
  });
});
