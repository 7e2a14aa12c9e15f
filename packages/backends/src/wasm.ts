/**
 * The WebAssembly backend (tfjs-backend-wasm: XNNPACK kernels, SIMD, optional threads).
 *
 * Threads: the threaded-SIMD binary is used whenever more than one thread is asked for and the
 * platform has shared memory — in Node.js always (through `wasm-node-workers.ts`, since tfjs
 * itself disables threads there), in browsers when the page is cross-origin isolated. The thread
 * count defaults to every logical core (tfjs's default is half of them), capped at 8, the size of
 * the worker pool tfjs-backend-wasm is built with. If the threaded binary cannot start, activation
 * falls back to the single-threaded SIMD binary and says why in `notes`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as TfjsWasm from '@tensorflow/tfjs-backend-wasm';
import { ConfigError, type BackendActivation, type BackendEntry, type Registry, type RegisterOptions } from '@tfkit/core-tensor';
import { BackendError, describeError, missingPeer } from './errors.js';
import { isNode, logicalCores, sharedMemoryAvailable } from './environment.js';
import { reportLogicalCores } from './wasm-cores.js';
import { setWeightPacking } from './fused-kernels.js';
import { setRelaxedSimd, simdKernels, startSimdTeam, stopSimdTeam } from './simd-kernels.js';
import { installWasmKernels } from './wasm-kernels.js';

/** The most threads tfjs-backend-wasm can use (its prebuilt pthread pool has 8 workers). */
export const MAX_WASM_THREADS = 8;
const WASM_PRIORITY = 2; // tfjs-backend-wasm's own registration priority

export type WasmBinaryName = 'tfjs-backend-wasm.wasm' | 'tfjs-backend-wasm-simd.wasm' | 'tfjs-backend-wasm-threaded-simd.wasm';

export interface WasmBackendOptions {
  /**
   * `'all'` (default): one thread per logical core, up to 8. A number: at most that many.
   * `1` runs the single-threaded SIMD binary (no workers at all).
   */
  threads?: 'all' | number;
  /**
   * Where the `.wasm` binaries are served (bundled browser apps): a URL prefix ending in `/`, or a
   * URL per binary. Passed to tfjs's `setWasmPaths` before the backend first starts.
   */
  wasmPaths?: string | Record<WasmBinaryName, string>;
  /**
   * What the dense products XNNPACK runs do with their weights outside training (training steps
   * always pack per call). With tfkit's SIMD kernels (the single-threaded SIMD build, or the
   * threaded one with `products: 'tfkit'`) XNNPACK runs none: tfkit's products (`gemm`, and `gemv`
   * for the few rows of a decoding step) keep no copy whatever this says. Elsewhere (the
   * threaded build with `products: 'xnnpack'`, or no SIMD): `'cached'` (default): XNNPACK's packed
   * copy of each weight stays beside it for the weight's life — the fastest repeated products.
   * `'per-call'`: each product packs its weight anew and frees the copy — the least memory, at
   * 1.4–2.2× the time of those products. Applies to products from this activation on.
   */
  weightPacking?: 'cached' | 'per-call';
  /**
   * Whether tfkit's SIMD products (on the threaded build, its helpers too) use
   * relaxed SIMD's fused multiply-add where the runtime validates it (Chromium 114+, Node 22+; Node 20 with
   * `--experimental-wasm-relaxed-simd`). `true` (default): about 10% faster dense layers on a CPU
   * with FMA; each term is then rounded once instead of twice, so values differ in the last bits
   * from the plain kernel's and from one CPU to another. `false`: every product rounds each multiply
   * and add, bit for bit the same on every machine. Applies from this activation on.
   */
  fusedMultiplyAdd?: boolean;
  /**
   * Who runs the dense and batched products on the threaded build. `'tfkit'` (default): tfkit's
   * SIMD product, cut across the calling thread and `threads − 1` helper Workers over the same
   * shared memory (values bit for bit those of one thread); falls back to XNNPACK, with a note,
   * where a Worker cannot start. `'xnnpack'`: tfjs-backend-wasm's XNNPACK operators on its thread
   * pool. The single-threaded build always runs tfkit's products.
   */
  products?: 'tfkit' | 'xnnpack';
}

type WasmModule = typeof TfjsWasm;

function requestedThreads(threads: unknown, cores: number): number {
  if (threads === undefined || threads === 'all') return cores;
  if (typeof threads === 'number' && Number.isInteger(threads) && threads >= 1) return threads;
  throw new ConfigError(`useBackend(…, 'wasm', { threads }): threads must be 'all' or a positive integer, got ${JSON.stringify(threads)}`);
}

