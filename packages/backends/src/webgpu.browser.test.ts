// WebGPU in Chromium (SwiftShader without a GPU): a synchronous read of a GPU tensor is right, or on
// SwiftShader a BackendError naming the asynchronous read — never zeros (what tfjs-backend-webgpu's
// canvas read returns there, after which the device is lost and every later read fails).
import * as tf from '@tensorflow/tfjs-core';
import { createRegistry } from '@tfkit/core-tensor';
import { describe, expect, it } from 'vitest';
import { BackendError } from './errors.js';
import { registerAllBackends, useBackend } from './index.js';

// Chromium gets --enable-unsafe-webgpu (tooling/vitest-config/browser.js); a machine whose Chromium
// still has no adapter (no Vulkan, not even SwiftShader) skips, visibly.
const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
const hasAdapter = gpu !== undefined && (await gpu.requestAdapter()) !== null;

describe.skipIf(!hasAdapter)('webgpu in Chromium', () => {
  it('synchronous reads of GPU tensors are right or throw BackendError; asynchronous reads and CPU-resident tensors are right', async () => {
    const registry = createRegistry();
    registerAllBackends(registry);
    const activation = await useBackend(registry, 'webgpu');
    expect(activation.backend).toBe('webgpu');
    const before = tf.memory().numTensors;
    // Asked before any read: after a bad synchronous read the WebGPU instance is gone.
    const adapter = await (navigator as unknown as { gpu: { requestAdapter(): Promise<{ info?: { architecture?: string } } | null> } }).gpu.requestAdapter();
    const swiftshader = adapter?.info?.architecture === 'swiftshader';

    // A product: computed on the GPU whatever its size (small elementwise ops are handed to the CPU).
    const onGpu = tf.tidy(() => tf.matMul(tf.tensor2d([[1, -2], [3, 0.25]]), tf.tensor2d([[2, 0], [0, 2]])));
    let sync: number[] | undefined;
    let error: unknown;
    try {
      sync = Array.from(onGpu.dataSync());
    } catch (e) {
      error = e;
    }
    expect(activation.notes.some((n) => n.includes('SwiftShader'))).toBe(swiftshader);
    if (swiftshader) {
      expect(error).toBeInstanceOf(BackendError);
      expect(String((error as Error).message)).toMatch(/await tensor\.data\(\)/);
      expect(() => onGpu.arraySync()).toThrow(BackendError);
    } else {
      expect(error).toBeUndefined();
      expect(sync).toEqual([2, -4, 6, 0.5]);
    }
    // The asynchronous read is right (the device still works), and afterwards the values are on the
    // CPU, where a synchronous read of them is right too.
    expect(Array.from(await onGpu.data())).toEqual([2, -4, 6, 0.5]);
    expect(Array.from(onGpu.dataSync())).toEqual([2, -4, 6, 0.5]);
    // A tensor never uploaded keeps its CPU values: a synchronous read of it works everywhere.
    const onCpu = tf.tensor1d([7, 8, 9]);
    expect(Array.from(onCpu.dataSync())).toEqual([7, 8, 9]);
    // Activating again keeps one guard (the backend object is tfjs's single instance).
    await useBackend(registry, 'webgpu');
    const again = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])));
    if (swiftshader) expect(() => again.dataSync()).toThrow(BackendError);
    expect(Array.from(await again.data())).toEqual([11]);
    again.dispose();
    tf.dispose([onGpu, onCpu]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
