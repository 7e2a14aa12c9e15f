/**
 * tfkit's own WebAssembly SIMD kernels (src/simd/kernels.wat), instantiated over
 * tfjs-backend-wasm's memory so they read and write tensors where the backend keeps them.
 *
 * `scores` and `weighted`: the two products of a decoding step's attention for one head
 * (`TfkitCachedAttention`), in float64 two lanes at a time, as the JavaScript loops compute them
 * one value at a time (about 1 ns per multiply-add there, a tenth of a GPT-2-small step);
 * `layerNorm` and `add`: `TfkitLayerNorm` and `TfkitAddLayerNorm`'s arithmetic likewise; `softmaxStats`
 * and `softmaxScaled`: `TfkitSoftmaxCrossEntropy`'s and its gradient's passes over the logits
 * (float32 exp, four lanes); `gemm`: the matrix products of `TfkitBatchMatMul` and `TfkitDense`,
 * four float32 lanes.
 *
 * Available where tfjs-backend-wasm runs its single-threaded build (the memory is the module's
 * own export) and the runtime validates WebAssembly SIMD; elsewhere (the threaded build, whose
 * shared memory the backend does not expose, or no SIMD) `simdKernels` gives null and the
 * callers keep their JavaScript loops.
 */
import { KERNELS_WASM_BASE64 } from './simd/kernels-wasm.js';

export interface SimdKernels {
  /** out[j] = scale · Σ_i q[i]·k[j·d + i] (j < n) in float64; q: d float64, k: n·d float32, out: n float64 (byte offsets in the heap). */
  scores(q: number, k: number, n: number, d: number, scale: number, out: number): void;
  /** out[i] = Σ_j p[j]·v[j·d + i] (i < d) in float64, summed over j in order, rounded to float32; p: n float64, v: n·d float32. */
  weighted(p: number, v: number, n: number, d: number, out: number): void;
  /** Layer norm of `rows` rows of `width` float32 (as fused-kernels.ts' normalizeRows: float64, rounded once); g, b 0 for none; row means and rstds out. */
  layerNorm(x: number, y: number, rows: number, width: number, epsilon: number, g: number, b: number, means: number, rstds: number): void;
  /** out[i] = a[i] + b[i] (float32) for i < n. */
  add(a: number, b: number, out: number, n: number): void;
  /** Per row of `rows` × `classes` float32 at x: maxOut[row] (float32) its largest value, sumOut[row] (float64) Σ exp(x − max), each exp in float32. */
  softmaxStats(x: number, rows: number, classes: number, maxOut: number, sumOut: number): void;
  /** out[row, j] = exp(x[row, j] − lse[row]) · scale[row] in float32, for `rows` rows of `classes`. */
  softmaxScaled(x: number, lse: number, scale: number, out: number, rows: number, classes: number): void;
  /**
   * c = bias + op(a)·op(b) in float32, each value the bias (or 0) plus the terms over the inner axis
   * in order (a multiply and an add per term, each rounded): op(a) is m×k, its element (i, l) at
   * byte a + i·aRow + l·aCol; op(b) is k×n, its element (l, j) at b + l·bRow + j·bCol; c is m×n
   * row-major; bias n values or 0 for none. `pack`: scratch for min(k, kc)·8 float32; the inner axis
   * runs in blocks of kc.
   */
  gemm(a: number, b: number, c: number, bias: number, m: number, n: number, k: number, aRow: number, aCol: number, bRow: number, bCol: number, pack: number, kc: number): void;
}

/** Per backend memory, the instance over it (or null where the kernels cannot run). */
const instances = new WeakMap<object, SimdKernels | null>();
let compiled: WebAssembly.Module | null | undefined;

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function compileOnce(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  try {
    const bytes = decodeBase64(KERNELS_WASM_BASE64);
    // Small enough (< 4 kB) to compile synchronously on a page's main thread.
    compiled = typeof WebAssembly === 'object' && WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  } catch {
    compiled = null;
  }
  return compiled;
}

/** The emscripten module behind a tfjs-backend-wasm backend instance, as far as these kernels need it. */
interface WasmBackendLike {
  wasm?: { asm?: { memory?: unknown } };
}

/** The SIMD kernels over `backend`'s heap, or null where they cannot run (see the module comment). */
export function simdKernels(backend: object): SimdKernels | null {
  const memory = (backend as WasmBackendLike).wasm?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) return null;
  const known = instances.get(memory);
  if (known !== undefined) return known;
  let kernels: SimdKernels | null = null;
  const module = compileOnce();
  if (module && !(typeof SharedArrayBuffer === 'function' && memory.buffer instanceof SharedArrayBuffer)) {
    try {
      kernels = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as SimdKernels;
    } catch {
      kernels = null;
    }
  }
  instances.set(memory, kernels);
  return kernels;
}
