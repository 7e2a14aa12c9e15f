/**
 * Choosing and activating a backend. `useBackend(registry)` picks the best supported one (webgl,
 * then wasm, then cpu: by entry priority), falls back to the next when one fails to start and
 * returns what was chosen, with notes saying why. It loads no gradient code: inference never needs
 * it; training calls `loadGradients()` from `@tfkit/core-tensor` (the finetune `Trainer` does).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, type BackendActivation, type Registry, type RegisterOptions } from '@tfkit/core-tensor';
import { BackendError, describeError } from './errors.js';
import { registerCpuBackend } from './cpu.js';
import { registerWasmBackend, type WasmBackendOptions } from './wasm.js';
import { registerWebglBackend } from './webgl.js';
import { registerWebgpuBackend } from './webgpu.js';

export interface UseBackendOptions extends WasmBackendOptions {
  /**
   * Set tfjs's `PROD` flag (default `true`). It only silences tfjs's console warnings, among them
   * the "Hi, looks like you are running TensorFlow.js in Node.js" banner.
   */
  prodMode?: boolean;
}

/** Registers cpu, wasm, webgl and webgpu. Nothing is imported until one is activated. */
export function registerAllBackends(registry: Registry, options?: RegisterOptions): void {
  registerCpuBackend(registry, options);
  registerWasmBackend(registry, options);
  registerWebglBackend(registry, options);
  registerWebgpuBackend(registry, options);
}

/** Registered backends that can run here, best first (the order `useBackend` tries them in). */
export async function availableBackends(registry: Registry): Promise<string[]> {
  const supported: [string, number][] = [];
  for (const [name, entry] of registry.backend.entriesList()) {
    if (await entry.isSupported()) supported.push([name, entry.priority]);
  }
  return supported.sort((a, b) => b[1] - a[1]).map(([name]) => name);
}

function prepare(options: UseBackendOptions): void {
  if (options.prodMode !== false) tf.enableProdMode();
}

/**
 * Activates backend `name`, or the best available one when `name` is omitted, and resolves to what
 * is now running: backend, threads, SIMD and human-readable notes (fallbacks included).
 *
 * ```ts
 * const registry = createRegistry();
 * registerAllBackends(registry);
 * const { backend, threads, notes } = await useBackend(registry);             // best here
 * await useBackend(registry, 'wasm', { threads: 'all' });                       // every core
 * ```
 */
export async function useBackend(registry: Registry, name?: string, options: UseBackendOptions = {}): Promise<BackendActivation> {
  if (name !== undefined) {
    const entry = registry.backend.get(name);
    if (!(await entry.isSupported())) {
      const here = await availableBackends(registry);
      throw new BackendError(name, `is not supported in this environment; available here: ${here.join(', ') || '(none registered)'}`);
    }
    prepare(options);
    return entry.activate({ ...options });
  }

  const candidates = await availableBackends(registry);
  if (candidates.length === 0) {
    throw new BackendError('(default)', 'no backend is registered that runs here; call registerAllBackends(registry) (or registerWasmBackend, …) first');
  }
  prepare(options);
  const failures: string[] = [];
  for (const candidate of candidates) {
    try {
      const activation = await registry.backend.get(candidate).activate({ ...options });
      return { ...activation, notes: [...failures, ...activation.notes] };
    } catch (error) {
      if (error instanceof ConfigError) throw error; // a bad option is the caller's to fix, not a reason to fall back
      failures.push(`${candidate}: failed to start (${describeError(error)}); trying the next backend`);
    }
  }
  throw new BackendError('(default)', `no backend could be started:\n  ${failures.join('\n  ')}`);
}
