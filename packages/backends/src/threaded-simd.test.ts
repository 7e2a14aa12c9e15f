/**
 * tfkit's SIMD kernels on tfjs-backend-wasm's threaded build: the modules that import its shared
 * memory run the elementwise kernels (GELU, softmax cross-entropy, layer norm) on the calling
 * thread; with `products: 'xnnpack'` dense and batched products stay with XNNPACK's threads (the
 * default, tfkit's product on helper threads, is simd-team.test.ts').
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRegistry, FUSED_BATCH_MATMUL, FUSED_DROPOUT_MASK, FUSED_GELU, FUSED_GELU_GRAD, FUSED_SOFTMAX_CROSS_ENTROPY, geluTanh, layerNorm, linear, softmaxCrossEntropy, type FusedKernelConfig } from '@tfkit/core-tensor';
import { expectAllClose, expectNoLeaks, withBackend } from '@tfkit/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { registerAllBackends, useBackend } from './index.js';
import { simdKernels } from './simd-kernels.js';
import { values } from './testing/values.js';

/** Dropout's mask through `TfkitDropoutMask` (what @tfkit/layers' Dropout runs where it is registered). */
const dropoutMask = (shape: number[], p: number, seed: number) => tf.engine().runKernel(FUSED_DROPOUT_MASK, {}, { shape, p, seed }) as tf.Tensor;

const registry = createRegistry();
registerAllBackends(registry);

describe('SIMD kernels on the threaded wasm build', () => {
  afterAll(async () => {
    await useBackend(registry, 'wasm', { threads: 1 });
    await withBackend('cpu', () => undefined);
  });

  it("run over the shared memory for elementwise work and, with products: 'xnnpack', leave products to XNNPACK", async () => {
    const activation = await useBackend(registry, 'wasm', { threads: 2, products: 'xnnpack' });
    await withBackend('cpu', () => undefined);
    // A one-core machine runs the single-threaded build instead, and says why.
    if (activation.threads < 2) {
      expect(activation.notes.join('\n')).toMatch(/1 thread of 1 logical core|one thread/);
      return;
    }
    expect(activation.notes[0]).toMatch(/^wasm: threaded-SIMD binary, 2 threads .*; tfkit's SIMD kernels$/);
    const x = values(64 * 96, 41, 3);
    const w = values(96 * 80, 42);
    const g = values(96, 43);
    const logits = values(64 * 80, 44, 4);
    const labels = Array.from({ length: 64 }, (_, i) => (i * 7) % 80);
    const run = () => tf.tidy(() => {
      const xt = tf.tensor2d(x, [64, 96]);
      const h = linear(xt, tf.tensor2d(w, [96, 80]));
      const big = tf.tile(geluTanh(h), [20, 1]); // 102,400 values: the vectorised kernel only
      const dx = tf.grad((v: tf.Tensor) => tf.sum(geluTanh(v)))(big);
      const ln = layerNorm(xt, tf.tensor1d(g), null);
      const loss = softmaxCrossEntropy(tf.tensor2d(logits, [64, 80]), tf.tensor1d(labels, 'int32'));
      const mask = tf.getBackend() === 'wasm' ? dropoutMask([64, 96], 0.1, 5) : tf.mul(tf.cast(tf.greaterEqual(tf.randomUniform([64, 96], 0, 1, 'float32', 5), 0.1), 'float32'), 1 / 0.9); // on wasm the kernel, written into the shared memory
      return { h: h.dataSync() as Float32Array, big: big.dataSync() as Float32Array, dx: dx.dataSync() as Float32Array, ln: ln.dataSync() as Float32Array, loss: loss.dataSync() as Float32Array, mask: mask.dataSync() as Float32Array };
    });
    const want = await withBackend('cpu', run);
    const got = await withBackend('wasm', async () => {
      const simd = simdKernels(tf.backend())!;
      expect(simd.shared).toBe(true);
      expect((tf.getKernel(FUSED_GELU, 'wasm') as FusedKernelConfig).vectorized).toBe(true);
      for (const name of [FUSED_GELU_GRAD, FUSED_SOFTMAX_CROSS_ENTROPY, FUSED_DROPOUT_MASK]) expect(tf.getKernel(name, 'wasm')).toBeDefined();
      expect(tf.getKernel(FUSED_BATCH_MATMUL, 'wasm')).toBeUndefined();
      // The 64-row dense product is XNNPACK's (threaded), not tfkit's single-threaded gemm.
      const gemm = simd.gemm;
      let gemmCalls = 0;
      (simd as { gemm: typeof gemm }).gemm = (...a) => (gemmCalls++, gemm(...a));
      try {
        const info = await tf.profile(() => tf.tidy(() => geluTanh(tf.tile(tf.tensor2d(x, [64, 96]), [20, 1]))));
        expect(info.kernels.map((k) => k.name)).toContain(FUSED_GELU);
        expect(info.kernels.map((k) => k.name)).not.toContain('Tanh');
        tf.dispose(info.result as tf.Tensor);
        return await expectNoLeaks(run, 'threaded SIMD kernels');
      } finally {
        (simd as { gemm: typeof gemm }).gemm = gemm;
        expect(gemmCalls).toBe(0);
      }
    });
    expect(Array.from(got.mask)).toEqual(Array.from(want.mask));
    for (const key of ['h', 'big', 'dx', 'ln', 'loss'] as const) expectAllClose(got[key], want[key], { atol: 2e-5, rtol: 1e-5, label: key });
  });
});
