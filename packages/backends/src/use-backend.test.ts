import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ConfigError, RegistryError, createRegistry, loadGradients, type BackendEntry } from '@tfkit/core-tensor';
import { expectAllClose } from '@tfkit/test-utils';
import { BackendError, MAX_WASM_THREADS, availableBackends, registerAllBackends, registerCpuBackend, registerWasmBackend, useBackend } from './index.js';

const cores = Math.min(os.availableParallelism(), MAX_WASM_THREADS);

function product(): Float32Array {
  let out: Float32Array | undefined;
  tf.tidy(() => {
    const a = tf.tensor2d(Array.from({ length: 64 * 48 }, (_, i) => Math.sin(i)), [64, 48]);
    const b = tf.tensor2d(Array.from({ length: 48 * 40 }, (_, i) => Math.cos(i)), [48, 40]);
    out = tf.matMul(a, b).dataSync() as Float32Array;
  });
  return out!;
}

describe('registration', () => {
  it('registers four lazily loaded backends; Node supports wasm and cpu, best first', async () => {
    const registry = createRegistry();
    registerAllBackends(registry);
    expect(registry.backend.keys().sort()).toEqual(['cpu', 'wasm', 'webgl', 'webgpu']);
    expect(await availableBackends(registry)).toEqual(['wasm', 'cpu']);
    expect(() => registerWasmBackend(registry)).toThrow(RegistryError);
    registerWasmBackend(registry, { override: true });
    // Registering imported nothing: tfjs-backend-webgl/webgpu register a factory when imported.
    expect(tf.findBackendFactory('webgl')).toBeNull();
    expect(tf.findBackendFactory('webgpu')).toBeNull();
  });
});

describe('useBackend in Node', () => {
  const registry = createRegistry();
  registerAllBackends(registry);

  it('defaults to wasm on every core and silences tfjs warnings; gradients work once loaded', async () => {
    await loadGradients();
    const activation = await useBackend(registry);
    expect(activation).toMatchObject({ backend: 'wasm', threads: cores, simd: true });
    expect(activation.notes[0]).toMatch(new RegExp(`^wasm: ${cores > 1 ? 'threaded-SIMD' : 'SIMD'} binary, ${cores} threads? of`));
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.env().getBool('PROD')).toBe(true);
    // loadGradients() registered tfjs-core's gradients, so tf.grad works on its ops.
    const g = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(tf.tanh(x)))(tf.tensor1d([0, 1])).dataSync().slice());
    expectAllClose(g, [1, 1 - Math.tanh(1) ** 2], { atol: 1e-6 });
  });

  it('switches thread counts, reusing a running instance with the same count', async () => {
    const onCpu = await (async () => {
      await useBackend(registry, 'cpu');
      return product();
    })();
    const single = await useBackend(registry, 'wasm', { threads: 1 });
    expect(single).toMatchObject({ backend: 'wasm', threads: 1 });
    expect(single.notes[0]).toMatch(/^wasm: SIMD binary, 1 thread of/);
    expectAllClose(product(), onCpu, { atol: 1e-4 });
    const again = await useBackend(registry, 'wasm', { threads: 1 });
    expect(again.threads).toBe(1);
    const all = await useBackend(registry, 'wasm', { threads: 'all' });
    expect(all.threads).toBe(cores);
    expectAllClose(product(), onCpu, { atol: 1e-4 });
    const many = await useBackend(registry, 'wasm', { threads: 64 });
    expect(many.threads).toBe(cores);
    expect(many.notes.join('\n')).toMatch(/64 threads requested; using \d+/);
  });

  it('refuses to re-create wasm while tensors live on it', async () => {
    await useBackend(registry, 'wasm', { threads: 1 });
    const held = tf.ones([3]);
    const other = cores > 1 ? 2 : 1;
    if (other > 1) await expect(useBackend(registry, 'wasm', { threads: other })).rejects.toThrow(/tensors live on the running wasm backend/);
    held.dispose();
    expect((await useBackend(registry, 'wasm', { threads: other })).threads).toBe(other);
  });

  it('rejects bad options, unknown and unsupported backends with what to do', async () => {
    await expect(useBackend(registry, 'wasm', { threads: 0 })).rejects.toThrow(ConfigError);
    await expect(useBackend(registry, 'wasm', { threads: 1.5 })).rejects.toThrow(/threads must be 'all' or a positive integer/);
    await expect(useBackend(registry, 'tpu')).rejects.toThrow(RegistryError);
    await expect(useBackend(registry, 'webgl')).rejects.toThrow(BackendError);
    await expect(useBackend(registry, 'webgl')).rejects.toThrow(/not supported in this environment; available here: wasm, cpu/);
    await expect(useBackend(createRegistry())).rejects.toThrow(/call registerAllBackends\(registry\)/);
  });

  it('falls back to the next backend when one fails to start, and says so', async () => {
    const r = createRegistry();
    registerCpuBackend(r);
    const broken: BackendEntry = {
      priority: 100,
      description: 'always fails',
      isSupported: () => true,
      activate: () => Promise.reject(new Error('no device')),
    };
    r.backend.register('broken', broken);
    const activation = await useBackend(r, undefined, { prodMode: false });
    expect(activation.backend).toBe('cpu');
    expect(activation.notes[0]).toBe('broken: failed to start (no device); trying the next backend');
  });
});

describe('wasm threads in a plain Node process', () => {
  it('runs the threaded binary and lets the process exit on its own', () => {
    const script = path.join(import.meta.dirname, 'testing', 'threads-exit.ts');
    const run = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: path.join(import.meta.dirname, '..'), encoding: 'utf8', timeout: 60_000 });
    expect(run.error, run.stderr).toBeUndefined();
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout.trim().split('\n').pop()!) as { threads: number; max: number };
    expect(result.threads).toBe(cores);
    expect(result.max).toBeLessThan(1e-4);
  });
});
