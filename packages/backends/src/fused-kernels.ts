/**
 * Fused forward kernels for tfjs-backend-wasm: layer norm, residual add + layer norm and GELU as
 * one kernel each, written in JavaScript over the wasm heap, and a dense layer as one call of
 * tfjs-backend-wasm's XNNPACK product (core-tensor's `TfkitLayerNorm`, `TfkitAddLayerNorm`,
 * `TfkitGelu`, `TfkitDense` contracts). A composite layer norm is nine kernels, a tanh-GELU eight
 * and a dense layer four; in a decoding step their fixed cost per kernel, not their arithmetic,
 * is what a token waits for. The JavaScript kernels compute in float64 and round once to float32;
 * like tfjs-backend-wasm's elementwise kernels they run on one thread.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  FUSED_ADD_LAYER_NORM,
  FUSED_BATCH_MATMUL,
  FUSED_CACHED_ATTENTION,
  FUSED_CACHED_ATTENTION_IN_PLACE,
  FUSED_DENSE,
  FUSED_DROPOUT_MASK,
  FUSED_GELU,
  FUSED_GELU_GRAD,
  FUSED_LAYER_NORM,
  FUSED_SOFTMAX_CROSS_ENTROPY,
  FUSED_SOFTMAX_CROSS_ENTROPY_GRAD,
  type FusedKernelConfig,
} from '@tfkit/core-tensor';
import seedrandom from 'seedrandom';
import { BackendError } from './errors.js';
import { gemmScratchFloats, simdKernels, simdTeam, type SimdKernels } from './simd-kernels.js';
import { runJob } from './simd-team.js';

/** What these kernels use of tfjs-backend-wasm's `BackendWasm`. */
interface HeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
  disposeData(dataId: object): void;
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap };

/** A kernel tfjs-backend-wasm registered itself (Reshape, _FusedMatMul), called directly. */
function wasmKernel(name: string): (args: KernelArgs) => tf.TensorInfo {
  const config = tf.getKernel(name, 'wasm');
  if (!config) throw new Error(`tfjs-backend-wasm has no ${name} kernel; is @tensorflow/tfjs-backend-wasm loaded?`);
  return config.kernelFunc as unknown as (args: KernelArgs) => tf.TensorInfo;
}

/** A new tensor on the heap holding `t`'s values (its own data id). */
function heapCopy(backend: HeapBackend, t: tf.TensorInfo): tf.TensorInfo {
  const copy = backend.makeOutput(t.shape, t.dtype);
  // Views after the allocation: it may grow (and so detach) the heap.
  backend.typedArrayFromHeap(copy).set(backend.typedArrayFromHeap(t));
  return copy;
}

/**
 * The inner axis's block in tfkit's SIMD product (`gemm`): eight columns of b times this many rows
 * (8 kB) stay in the fastest cache while a's rows pass over them.
 */
const GEMM_BLOCK = 256;

/**
 * Rows from which `TfkitDense` runs `gemm`, which packs the weight eight columns at a time, rather
 * than `gemv`, which streams the weight's rows unpacked: below, packing costs about what the
 * product does (bench/gemm.ts: 0.16 vs 0.21 ms for XNNPACK at 4 rows of 768 → 768, 0.53 vs 0.50 at
 * 16). `gemv` reads a decoding step's weights from memory as fast as XNNPACK reads its packed
 * copies (a GPT-2-small step: 24.0–24.8 vs 24.2–25.3 ms, BENCHMARKS.md), keeping none.
 */
const GEMM_MIN_ROWS = 16;

/**
 * The most output values (32 kB of float32) for which `gemv` adds op(b)'s rows into c one at a
 * time (one stream through the weight: bench/gemm.ts GEMM_DECODE=1); beyond, c would leave the
 * fastest cache at every row, and four rows at a time are faster (GPT-2 small's head, one row:
 * about 5 vs 8 ms).
 */
const GEMV_ONE_ROW = 8192;

/** Byte strides (row, column) of op(x) for x row-major with `cols` columns, transposed or not. */
function strides(cols: number, transposed: boolean): [number, number] {
  return transposed ? [4, 4 * cols] : [4 * cols, 4];
}

/**
 * `x · weight + bias` for x (…, in), output viewed as (…, out). Where the backend has tfkit's SIMD
 * kernels (single-threaded wasm, or the threaded build with helper threads), one call of their
 * product (`gemm`, bias first in each sum as XNNPACK adds it): it packs eight columns of the weight
 * at a time into a few kilobytes of scratch, so nothing outlives the call, and runs 10–20% faster
 * than XNNPACK on a transformer's shapes (packages/backends/BENCHMARKS.md). Fewer than
 * `GEMM_MIN_ROWS` rows (a decoding step) run `gemv`, the same values without packing. Neither
 * keeps a copy of the weight.
 *
 * Otherwise (the threaded build without helpers) tfjs-backend-wasm's own `_FusedMatMul` (XNNPACK's fully connected operator, the bias
 * added in its accumulator) on rank-3 views [1, N, in] · [1, in, out] of the same buffers. XNNPACK
 * packs the weight (and bias) into an operator that tfjs-backend-wasm caches under the weight's
 * data id until that tensor is disposed: a second copy of every weight, kept for the next call.
 * With `transientWeight` the product runs on a copy of the weight and bias made here and disposed
 * at once, which frees the packed operator with it.
 */
