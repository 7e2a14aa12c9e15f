/**
 * `useBackend(…, 'wasm', { weightPacking })`: where XNNPACK runs the dense products (the threaded
 * build with `products: 'xnnpack'`), with `'per-call'` an inference product leaves no packed copy
 * of its weight on the wasm heap (measured by walking the heap), with the default `'cached'` a
 * single-row product (a decoding step's) leaves one at least the weight's size; the outputs are
 * the same. Where tfkit's products run (the single-threaded build) neither keeps anything.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ConfigError, createRegistry, linear } from '@tfkit/core-tensor';
import { wasmHeapInUse } from '@tfkit/test-utils';
import { registerAllBackends, useBackend } from './index.js';

const values = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed));

describe("useBackend's weightPacking (wasm)", () => {
  const registry = createRegistry();
  registerAllBackends(registry);
  const [inF, outF] = [512, 1024];
  const weightBytes = inF * outF * 4;

  /** Heap bytes an inference product `x · w + b` leaves behind (its output disposed, its weight alive), and its output. */
  function leftBehind(): { kept: number; y: Float32Array } {
    return tf.tidy(() => {
      const x = tf.tensor2d(values(inF, 1), [1, inF]);
      const w = tf.tensor2d(values(inF * outF, 2), [inF, outF]);
      const b = tf.tensor1d(values(outF, 3));
      const before = wasmHeapInUse();
      const out = linear(x, w, b);
      const y = out.dataSync().slice() as Float32Array;
      out.dispose();
      return { kept: wasmHeapInUse() - before, y };
    });
  }

  it("XNNPACK's products: 'per-call' keeps no packed weight after a product, 'cached' (the default) keeps one; outputs equal", async () => {
    const activation = await useBackend(registry, 'wasm', { threads: 2, products: 'xnnpack', weightPacking: 'per-call' });
    try {
      if (activation.threads < 2) return; // a one-core machine runs the single-threaded build
      const perCall = leftBehind();
      expect(perCall.kept).toBeLessThan(weightBytes / 16);
      await useBackend(registry, 'wasm', { threads: 2, products: 'xnnpack' });
      const cached = leftBehind();
      expect(cached.kept).toBeGreaterThanOrEqual(weightBytes);
      expect(perCall.y).toEqual(cached.y);
    } finally {
      await useBackend(registry, 'wasm', { threads: 1 });
    }
  });

  it("tfkit's products (the single-threaded build) keep no copy with either setting, and give XNNPACK's values", async () => {
    await useBackend(registry, 'wasm', { threads: 1, weightPacking: 'per-call', fusedMultiplyAdd: false });
    const perCall = leftBehind();
    await useBackend(registry, 'wasm', { threads: 1, fusedMultiplyAdd: false });
    const cached = leftBehind();
    await useBackend(registry, 'wasm', { threads: 1 });
    for (const r of [perCall, cached]) expect(r.kept).toBeLessThan(weightBytes / 16);
    expect(cached.y).toEqual(perCall.y);
    // XNNPACK's product of the same row (tfjs's fused matMul, bias in its accumulator): the same bits.
    const xnnpack = tf.tidy(() => {
      const y = tf.fused.matMul({ a: tf.tensor2d(values(inF, 1), [1, inF]), b: tf.tensor2d(values(inF * outF, 2), [inF, outF]), bias: tf.tensor1d(values(outF, 3)) });
      return y.dataSync().slice() as Float32Array;
    });
    expect(cached.y).toEqual(xnnpack);
  });

  it('names the option and the values it takes when given another', async () => {
    const bad = useBackend(registry, 'wasm', { threads: 1, weightPacking: 'never' as 'cached' });
    await expect(bad).rejects.toThrow(ConfigError);
    await expect(useBackend(registry, 'wasm', { threads: 1, weightPacking: 'never' as 'cached' })).rejects.toThrow(/weightPacking must be 'cached' or 'per-call', got "never"/);
  });
});