/** The running instance of a backend, if any (`tf.findBackend` would start one as a side effect). */
function runningBackend(name: string): tf.KernelBackend | undefined {
  return tf.engine().registry[name];
}

/** What the running wasm backend was started for by `activateWasm`: threads and XNNPACK's pool. */
let startedFor: string | undefined;

/** tfjs's wasm factory, captured once so the backend can be re-created with another thread count. */
let tfjsFactory: (() => tf.KernelBackend | Promise<tf.KernelBackend>) | undefined;

/**
 * (Re-)registers the wasm backend so the next `setBackend` builds a fresh instance, recording why
 * its initialisation failed (tfjs only logs that, and not at all in PROD mode).
 */
function prepareFactory(failure: { error?: unknown }): void {
  tfjsFactory ??= tf.findBackendFactory('wasm') ?? undefined;
  const factory = tfjsFactory;
  if (!factory) throw new BackendError('wasm', '@tensorflow/tfjs-backend-wasm did not register a backend factory');
  const existing = runningBackend('wasm');
  if (existing && existing.numDataIds() > 0) {
    throw new BackendError(
      'wasm',
      `${existing.numDataIds()} tensors live on the running wasm backend, which must be re-created to change its thread count. ` +
        'Dispose them first, or choose the thread count in the first useBackend call.',
    );
  }
  tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    async () => {
      try {
        return await factory();
      } catch (error) {
        failure.error = error;
        throw error;
      }
    },
    WASM_PRIORITY,
  );
}

/**
 * Starts tfjs-backend-wasm: the threaded binary when `threads` > 1, with an XNNPACK pool of `pool`
 * threads (1 where tfkit's helper Workers run the products: a pool's threads spin after each of
 * XNNPACK's small elementwise operators and would take the cores the helpers need).
 */
async function start(wasm: WasmModule, threads: number, pool = threads): Promise<void> {
  stopSimdTeam();
  const failure: { error?: unknown } = {};
  prepareFactory(failure);
  // The flag picks the binary: threaded-SIMD when true, SIMD (or plain) when false.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', threads > 1);
  wasm.setThreadsCount(pool);
  const cleanups: (() => void)[] = [];
  try {
    if (threads > 1) {
      cleanups.push(reportLogicalCores(2 * pool));
      if (isNode()) cleanups.push(await (await import('./wasm-node-workers.js')).installPthreadWorkers());
    }
    if (!(await tf.setBackend('wasm'))) {
      throw new BackendError('wasm', `initialisation failed: ${failure.error === undefined ? 'unknown error' : describeError(failure.error)}`, { cause: failure.error });
    }
  } finally {
    for (const cleanup of cleanups.reverse()) cleanup();
  }
}

/**
 * A browser page's main thread may not block (no `Atomics.wait` there), so Emscripten's runtime
 * busy-waits on it whenever the calling thread waits for the thread pool. Measured in Chromium
 * (packages/onnx/bench/RESULTS.md, BERT-base forward, 2 threads): about 1.2× the CPU time and wall
 * time of the same forward in a dedicated Worker, which matches Node.
 */
export const MAIN_THREAD_NOTE =
  "wasm: on a page's main thread the runtime busy-waits for the thread pool (Atomics.wait is not allowed there), spending CPU time the pool needs; run the model in a Web Worker";

function onPageMainThread(): boolean {
  return !isNode() && typeof (globalThis as { document?: unknown }).document !== 'undefined';
}