function denseKernel(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as HeapBackend;
  const { x, weight, bias } = args.inputs as { x: tf.TensorInfo; weight: tf.TensorInfo; bias?: tf.TensorInfo };
  const transient = weightPacking === 'per-call' || args.attrs?.['transientWeight'] === true;
  const inF = weight.shape[0] as number;
  const rows = x.shape.reduce((a, d) => a * d, 1) / inF;
  // The threaded build keeps XNNPACK, which runs the product on every thread, unless tfkit's
  // product has helper threads there too.
  const own = simdKernels(backend);
  const simd = own && (!own.shared || simdTeam(backend)) ? own : null;
  // `activation`: TfkitGelu's values over the product, in place — by tfkit's product per part (each
  // thread over the values it wrote), after XNNPACK's over the whole.
  const attr = args.attrs?.['activation'];
  const activation = attr === 'gelu' || attr === 'gelu_tanh' ? (attr as 'gelu' | 'gelu_tanh') : undefined;
  if (simd) return simdDense(backend, simd, x, weight, bias, rows, activation);
  const out = xnnpackDense(backend, x, weight, bias, rows, transient);
  if (activation) geluOnHeap(backend, out, out, activation === 'gelu_tanh');
  return out;
}

function simdDense(backend: HeapBackend, simd: SimdKernels, x: tf.TensorInfo, weight: tf.TensorInfo, bias: tf.TensorInfo | undefined, rows: number, activation: GemmCall['activation']): tf.TensorInfo {
  const [inF, outF] = weight.shape as [number, number];
  const out = backend.makeOutput([...x.shape.slice(0, -1), outF], 'float32');
  const kernel = rows < GEMM_MIN_ROWS ? 'gemv' : 'gemm';
  runGemm(backend, simd, { kernel, activation, a: x, b: weight, c: out, bias, m: rows, n: outF, k: inF, aRow: 4 * inF, aCol: 4, bRow: 4 * outF, bCol: 4, count: 1, aStep: 0, bStep: 0, cStep: 0 });
  return out;
}

/**
 * A product for `runGemm`: SimdKernels.gemm's arguments with tensors for the addresses, `count`
 * slices `*Step` bytes apart; `kernel: 'gemv'` (op(b)'s columns adjacent) for a few rows, unpacked;
 * `activation`: the GELU of every value after the product.
 */
interface GemmCall {
  kernel?: 'gemm' | 'gemv';
  activation?: 'gelu' | 'gelu_tanh';
  a: tf.TensorInfo; b: tf.TensorInfo; c: tf.TensorInfo; bias: tf.TensorInfo | undefined;
  m: number; n: number; k: number;
  aRow: number; aCol: number; bRow: number; bCol: number;
  count: number; aStep: number; bStep: number; cStep: number;
}

/**
 * Runs a (batched) product with tfkit's `gemm`: on the calling thread, or cut into parts across
 * the helper threads where the threaded build has them (simd-team.ts; the same values bit for bit).
 * Each part gets its own packing scratch, freed before returning.
 */
function runGemm(backend: HeapBackend, simd: SimdKernels, call: GemmCall): void {
  const team = simd.shared ? simdTeam(backend) : null;
  const parts = team ? team.parts(call) : 1;
  const gemv = call.kernel === 'gemv';
  // gemv: no scratch; op(b)'s rows one at a time where each part's rows of c stay in the fastest
  // cache, else four at a time.
  const kc = gemv ? (call.m * Math.ceil(call.n / parts) > GEMV_ONE_ROW ? 4 : 1) : Math.max(1, Math.min(call.k, GEMM_BLOCK));
  // Each part's m is at most the call's (bands of rows have fewer).
  const scratch = gemmScratchFloats(call.m, kc);
  const pack = gemv ? null : backend.makeOutput([parts * scratch], 'float32');
  // Views after the allocation: it may grow (and so detach) the heap.
  const at = (t: tf.TensorInfo) => backend.typedArrayFromHeap(t).byteOffset;
  const [a, b, c, packAt] = [at(call.a), at(call.b), at(call.c), pack ? at(pack) : 0];
  const bias = call.bias ? at(call.bias) : 0;
  const job = { ...call, a, b, c, bias, kc, cRow: 4 * call.n };
  if (team && parts > 1) team.run(simd, job, gemv ? [] : Array.from({ length: parts }, (_, p) => packAt + p * scratch * 4), simd.relaxed);
  else runJob(simd, job, packAt);
  if (pack) backend.disposeData(pack.dataId);
}

function xnnpackDense(backend: HeapBackend, x: tf.TensorInfo, weight: tf.TensorInfo, bias: tf.TensorInfo | undefined, rows: number, transient: boolean): tf.TensorInfo {
  const [inF, outF] = weight.shape as [number, number];
  const reshape = wasmKernel('Reshape');
  const w = transient ? heapCopy(backend, weight) : weight;
  const b = transient && bias ? heapCopy(backend, bias) : bias;
  const a3 = reshape({ inputs: { x }, backend, attrs: { shape: [1, rows, inF] } });
  const b3 = reshape({ inputs: { x: w }, backend, attrs: { shape: [1, inF, outF] } });
  const inputs: tf.NamedTensorInfoMap = b ? { a: a3, b: b3, bias: b } : { a: a3, b: b3 };
  const out = wasmKernel('_FusedMatMul')({ inputs, backend, attrs: { transposeA: false, transposeB: false, activation: 'linear', leakyreluAlpha: 0 } });
  backend.disposeData(a3.dataId);
  backend.disposeData(b3.dataId);
  // Disposing the copies deletes the operator XNNPACK packed from them (tfjs-backend-wasm's
  // disposal callbacks).
  if (transient) {
    backend.disposeData(w.dataId);
    if (b) backend.disposeData(b.dataId);
  }
  // As tfjs-backend-wasm's BatchMatMul does with its rank-3 result: the data is (…, out) row-major.
  out.shape = [...x.shape.slice(0, -1), outF];
  return out;
}

/** How dense products treat their weights outside training: `useBackend`'s `weightPacking` option. */
let weightPacking: 'cached' | 'per-call' = 'cached';

