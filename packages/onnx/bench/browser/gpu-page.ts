/**
 * The page side of bench/gpu.bench.ts: one system per page — tfkit on webgl, webgpu or wasm, or
 * onnxruntime-web on its webgpu or wasm execution provider — building the same seeded model as the
 * Node side (tfkit) or opening its ONNX export (ORT). `window.tfkitGpuBench` is driven through
 * Playwright's `page.evaluate`; what the page ran on (adapter, WebGL renderer) is reported so that
 * every row is labelled by its device.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRegistry } from '@tfkit/core-tensor';
import { registerAllBackends, useBackend } from '@tfkit/backends';
import * as ort from 'onnxruntime-web/webgpu';
import { buildModel, feedsFor, tfkitForward, type ModelName } from './models.js';

export type GpuSystem = 'tfkit-webgl' | 'tfkit-webgpu' | 'tfkit-wasm' | 'ort-webgpu' | 'ort-wasm';

let model: ReturnType<typeof buildModel> | undefined;
let session: ort.InferenceSession | undefined;
let feeds: Record<string, ort.Tensor> = {};

/** The WebGPU adapter and the WebGL renderer this page sees: the device a row ran on. */
async function device(): Promise<Record<string, unknown>> {
  const result: Record<string, unknown> = {};
  const gpu = (navigator as { gpu?: { requestAdapter(): Promise<{ info?: Record<string, string> } | null> } }).gpu;
  if (gpu) {
    const adapter = await gpu.requestAdapter();
    const info = adapter?.info;
    result['webgpuAdapter'] = info ? { vendor: info['vendor'], architecture: info['architecture'], device: info['device'], description: info['description'] } : null;
  } else result['webgpuAdapter'] = 'navigator.gpu is missing';
  const gl = document.createElement('canvas').getContext('webgl2');
  const ext = gl?.getExtension('WEBGL_debug_renderer_info');
  result['webglRenderer'] = gl ? (ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER)) : 'no webgl2';
  return result;
}

async function init(options: { model: ModelName; system: GpuSystem }) {
  const info: Record<string, unknown> = { system: options.system, ...(await device()) };
  const t0 = performance.now();
  if (options.system.startsWith('tfkit-')) {
    const registry = createRegistry();
    registerAllBackends(registry);
    const backend = options.system.slice('tfkit-'.length) as 'webgl' | 'webgpu' | 'wasm';
    info['activation'] = await useBackend(registry, backend, backend === 'wasm' ? { threads: 1, wasmPaths: '/tfjs/' } : {});
    if (backend === 'webgl') info['webglFloat32'] = tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED');
    model = buildModel(options.model);
  } else {
    const ep = options.system === 'ort-webgpu' ? 'webgpu' : 'wasm';
    ort.env.wasm.wasmPaths = '/ort/';
    ort.env.wasm.numThreads = 1;
    session = await ort.InferenceSession.create(`/model/${options.model}.onnx`, { executionProviders: [ep], graphOptimizationLevel: 'all' });
    feeds = Object.fromEntries(Object.entries(feedsFor(options.model)).map(([name, f]) => [name, new ort.Tensor('int64', BigInt64Array.from(f.data, (v) => BigInt(v)), f.dims)]));
    info['ortVersion'] = ort.env.versions;
    info['executionProvider'] = ep;
  }
  info['setupMs'] = performance.now() - t0;
  return info;
}

async function forward(): Promise<Float32Array> {
  if (model) return tfkitForward(model);
  if (!session) throw new Error('init first');
  const out = await session.run(feeds);
  const data = (out[session.outputNames[0] as string] as ort.Tensor).data as Float32Array;
  for (const t of Object.values(out)) t.dispose();
  return data;
}

/** One forward: its first and last 4096 values, for the comparison with Node. */
async function check() {
  const out = await forward();
  return { length: out.length, head: Array.from(out.subarray(0, 4096)), tail: Array.from(out.subarray(out.length - 4096)) };
}

/** ms per forward over `reps` forwards (each read back to the CPU, as a user's would be). */
async function time(reps: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) await forward();
  return (performance.now() - t0) / reps;
}

/** Frees the model or session; for tfkit, the tensors left (0 when nothing leaked). */
async function dispose(): Promise<number | null> {
  const tfkit = model !== undefined;
  model?.dispose();
  model = undefined;
  await session?.release();
  session = undefined;
  return tfkit ? tf.memory().numTensors : null;
}

(globalThis as unknown as { tfkitGpuBench: unknown }).tfkitGpuBench = { init, check, time, dispose };