/** Imports tfjs-backend-wasm, starts it with the requested threads (or falls back) and activates it. */
export async function activateWasm(options: WasmBackendOptions = {}): Promise<BackendActivation> {
  let wasm: typeof TfjsWasm;
  try {
    wasm = await import('@tensorflow/tfjs-backend-wasm');
  } catch (error) {
    missingPeer('wasm', '@tensorflow/tfjs-backend-wasm', error);
  }
  const notes: string[] = [];
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
  const cores = await logicalCores();
  const requested = requestedThreads(options.threads, cores);
  const packing = options.weightPacking ?? 'cached';
  if (packing !== 'cached' && packing !== 'per-call') {
    throw new ConfigError(`useBackend(…, 'wasm', { weightPacking }): weightPacking must be 'cached' or 'per-call', got ${JSON.stringify(packing)}`);
  }
  const products = options.products ?? 'tfkit';
  if (products !== 'tfkit' && products !== 'xnnpack') {
    throw new ConfigError(`useBackend(…, 'wasm', { products }): products must be 'tfkit' or 'xnnpack', got ${JSON.stringify(products)}`);
  }
  const fma = options.fusedMultiplyAdd ?? true;
  if (typeof fma !== 'boolean') {
    throw new ConfigError(`useBackend(…, 'wasm', { fusedMultiplyAdd }): fusedMultiplyAdd must be true or false, got ${JSON.stringify(fma)}`);
  }
  let threads = Math.min(requested, cores, MAX_WASM_THREADS);
  if (requested > threads) notes.push(`wasm: ${requested} threads requested; using ${threads} (${cores} logical cores, at most ${MAX_WASM_THREADS} in tfjs-backend-wasm)`);
  if (threads > 1 && !simd) {
    notes.push('wasm: one thread: this engine lacks WebAssembly SIMD, and the threaded binary needs it');
    threads = 1;
  }
  const shared = sharedMemoryAvailable();
  if (threads > 1 && !shared.ok) {
    notes.push(`wasm: one thread: ${shared.reason}`);
    threads = 1;
  }

  // A running instance is reused when it was started for the same thread count (or, when started
  // by someone else, already has it); otherwise it is re-created.
  // With tfkit's products (SIMD builds) the threads are tfkit's helpers and XNNPACK's pool has one.
  const pool = threads > 1 && products === 'tfkit' && simd ? 1 : threads;
  const key = (t: number, p: number) => `${t}/${p}`;
  const running = runningBackend('wasm') ? (startedFor ?? key(wasm.getThreadsCount(), wasm.getThreadsCount())) : undefined;
  let fellBack = false;
  if (running !== key(threads, pool)) {
    if (options.wasmPaths !== undefined && running === undefined) wasm.setWasmPaths(options.wasmPaths);
    startedFor = undefined;
    try {
      await start(wasm, threads, pool);
    } catch (error) {
      if (threads === 1 || (error instanceof BackendError && /tensors live on/.test(error.message))) throw error;
      notes.push(`wasm: the threaded binary failed to start (${describeError(error)}); fell back to one thread`);
      await start(wasm, 1);
      fellBack = true;
    }
    startedFor = fellBack ? key(1, 1) : key(threads, pool);
  } else if (!(await tf.setBackend('wasm'))) {
    throw new BackendError('wasm', 'could not re-activate the running wasm backend');
  }

  let actual = fellBack ? 1 : threads;
  let helpers = '';
  if (actual > 1 && pool === 1) {
    const failed = await startSimdTeam(tf.backend(), actual - 1);
    if (failed === null) {
      helpers = `; its products on ${actual} threads (${actual - 1} helper Worker${actual > 2 ? 's' : ''})`;
    } else {
      // No helpers: XNNPACK's pool takes every thread instead.
      notes.push(`wasm: products stay with XNNPACK: tfkit's helper threads did not start (${failed})`);
      await start(wasm, threads);
      startedFor = key(threads, threads);
      actual = wasm.getThreadsCount();
    }
  } else {
    stopSimdTeam();
    actual = wasm.getThreadsCount();
  }
  installWasmKernels();
  setWeightPacking(packing);
  setRelaxedSimd(fma);
  const binary = actual > 1 ? 'threaded-SIMD' : simd ? 'SIMD' : 'plain (no SIMD)';
  const how = actual > 1 && isNode() ? ', pthreads in Node worker_threads' : '';
  const own = simdKernels(tf.backend());
  const kernels = own ? `; tfkit's SIMD kernels${own.relaxed ? ' with fused multiply-add (relaxed SIMD)' : ''}${helpers}` : '';
  notes.unshift(`wasm: ${binary} binary, ${actual} thread${actual > 1 ? 's' : ''} of ${cores} logical core${cores > 1 ? 's' : ''}${how}${kernels}`);
  if (actual > 1 && onPageMainThread()) notes.push(MAIN_THREAD_NOTE);
  return { backend: 'wasm', threads: actual, simd, notes };
}

/** Registers the lazily loaded wasm backend (`@tensorflow/tfjs-backend-wasm`). */
export function registerWasmBackend(registry: Registry, options?: RegisterOptions): void {
  const entry: BackendEntry = {
    priority: 20,
    description: 'WebAssembly (XNNPACK, SIMD, threads in Node.js and cross-origin-isolated pages); the default in Node.js',
    isSupported: () => typeof WebAssembly === 'object',
    activate: (opts) => activateWasm(opts as WasmBackendOptions | undefined),
  };
  registry.backend.register('wasm', entry, options);
}