/**
 * `'cached'` (tfjs-backend-wasm's way): XNNPACK's packed copy of each weight stays for the weight's
 * life. `'per-call'`: every dense product packs its weight anew and frees the copy (as training
 * steps always do), so the heap holds each weight once. Applies to products from now on.
 */
export function setWeightPacking(mode: 'cached' | 'per-call'): void {
  weightPacking = mode;
}

/** scores[0..n) ← exp(scores − max) / Σ exp(scores − max), in float64, summed in order (`max` their largest). */
function softmaxFromMax(scores: Float64Array, n: number, max: number): void {
  let total = 0;
  for (let j = 0; j < n; j++) {
    const e = Math.exp(scores[j]! - max);
    scores[j] = e;
    total += e;
  }
  for (let j = 0; j < n; j++) scores[j] = scores[j]! / total;
}

/**
 * Layer norm of each row of `xs` (width `width`) into `ys`, row statistics into `means`/`rstds`:
 * float64 sums, one rounding to float32 per value.
 */
function normalizeRows(xs: Float32Array, ys: Float32Array, means: Float32Array, rstds: Float32Array, width: number, epsilon: number, g: Float32Array | null, b: Float32Array | null): void {
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
}

/**
 * `normalizeRows` over views of the wasm heap: in tfkit's SIMD kernel where the backend has it
 * (simd-kernels.ts: the same float64 arithmetic two lanes at a time), else the loop above.
 */
function normalizeOnHeap(backend: HeapBackend, xs: Float32Array, ys: Float32Array, means: Float32Array, rstds: Float32Array, width: number, epsilon: number, g: Float32Array | null, b: Float32Array | null): void {
  const simd = width > 0 && xs.length > 0 ? simdKernels(backend) : null;
  if (!simd) return normalizeRows(xs, ys, means, rstds, width, epsilon, g, b);
  simd.layerNorm(xs.byteOffset, ys.byteOffset, xs.length / width, width, epsilon, g ? g.byteOffset : 0, b ? b.byteOffset : 0, means.byteOffset, rstds.byteOffset);
}

function layerNormKernel(args: KernelArgs): tf.TensorInfo[] {
  const backend = args.backend as HeapBackend;
  const { x, gamma, beta } = args.inputs as { x: tf.TensorInfo; gamma?: tf.TensorInfo; beta?: tf.TensorInfo };
  const epsilon = (args.attrs as { epsilon: number } | undefined)?.epsilon ?? 1e-5;
  const statShape = [...x.shape.slice(0, -1), 1];
  const yInfo = backend.makeOutput(x.shape, 'float32');
  const meanInfo = backend.makeOutput(statShape, 'float32');
  const rstdInfo = backend.makeOutput(statShape, 'float32');
  // Views are taken after every allocation: an allocation may grow (and so detach) the heap.
  normalizeOnHeap(
    backend, backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(yInfo), backend.typedArrayFromHeap(meanInfo), backend.typedArrayFromHeap(rstdInfo),
    x.shape[x.shape.length - 1] ?? 1, epsilon, gamma ? backend.typedArrayFromHeap(gamma) : null, beta ? backend.typedArrayFromHeap(beta) : null,
  );
  return [yInfo, meanInfo, rstdInfo];
}

