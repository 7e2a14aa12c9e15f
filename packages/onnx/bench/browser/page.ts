/**
 * The page side of bench/browser.bench.ts (bundled by esbuild, served with or without COOP/COEP).
 * `window.tfkitBench` builds the tfkit model from the same seed as the Node side, opens the exported
 * .onnx in onnxruntime-web (wasm EP, extern-wasm build served from /ort/), and times forwards of
 * either. Everything it reports is read back through Playwright's `page.evaluate`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRegistry, FUSED_ADD_LAYER_NORM, FUSED_CACHED_ATTENTION, FUSED_DENSE, FUSED_GELU, FUSED_LAYER_NORM } from '@tfkit/core-tensor';
import { registerAllBackends, useBackend } from '@tfkit/backends';
import * as ort from 'onnxruntime-web/wasm';
import { buildModel, feedsFor, tfkitForward, type ModelName } from './models.js';

export interface InitOptions {
  model: ModelName;
  threads: number;
  /** Leave tfkit's fused wasm kernels registered (default true, as `useBackend` installs them). */
  fused?: boolean;
  /** Open the ONNX session (default true). */
  ort?: boolean;
}

let model: ReturnType<typeof buildModel> | undefined;
let session: ort.InferenceSession | undefined;
let feeds: Record<string, ort.Tensor> = {};

const FUSED = [FUSED_DENSE, FUSED_ADD_LAYER_NORM, FUSED_CACHED_ATTENTION, FUSED_LAYER_NORM, FUSED_GELU];

async function init(options: InitOptions) {
  const registry = createRegistry();
  registerAllBackends(registry);
  const activation = await useBackend(registry, 'wasm', { threads: options.threads, wasmPaths: '/tfjs/' });
  const unregistered: string[] = [];
  if (options.fused === false) {
    for (const name of FUSED) {
      if (tf.getKernel(name, 'wasm')) {
        tf.unregisterKernel(name, 'wasm');
        unregistered.push(name);
      }
    }
  }
  const t0 = performance.now();
  model = buildModel(options.model);
  const buildMs = performance.now() - t0;
  let ortInfo: Record<string, unknown> = {};
  if (options.ort !== false) {
    ort.env.wasm.wasmPaths = '/ort/';
    ort.env.wasm.numThreads = options.threads;
    ort.env.wasm.simd = true;
    const t1 = performance.now();
    session = await ort.InferenceSession.create(`/model/${options.model}.onnx`, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    feeds = Object.fromEntries(Object.entries(feedsFor(options.model)).map(([name, f]) => [name, new ort.Tensor('int64', BigInt64Array.from(f.data, (v) => BigInt(v)), f.dims)]));
    ortInfo = { ortVersion: ort.env.versions, ortNumThreads: ort.env.wasm.numThreads, ortSessionMs: performance.now() - t1 };
  }
  return {
    worker: typeof (globalThis as { document?: unknown }).document === 'undefined',
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    sharedArrayBuffer: typeof SharedArrayBuffer !== 'undefined',
    hardwareConcurrency: navigator.hardwareConcurrency,
    userAgent: navigator.userAgent,
    tfjsThreads: activation.threads,
    simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
    multithreadFlag: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT'),
    prod: tf.env().getBool('PROD'),
    activation,
    fusedUnregistered: unregistered,
    fusedRegistered: FUSED.filter((name) => tf.getKernel(name, 'wasm') !== undefined),
    buildMs,
    ...ortInfo,
    // performance.now()'s granularity here: the smallest non-zero step seen.
    timerStepMs: timerStep(),
  };
}

function timerStep(): number {
  let step = Infinity;
  for (let i = 0; i < 50; i++) {
    const a = performance.now();
    let b = a;
    while (b === a) b = performance.now();
    step = Math.min(step, b - a);
  }
  return step;
}

async function runOrt(): Promise<Float32Array> {
  if (!session) throw new Error('no ONNX session');
  const out = await session.run(feeds);
  const first = out[session.outputNames[0] as string] as ort.Tensor;
  const data = first.data as Float32Array;
  for (const t of Object.values(out)) t.dispose();
  return data;
}

/** One forward of each; max |tfkit − ORT| and a sample of tfkit's output for the Node comparison. */
async function check() {
  if (!model) throw new Error('init first');
  const mine = await tfkitForward(model);
  const result: Record<string, unknown> = { length: mine.length, sample: Array.from(mine.subarray(0, 4096)), tail: Array.from(mine.subarray(mine.length - 4096)) };
  if (session) {
    const theirs = await runOrt();
    let max = 0;
    for (let i = 0; i < mine.length; i++) max = Math.max(max, Math.abs((mine[i] as number) - (theirs[i] as number)));
    result['maxAbsDiff'] = max;
  }
  return result;
}

/** ms per forward over `reps` forwards. */
async function time(which: 'tfkit' | 'ort', reps: number): Promise<number> {
  if (!model) throw new Error('init first');
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) {
    if (which === 'tfkit') await tfkitForward(model);
    else await runOrt();
  }
  return (performance.now() - t0) / reps;
}

/** Kernel time by kernel name over one forward (tf.profile), and the kernel count. */
async function profile() {
  if (!model) throw new Error('init first');
  const m = model;
  const info = await tf.profile(async () => void (await tfkitForward(m)));
  const byName: Record<string, { ms: number; calls: number }> = {};
  for (const k of info.kernels) {
    const e = (byName[k.name] ??= { ms: 0, calls: 0 });
    e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    e.calls += 1;
  }
  return { kernels: info.kernels.length, byName };
}

async function dispose() {
  model?.dispose();
  model = undefined;
  await session?.release();
  session = undefined;
  return tf.memory().numTensors;
}

const api = { init, check, time, profile, dispose } as const;
type Api = typeof api;

// `/?worker=1`: the same API run in a dedicated module Worker (this file again), proxied by postMessage.
const inWorker = typeof (globalThis as { document?: unknown }).document === 'undefined';
if (inWorker) {
  globalThis.addEventListener('message', (event: Event) => {
    const { id, fn, args } = (event as MessageEvent<{ id: number; fn: keyof Api; args: never[] }>).data;
    Promise.resolve()
      .then(() => (api[fn] as (...a: never[]) => unknown)(...args))
      .then(
        (value) => globalThis.postMessage({ id, value }),
        (error: unknown) => globalThis.postMessage({ id, error: String((error as Error)?.stack ?? error) }),
      );
  });
  globalThis.postMessage({ ready: true });
} else if (new URLSearchParams(location.search).get('worker') === '1') {
  const worker = new Worker(new URL(import.meta.url), { type: 'module' });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let next = 0;
  const ready = new Promise<void>((resolve) => {
    worker.addEventListener('message', (event: MessageEvent<{ ready?: boolean; id: number; value?: unknown; error?: string }>) => {
      if (event.data.ready) return resolve();
      const p = pending.get(event.data.id);
      pending.delete(event.data.id);
      if (event.data.error !== undefined) p?.reject(new Error(event.data.error));
      else p?.resolve(event.data.value);
    });
  });
  const call = (fn: keyof Api) => async (...args: unknown[]) => {
    await ready;
    const id = next++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, fn, args });
    });
  };
  await ready;
  (globalThis as unknown as { tfkitBench: unknown }).tfkitBench = { init: call('init'), check: call('check'), time: call('time'), profile: call('profile'), dispose: call('dispose'), worker: true };
} else {
  (globalThis as unknown as { tfkitBench: unknown }).tfkitBench = api;
}
