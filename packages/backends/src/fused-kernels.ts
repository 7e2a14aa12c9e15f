/**
 * Fused forward kernels for tfjs-backend-wasm: layer norm and GELU as one kernel each, written in
 * JavaScript over the wasm heap (core-tensor's `TfkitLayerNorm` / `TfkitGelu` contracts). A
 * composite layer norm is nine kernels and a tanh-GELU eight; in a decoding step their fixed cost
 * per kernel, not their arithmetic, is what a token waits for. The arithmetic here runs in float64
 * and rounds once to float32. Elementwise kernels of tfjs-backend-wasm run on one thread, and so do
 * these.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_GELU, FUSED_LAYER_NORM } from '@tfkit/core-tensor';

/** What these kernels use of tfjs-backend-wasm's `BackendWasm`. */
interface HeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

function layerNormKernel(args: { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap }): tf.TensorInfo[] {
  const backend = args.backend as HeapBackend;
  const { x, gamma, beta } = args.inputs as { x: tf.TensorInfo; gamma?: tf.TensorInfo; beta?: tf.TensorInfo };
  const epsilon = (args.attrs as { epsilon: number } | undefined)?.epsilon ?? 1e-5;
  const width = x.shape[x.shape.length - 1] ?? 1;
  const statShape = [...x.shape.slice(0, -1), 1];
  const yInfo = backend.makeOutput(x.shape, 'float32');
  const meanInfo = backend.makeOutput(statShape, 'float32');
  const rstdInfo = backend.makeOutput(statShape, 'float32');
  // Views are taken after every allocation: an allocation may grow (and so detach) the heap.
  const xs = backend.typedArrayFromHeap(x);
  const ys = backend.typedArrayFromHeap(yInfo);
  const means = backend.typedArrayFromHeap(meanInfo);
  const rstds = backend.typedArrayFromHeap(rstdInfo);
  const g = gamma ? backend.typedArrayFromHeap(gamma) : null;
  const b = beta ? backend.typedArrayFromHeap(beta) : null;
  const rows = width === 0 ? 0 : xs.length / width;
  for (let r = 0, o = 0; r < rows; r++, o += width) {
    let sum = 0;
    for (let i = 0; i < width; i++) sum += xs[o + i]!;
    const mean = sum / width;
    let sq = 0;
    for (let i = 0; i < width; i++) {
      const d = xs[o + i]! - mean;
      sq += d * d;
    }
    const rstd = 1 / Math.sqrt(sq / width + epsilon);
    means[r] = mean;
    rstds[r] = rstd;
    for (let i = 0; i < width; i++) {
      let v = (xs[o + i]! - mean) * rstd;
      if (g) v *= g[i]!;
      if (b) v += b[i]!;
      ys[o + i] = v;
    }
  }
  return [yInfo, meanInfo, rstdInfo];
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const GELU_TANH_K = 0.044715;

/** tfjs's erf (Abramowitz & Stegun 7.1.26, |error| ≤ 1.5e-7), so both GELU paths agree. */
function erf(v: number): number {
  const sign = v < 0 ? -1 : 1;
  const a = Math.abs(v);
  const t = 1 / (1 + 0.3275911 * a);
  const poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t;
  return sign * (1 - poly * Math.exp(-a * a));
}

function geluKernel(args: { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const backend = args.backend as HeapBackend;
  const x = args.inputs['x'] as tf.TensorInfo;
  const tanh = (args.attrs as { approximate?: string } | undefined)?.approximate === 'tanh';
  const yInfo = backend.makeOutput(x.shape, 'float32');
  const xs = backend.typedArrayFromHeap(x);
  const ys = backend.typedArrayFromHeap(yInfo);
  if (tanh) {
    for (let i = 0; i < xs.length; i++) {
      const v = xs[i]!;
      ys[i] = 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + GELU_TANH_K * v * v * v)));
    }
  } else {
    for (let i = 0; i < xs.length; i++) {
      const v = xs[i]!;
      ys[i] = 0.5 * v * (1 + erf(v * Math.SQRT1_2));
    }
  }
  return yInfo;
}

const KERNELS: tf.KernelConfig[] = [
  { kernelName: FUSED_LAYER_NORM, backendName: 'wasm', kernelFunc: layerNormKernel as unknown as tf.KernelFunc },
  { kernelName: FUSED_GELU, backendName: 'wasm', kernelFunc: geluKernel as unknown as tf.KernelFunc },
];

/** Registers the fused kernels for the wasm backend (once; later calls do nothing). */
export function installFusedWasmKernels(): void {
  for (const config of KERNELS) {
    if (tf.getKernel(config.kernelName, config.backendName) === undefined) tf.registerKernel(config);
  }
}