/** `TfkitAddLayerNorm`: sum = x + residual (float32, as tfjs's Add rounds it), then the layer norm of sum. */
function addLayerNormKernel(args: KernelArgs): tf.TensorInfo[] {
  const backend = args.backend as HeapBackend;
  const { x, residual, gamma, beta } = args.inputs as { x: tf.TensorInfo; residual: tf.TensorInfo; gamma: tf.TensorInfo; beta: tf.TensorInfo };
  const epsilon = (args.attrs as { epsilon: number } | undefined)?.epsilon ?? 1e-5;
  // withStats false: the statistics go to scratch freed here, and only [sum, y] are returned.
  const withStats = (args.attrs as { withStats?: boolean } | undefined)?.withStats !== false;
  const statShape = [...x.shape.slice(0, -1), 1];
  const sumInfo = backend.makeOutput(x.shape, 'float32');
  const yInfo = backend.makeOutput(x.shape, 'float32');
  const meanInfo = backend.makeOutput(statShape, 'float32');
  const rstdInfo = backend.makeOutput(statShape, 'float32');
  const xs = backend.typedArrayFromHeap(x);
  const rs = backend.typedArrayFromHeap(residual);
  const sums = backend.typedArrayFromHeap(sumInfo);
  const simd = simdKernels(backend);
  if (simd) simd.add(xs.byteOffset, rs.byteOffset, sums.byteOffset, xs.length);
  else for (let i = 0; i < xs.length; i++) sums[i] = xs[i]! + rs[i]!;
  normalizeOnHeap(
    backend, sums, backend.typedArrayFromHeap(yInfo), backend.typedArrayFromHeap(meanInfo), backend.typedArrayFromHeap(rstdInfo),
    x.shape[x.shape.length - 1] ?? 1, epsilon, backend.typedArrayFromHeap(gamma), backend.typedArrayFromHeap(beta),
  );
  if (withStats) return [sumInfo, yInfo, meanInfo, rstdInfo];
  backend.disposeData(meanInfo.dataId);
  backend.disposeData(rstdInfo.dataId);
  return [sumInfo, yInfo];
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const GELU_TANH_K = 0.044715;

/**
 * tanh through a rational function (odd degree 13 over even degree 6; Eigen's float tanh's
 * coefficients) for |u| < 7, Math.tanh beyond: within 2.6e-8 of Math.tanh everywhere (below
 * float32's half step at 1), about 2× faster than Math.tanh (fdlibm's, through expm1), which had
 * been most of a GPT-2-small step's GELU time.
 */
function fastTanh(u: number): number {
  if (!(u > -7 && u < 7)) return Math.tanh(u);
  const u2 = u * u;
  const p = (((((-2.76076847742355e-16 * u2 + 2.00018790482477e-13) * u2 - 8.60467152213735e-11) * u2 + 5.12229709037114e-8) * u2 + 1.48572235717979e-5) * u2 + 6.37261928875436e-4) * u2 + 4.89352455891786e-3;
  const q = ((1.19825839466702e-6 * u2 + 1.18534705686654e-4) * u2 + 2.268434632439e-3) * u2 + 4.89352518554385e-3;
  return (u * p) / q;
}

/** tfjs's erf (Abramowitz & Stegun 7.1.26, |error| ≤ 1.5e-7), so both GELU paths agree. */
function erf(v: number): number {
  const sign = v < 0 ? -1 : 1;
  const a = Math.abs(v);
  const t = 1 / (1 + 0.3275911 * a);
  const poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t;
  return sign * (1 - poly * Math.exp(-a * a));
}

function geluKernel(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as HeapBackend;
  const x = args.inputs['x'] as tf.TensorInfo;
  const tanh = (args.attrs as { approximate?: string } | undefined)?.approximate === 'tanh';
  const yInfo = backend.makeOutput(x.shape, 'float32');
  geluOnHeap(backend, x, yInfo, tanh);
  return yInfo;
}

/**
 * y ← GELU(x) (x and y may be the same tensor): four lanes at a time in float32 by tfkit's SIMD
 * `gelu` where the backend has it (the erf and tanh as the JavaScript loops below approximate them,
 * each step rounded to float32), else those loops (float64, rounded once).
 */
function geluOnHeap(backend: HeapBackend, x: tf.TensorInfo, y: tf.TensorInfo, tanh: boolean): void {
  const simd = simdKernels(backend);
  const ys = backend.typedArrayFromHeap(y);
  if (simd) {
    const xAt = backend.typedArrayFromHeap(x).byteOffset;
    simd.gelu(xAt, 0, ys.byteOffset, ys.length, tanh ? 1 : 0);
  } else {
    geluValues(backend.typedArrayFromHeap(x), ys, tanh);
  }
}

/** ys ← GELU(xs) (xs and ys may be the same array): exact (tfjs's erf) or the tanh approximation; where the SIMD kernels cannot run (exported for its test). */
export function geluValues(xs: Float32Array, ys: Float32Array, tanh: boolean): void {
  if (tanh) {
    for (let i = 0; i < xs.length; i++) {
      const v = xs[i]!;
      ys[i] = 0.5 * v * (1 + fastTanh(SQRT_2_OVER_PI * (v + GELU_TANH_K * v * v * v)));
    }
  } else {
    for (let i = 0; i < xs.length; i++) {
      const v = xs[i]!;
      ys[i] = 0.5 * v * (1 + erf(v * Math.SQRT1_2));
    }
  }
}

/**
 * `TfkitGeluGrad`: dy·GELU′(x), one SIMD pass (`gelu`, modes 2 and 3); registered only where the
 * SIMD kernels run. The composite backward pass is 8–11 kernels, among them tfjs-backend-wasm's
 * scalar `Tanh` (a GPT-2-small forward's 83 ms of GELU was mostly that kernel).
 */
function geluGradKernel(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as HeapBackend;
  const { dy, x } = args.inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
  const tanh = (args.attrs as { approximate?: string } | undefined)?.approximate === 'tanh';
  const n = x.shape.reduce((a, d) => a * d, 1);
  if (dy.shape.reduce((a, d) => a * d, 1) !== n) throw new BackendError('wasm', `${FUSED_GELU_GRAD}: dy [${dy.shape}] and x [${x.shape}] must have as many values`);
  const simd = simdKernels(backend);
  if (!simd) throw new BackendError('wasm', `${FUSED_GELU_GRAD} needs tfkit's SIMD kernels, which this wasm backend cannot run`);
  const out = backend.makeOutput(x.shape, 'float32');
  if (n === 0) return out;
  const at = (t: tf.TensorInfo) => backend.typedArrayFromHeap(t).byteOffset;
  simd.gelu(at(x), at(dy), at(out), n, tanh ? 3 : 2);
  return out;
}

/** Everything one decoding step's attention reads and writes, as float32 offsets into the wasm heap. */
interface StepViews {
  heap: Float32Array;
  simd: SimdKernels | null;
  /** Byte offset of float64 scratch for a head's query (d) and scores (tk), when `simd`. */
  scratchAt: number;
  query64: Float64Array | null;
  scores64: Float64Array | null;
  /** JavaScript path's scratch. */
  query: Float64Array;
  scores: Float64Array;
  mask: Float32Array | null;
  maskRows: number;
  h: number;
  d: number;
  c: number;
  scale: number;
  srcAt: number;
  outAt: number;
  keysAt: number;
  valuesAt: number;
  /** Floats between one head's keys and the next's (tk·d copying, capacity·d in place). */
  headStride: number;
}

/**
 * Head `hi` of row `bi`: softmax(scale·q·kᵀ + mask)·v over the head's first `tk` keys/values (rows
 * of d floats from `keysAt`/`valuesAt` + (bi·H + hi)·headStride, which already hold this step's),
 * written into the output row. Scores, softmax and the weighted sum in float64, rounded once.
 */
function attendHead(v: StepViews, bi: number, hi: number, tk: number): void {
  const { heap, simd, query64, scores64, scratchAt, query, scores, d, c, scale } = v;
  const m = v.mask;
  const row = v.srcAt + bi * 3 * c;
  const maskBase = v.maskRows > 1 ? bi * tk : 0;
  const base = (bi * v.h + hi) * v.headStride;
  const keysAt = v.keysAt + base;
  const valuesAt = v.valuesAt + base;
  const o = v.outAt + bi * c + hi * d;
  if (simd && query64 && scores64) {
    // The same arithmetic in wasm SIMD (two float64 lanes): the products and weighted sum
    // there, the mask and softmax here. The weighted sum adds in the same order as below.
    for (let i = 0; i < d; i++) query64[i] = heap[row + hi * d + i]!;
    simd.scores(scratchAt, keysAt * 4, tk, d, scale, scratchAt + 8 * d);
    let top = -Infinity;
    for (let j = 0; j < tk; j++) {
      const add = m ? m[maskBase + j]! : 0;
      const score = add !== 0 ? Math.fround(scores64[j]! + add) : scores64[j]!;
      scores64[j] = score;
      if (score > top) top = score;
    }
    softmaxFromMax(scores64, tk, top);
    simd.weighted(scratchAt + 8 * d, valuesAt * 4, tk, d, o * 4);
    return;
  }
  // The query in float64, read once per head rather than once per key.
  for (let i = 0; i < d; i++) query[i] = heap[row + hi * d + i]!;
  // Scores: each dot product in four interleaved partial sums (independent additions the
  // CPU overlaps), indexed straight into the heap.
  let max = -Infinity;
  for (let j = 0, kj = keysAt; j < tk; j++, kj += d) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let i = 0;
    for (; i + 3 < d; i += 4) {
      s0 += query[i]! * heap[kj + i]!;
      s1 += query[i + 1]! * heap[kj + i + 1]!;
      s2 += query[i + 2]! * heap[kj + i + 2]!;
      s3 += query[i + 3]! * heap[kj + i + 3]!;
    }
    for (; i < d; i++) s0 += query[i]! * heap[kj + i]!;
    let score = (s0 + s1 + (s2 + s3)) * scale;
    // A masked score is what float32 makes of it, as in the composite: far below every
    // unmasked one, and equal to every other masked one.
    const add = m ? m[maskBase + j]! : 0;
    if (add !== 0) score = Math.fround(score + add);
    scores[j] = score;
    if (score > max) max = score;
  }
  softmaxFromMax(scores, tk, max);
  // The weighted sum of the values, four output columns at a time, each summed over the
  // keys in order in a register (was: a float64 accumulator row updated per key).
  let i = 0;
  for (; i + 3 < d; i += 4) {
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    for (let j = 0, vj = valuesAt + i; j < tk; j++, vj += d) {
      const p = scores[j]!;
      a0 += p * heap[vj]!;
      a1 += p * heap[vj + 1]!;
      a2 += p * heap[vj + 2]!;
      a3 += p * heap[vj + 3]!;
    }
    heap[o + i] = a0;
    heap[o + i + 1] = a1;
    heap[o + i + 2] = a2;
    heap[o + i + 3] = a3;
  }
  for (; i < d; i++) {
    let a = 0;
    for (let j = 0, vj = valuesAt + i; j < tk; j++, vj += d) a += scores[j]! * heap[vj]!;
    heap[o + i] = a;
  }
}

/**
 * The views of one step over the heap, taken after every allocation (an allocation may grow the
 * heap and detach older views); `scratchInfo` is float64 scratch for the SIMD path (or null).
 */
function stepViews(
  backend: HeapBackend, simd: SimdKernels | null, scratchInfo: tf.TensorInfo | null,
  t: { qkv: tf.TensorInfo; out: tf.TensorInfo; keys: tf.TensorInfo; values: tf.TensorInfo; mask: tf.TensorInfo | undefined },
  dims: { h: number; d: number; tk: number; scale: number; headStride: number },
): StepViews {
  const keys = backend.typedArrayFromHeap(t.keys);
  // Every view is over the one wasm heap; offsets in float32 elements.
  const heap = new Float32Array(keys.buffer);
  const at = (info: tf.TensorInfo) => backend.typedArrayFromHeap(info).byteOffset / 4;
  const scratchAt = scratchInfo ? backend.typedArrayFromHeap(scratchInfo).byteOffset : 0;
  if (scratchAt % 8 !== 0) simd = null; // float64 views need 8-byte alignment (the allocator gives it)
  const { h, d, tk } = dims;
  return {
    heap, simd, scratchAt,
    query64: simd ? new Float64Array(heap.buffer, scratchAt, d) : null,
    scores64: simd ? new Float64Array(heap.buffer, scratchAt + 8 * d, tk) : null,
    query: new Float64Array(d),
    scores: new Float64Array(tk),
    mask: t.mask ? backend.typedArrayFromHeap(t.mask) : null,
    maskRows: t.mask ? (t.mask.shape[0] as number) : 0,
    h, d, c: h * d, scale: dims.scale, headStride: dims.headStride,
    srcAt: at(t.qkv), outAt: at(t.out), keysAt: keys.byteOffset / 4, valuesAt: at(t.values),
  };
}

/**
 * `TfkitCachedAttention`: a decoding step's attention (see the contract in core-tensor). The
 * cached keys/values are copied whole-row (`copyWithin`, a memmove) with this step's appended;
 * scores, softmax and the weighted sum run in float64 and round once. Replaces the ten kernels of the
 * composite step (reshape, split, two concatenations, scale, two products, reshape, softmax,
 * merge).
 */
function cachedAttentionKernel(args: KernelArgs): tf.TensorInfo[] {
  const backend = args.backend as HeapBackend;
  const { qkv, pastKey, pastValue, mask } = args.inputs as { qkv: tf.TensorInfo; pastKey?: tf.TensorInfo; pastValue?: tf.TensorInfo; mask?: tf.TensorInfo };
  const { numHeads: h, scale } = args.attrs as unknown as { numHeads: number; scale: number };
  const [b, , c3] = qkv.shape as [number, number, number];
  const c = c3 / 3;
  const d = c / h;
  const past = pastKey ? (pastKey.shape[2] as number) : 0;
  const tk = past + 1;
  const outInfo = backend.makeOutput([b, 1, c], 'float32');
  const keyInfo = backend.makeOutput([b, h, tk, d], 'float32');
  const valueInfo = backend.makeOutput([b, h, tk, d], 'float32');
  // With tfkit's SIMD kernels (simd-kernels.ts): float64 scratch for a head's query and scores.
  const simd = simdKernels(backend);
  const scratchInfo = simd ? backend.makeOutput([2 * (d + tk)], 'float32') : null;
  const v = stepViews(backend, simd, scratchInfo, { qkv, out: outInfo, keys: keyInfo, values: valueInfo, mask }, { h, d, tk, scale, headStride: tk * d });
  const { heap, keysAt, valuesAt, srcAt } = v;
  const pkAt = pastKey ? backend.typedArrayFromHeap(pastKey).byteOffset / 4 : 0;
  const pvAt = pastValue ? backend.typedArrayFromHeap(pastValue).byteOffset / 4 : 0;
  for (let bi = 0; bi < b; bi++) {
    const row = srcAt + bi * c3;
    for (let hi = 0; hi < h; hi++) {
      const base = (bi * h + hi) * tk * d;
      // Copies within the heap by copyWithin (a memmove): `set` between two views of one buffer
      // takes a slow path that clones the source first.
      if (pastKey && pastValue && past > 0) {
        const from = (bi * h + hi) * past * d;
        heap.copyWithin(keysAt + base, pkAt + from, pkAt + from + past * d);
        heap.copyWithin(valuesAt + base, pvAt + from, pvAt + from + past * d);
      }
      heap.copyWithin(keysAt + base + past * d, row + c + hi * d, row + c + hi * d + d);
      heap.copyWithin(valuesAt + base + past * d, row + 2 * c + hi * d, row + 2 * c + hi * d + d);
      attendHead(v, bi, hi, tk);
    }
  }
  if (scratchInfo) backend.disposeData(scratchInfo.dataId);
  return [outInfo, keyInfo, valueInfo];
}

/**
 * `TfkitCachedAttentionInPlace` (see the contract in core-tensor): this step's key and value rows
 * are written into position `length` of the cache's buffers and each head attends over the first
 * `length + 1` positions there, in place: nothing of the past is copied. The arithmetic is
 * `TfkitCachedAttention`'s (`attendHead`), so both give the same output bit for bit.
 */
function cachedAttentionInPlaceKernel(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as HeapBackend & { refCount?(dataId: object): number };
  const { qkv, cacheKey, cacheValue, mask } = args.inputs as { qkv: tf.TensorInfo; cacheKey: tf.TensorInfo; cacheValue: tf.TensorInfo; mask?: tf.TensorInfo };
  const { numHeads: h, scale, length } = args.attrs as unknown as { numHeads: number; scale: number; length: number };
  const [b, , c3] = qkv.shape as [number, number, number];
  const c = c3 / 3;
  const d = c / h;
  const capacity = cacheKey.shape[2] as number;
  if (!(length >= 0 && length < capacity)) throw new BackendError('wasm', `TfkitCachedAttentionInPlace: position ${length} is outside the cache's capacity ${capacity}; reserve room first (KvCache.reserve)`);
  // A buffer another tensor shares (tf.clone, reshape) would change under it.
  for (const info of [cacheKey, cacheValue]) {
    if ((backend.refCount?.(info.dataId) ?? 1) > 1) throw new BackendError('wasm', 'TfkitCachedAttentionInPlace: a cache buffer is shared with another tensor; the cache must own its buffers alone (KvCache does)');
  }
  const tk = length + 1;
  const outInfo = backend.makeOutput([b, 1, c], 'float32');
  const simd = simdKernels(backend);
  const scratchInfo = simd ? backend.makeOutput([2 * (d + tk)], 'float32') : null;
  const v = stepViews(backend, simd, scratchInfo, { qkv, out: outInfo, keys: cacheKey, values: cacheValue, mask }, { h, d, tk, scale, headStride: capacity * d });
  const { heap, keysAt, valuesAt, srcAt } = v;
  for (let bi = 0; bi < b; bi++) {
    const row = srcAt + bi * c3;
    for (let hi = 0; hi < h; hi++) {
      const slot = (bi * h + hi) * capacity * d + length * d;
      heap.copyWithin(keysAt + slot, row + c + hi * d, row + c + hi * d + d);
      heap.copyWithin(valuesAt + slot, row + 2 * c + hi * d, row + 2 * c + hi * d + d);
      attendHead(v, bi, hi, tk);
    }
  }
  if (scratchInfo) backend.disposeData(scratchInfo.dataId);
  return outInfo;
}

/**
 * `TfkitBatchMatMul`: every slice's op(a)·op(b) by tfkit's SIMD product (simd-kernels.ts), on
 * the tensors where the heap holds them, transposed operands read through their strides (no
 * transposes). tfjs-backend-wasm's own batched product is a scalar loop (about 1–2 GFLOP/s) and
 * only a 2-D untransposed product reaches XNNPACK, which packs its right operand anew whenever it
 * changes (every product of a training step). Registered only while the running backend has the
 * SIMD kernels (`installSimdWasmKernels`).
 */
function batchMatMulKernel(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as HeapBackend;
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const transposeA = args.attrs?.['transposeA'] === true;
  const transposeB = args.attrs?.['transposeB'] === true;
  const batch = b.shape[0] as number;
  const k = b.shape[transposeB ? 2 : 1] as number;
  const n = b.shape[transposeB ? 1 : 2] as number;
  const m = a.shape[transposeA ? 2 : 1] as number;
  if (a.shape.length !== 3 || b.shape.length !== 3 || a.shape[0] !== batch || a.shape[transposeA ? 1 : 2] !== k) {
    throw new BackendError('wasm', `${FUSED_BATCH_MATMUL}: shapes [${a.shape}]${transposeA ? 'ᵀ' : ''} · [${b.shape}]${transposeB ? 'ᵀ' : ''} do not multiply`);
  }
  const simd = simdKernels(backend);
  if (!simd) throw new BackendError('wasm', `${FUSED_BATCH_MATMUL} needs tfkit's SIMD kernels, which this wasm backend cannot run`);
  const out = backend.makeOutput([batch, m, n], 'float32');
  if (batch * m * n === 0) return out;
  const [aRow, aCol] = strides(transposeA ? m : k, transposeA);
  const [bRow, bCol] = strides(transposeB ? k : n, transposeB);
  runGemm(backend, simd, { a, b, c: out, bias: undefined, m, n, k, aRow, aCol, bRow, bCol, count: batch, aStep: 4 * m * k, bStep: 4 * k * n, cStep: 4 * m * n });
  return out;
}

/**
 * Registers the kernels that run on tfkit's SIMD kernels (`TfkitSoftmaxCrossEntropy` and its
 * gradient, `TfkitGeluGrad`, `TfkitDropoutMask`, and on the single-threaded build `TfkitBatchMatMul`) for wasm when
 * `backend` (the running wasm backend) can run them — a runtime with WebAssembly SIMD — and
 * `TfkitGelu` as vectorised; undoes that otherwise, so the ops keep their composite routes. On the
 * threaded build products stay with XNNPACK's threads (the per-slice route for batched ones).
 */
export function installSimdWasmKernels(backend: object): void {
  const simd = simdKernels(backend);
  const usable = simd !== null;
  for (const config of SIMD_KERNELS) {
    const wanted = usable && !(simd.shared && !simdTeam(backend) && config.kernelName === FUSED_BATCH_MATMUL);
    const registered = tf.getKernel(config.kernelName, 'wasm') !== undefined;
    if (wanted && !registered) tf.registerKernel(config);
    if (!wanted && registered) tf.unregisterKernel(config.kernelName, 'wasm');
  }
  const gelu = usable ? GELU_VECTORIZED : GELU;
  if (tf.getKernel(FUSED_GELU, 'wasm') !== gelu) {
    if (tf.getKernel(FUSED_GELU, 'wasm') !== undefined) tf.unregisterKernel(FUSED_GELU, 'wasm');
    tf.registerKernel(gelu);
  }
}

/** `labels` (int32, one per row) checked against `classes`, as a view of the heap. */
function labelsOnHeap(backend: HeapBackend, labels: tf.TensorInfo, rows: number, classes: number, kernel: string): Int32Array {
  if (labels.dtype !== 'int32' || labels.shape.reduce((a, d) => a * d, 1) !== rows) {
    throw new BackendError('wasm', `${kernel}: labels must be ${rows} int32 values (one per row), got ${labels.dtype} [${labels.shape}]`);
  }
  const f = backend.typedArrayFromHeap(labels);
  const ids = new Int32Array(f.buffer, f.byteOffset, rows);
  for (let r = 0; r < rows; r++) {
    const id = ids[r]!;
    if (!(id >= 0 && id < classes)) throw new BackendError('wasm', `${kernel}: labels[${r}] = ${id} is outside [0, ${classes})`);
  }
  return ids;
}

/**
 * `TfkitSoftmaxCrossEntropy`: per row of logits (rows, classes), lse = max + log Σ exp(x − max)
 * and nll = lse − x[label]. The max and the sum of exponentials are one SIMD pass each
 * (`softmaxStats`: float32 exp, the sum in float64); the log and the label's term are one value
 * per row here. tfjs's composite takes eight passes and two [rows, classes] temporaries (for a
 * language model's logits, 512 × 50,257 values: its `Exp` alone ran ~170 ms).
 */
function softmaxCrossEntropyKernel(args: KernelArgs): tf.TensorInfo[] {
  const backend = args.backend as HeapBackend;
  const { logits, labels } = args.inputs as { logits: tf.TensorInfo; labels: tf.TensorInfo };
  const [rows, classes] = logits.shape as [number, number];
  if (logits.shape.length !== 2 || classes === 0) throw new BackendError('wasm', `${FUSED_SOFTMAX_CROSS_ENTROPY}: logits must be [rows, classes ≥ 1], got [${logits.shape}]`);
  const simd = simdKernels(backend);
  if (!simd) throw new BackendError('wasm', `${FUSED_SOFTMAX_CROSS_ENTROPY} needs tfkit's SIMD kernels, which this wasm backend cannot run`);
  const nll = backend.makeOutput([rows], 'float32');
  const lse = backend.makeOutput([rows], 'float32');
  if (rows === 0) return [nll, lse];
  const stats = backend.makeOutput([3 * rows], 'float32'); // rows float64 sums, then rows float32 maxima
  // Views after the allocations: they may grow (and so detach) the heap.
  const statsAt = backend.typedArrayFromHeap(stats).byteOffset;
  simd.softmaxStats(backend.typedArrayFromHeap(logits).byteOffset, rows, classes, statsAt + 8 * rows, statsAt);
  const xs = backend.typedArrayFromHeap(logits);
  const sums = new Float64Array(xs.buffer, statsAt, rows);
  const maxima = new Float32Array(xs.buffer, statsAt + 8 * rows, rows);
  const ids = labelsOnHeap(backend, labels, rows, classes, FUSED_SOFTMAX_CROSS_ENTROPY);
  const lseOut = backend.typedArrayFromHeap(lse);
  const nllOut = backend.typedArrayFromHeap(nll);
  for (let r = 0; r < rows; r++) {
    const l = Math.fround(maxima[r]! + Math.fround(Math.log(sums[r]!)));
    lseOut[r] = l;
    nllOut[r] = l - xs[r * classes + ids[r]!]!;
  }
  backend.disposeData(stats.dataId);
  return [nll, lse];
}

/**
 * `TfkitSoftmaxCrossEntropyGrad`: (rows, classes) = exp(x − lse)·scale − scale·[j = label], one SIMD
 * pass (`softmaxScaled`) and one value per row. The composite runs seven kernels, three of them
 * [rows, classes] temporaries (the exponentials, a one-hot, its float copy).
 */
function softmaxCrossEntropyGradKernel(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as HeapBackend;
  const { logits, lse, labels, scale } = args.inputs as { logits: tf.TensorInfo; lse: tf.TensorInfo; labels: tf.TensorInfo; scale: tf.TensorInfo };
  const [rows, classes] = logits.shape as [number, number];
  if (logits.shape.length !== 2 || lse.shape.reduce((a, d) => a * d, 1) !== rows || scale.shape.reduce((a, d) => a * d, 1) !== rows) {
    throw new BackendError('wasm', `${FUSED_SOFTMAX_CROSS_ENTROPY_GRAD}: logits [${logits.shape}] need one lse and one scale per row, got [${lse.shape}] and [${scale.shape}]`);
  }
  const simd = simdKernels(backend);
  if (!simd) throw new BackendError('wasm', `${FUSED_SOFTMAX_CROSS_ENTROPY_GRAD} needs tfkit's SIMD kernels, which this wasm backend cannot run`);
  const out = backend.makeOutput([rows, classes], 'float32');
  if (rows * classes === 0) return out;
  const at = (t: tf.TensorInfo) => backend.typedArrayFromHeap(t).byteOffset;
  simd.softmaxScaled(at(logits), at(lse), at(scale), at(out), rows, classes);
  const ids = labelsOnHeap(backend, labels, rows, classes, FUSED_SOFTMAX_CROSS_ENTROPY_GRAD);
  const g = backend.typedArrayFromHeap(out);
  const s = backend.typedArrayFromHeap(scale);
  for (let r = 0; r < rows; r++) {
    const i = r * classes + ids[r]!;
    g[i] = g[i]! - s[r]!;
  }
  return out;
}

/**
 * `TfkitDropoutMask`: the mask written into the heap by the SIMD module's `dropoutMask` from
 * seedrandom's Alea state for the seed (tfjs's `randomUniform` draws from it), as integers
 * S = s·2^32 and the carry.
 */
function dropoutMaskKernel({ backend, attrs }: { backend: HeapBackend; attrs: { shape: number[]; p: number; seed: number } }): tf.TensorInfo {
  const { shape, p, seed } = attrs;
  const out = backend.makeOutput(shape, 'float32');
  const view = backend.typedArrayFromHeap(out);
  const { c, s0, s1, s2 } = seedrandom.alea(String(seed), { state: true }).state() as Record<string, number>;
  simdKernels(backend)!.dropoutMask(view.byteOffset, view.length, s0! * 2 ** 32, s1! * 2 ** 32, s2! * 2 ** 32, c!, Math.fround(p), Math.fround(1 / (1 - p)));
  return out;
}

/** `TfkitGelu` as the JavaScript loops run it (the ops call it for small tensors only) … */
const GELU: tf.KernelConfig = { kernelName: FUSED_GELU, backendName: 'wasm', kernelFunc: geluKernel as unknown as tf.KernelFunc };
/** … and as the SIMD kernel runs it, at any size (`installSimdWasmKernels` swaps the two). */
const GELU_VECTORIZED: FusedKernelConfig = { ...GELU, vectorized: true };

const KERNELS: tf.KernelConfig[] = [
  { kernelName: FUSED_LAYER_NORM, backendName: 'wasm', kernelFunc: layerNormKernel as unknown as tf.KernelFunc },
  GELU,
  { kernelName: FUSED_ADD_LAYER_NORM, backendName: 'wasm', kernelFunc: addLayerNormKernel as unknown as tf.KernelFunc },
  { kernelName: FUSED_CACHED_ATTENTION, backendName: 'wasm', kernelFunc: cachedAttentionKernel as unknown as tf.KernelFunc },
  { kernelName: FUSED_CACHED_ATTENTION_IN_PLACE, backendName: 'wasm', kernelFunc: cachedAttentionInPlaceKernel as unknown as tf.KernelFunc },
  { kernelName: FUSED_DENSE, backendName: 'wasm', kernelFunc: denseKernel as unknown as tf.KernelFunc },
];

/** Kernels that exist only where the running backend has tfkit's SIMD kernels (`installSimdWasmKernels`). */
const SIMD_KERNELS: tf.KernelConfig[] = [
  { kernelName: FUSED_BATCH_MATMUL, backendName: 'wasm', kernelFunc: batchMatMulKernel as unknown as tf.KernelFunc },
  { kernelName: FUSED_SOFTMAX_CROSS_ENTROPY, backendName: 'wasm', kernelFunc: softmaxCrossEntropyKernel as unknown as tf.KernelFunc },
  { kernelName: FUSED_SOFTMAX_CROSS_ENTROPY_GRAD, backendName: 'wasm', kernelFunc: softmaxCrossEntropyGradKernel as unknown as tf.KernelFunc },
  { kernelName: FUSED_GELU_GRAD, backendName: 'wasm', kernelFunc: geluGradKernel as unknown as tf.KernelFunc },
  { kernelName: FUSED_DROPOUT_MASK, backendName: 'wasm', kernelFunc: dropoutMaskKernel as unknown as tf.KernelFunc },
];

/** Registers the fused kernels for the wasm backend (once; later calls do nothing). */
export function installFusedWasmKernels(): void {
  for (const config of KERNELS) {
    if (tf.getKernel(config.kernelName, config.backendName) === undefined) tf.registerKernel(config);
  }
}
