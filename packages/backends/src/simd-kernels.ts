/**
 * tfkit's own WebAssembly SIMD kernels (src/simd/kernels.wat and elementwise.wat), instantiated over
 * tfjs-backend-wasm's memory so they read and write tensors where the backend keeps them.
 *
 * `scores` and `weighted`: the two products of a decoding step's attention for one head
 * (`TfkitCachedAttention`), in float64 two lanes at a time, as the JavaScript loops compute them
 * one value at a time (about 1 ns per multiply-add there, a tenth of a GPT-2-small step);
 * `layerNorm` and `add`: `TfkitLayerNorm` and `TfkitAddLayerNorm`'s arithmetic likewise; `softmaxStats`
 * and `softmaxScaled`: `TfkitSoftmaxCrossEntropy`'s and its gradient's passes over the logits
 * (float32 exp, four lanes); `gelu`: `TfkitGelu`'s and `TfkitGeluGrad`'s values (four lanes);
 * `dropoutMask`: `TfkitDropoutMask`'s draws (Alea in 64-bit integers);
 * `gemm`: the matrix products of `TfkitBatchMatMul` and `TfkitDense`, four float32 lanes — with
 * fused multiply-adds (relaxed SIMD's `f32x4.relaxed_madd`, derived from the same text) where the
 * runtime validates relaxed SIMD (Chromium 114+, Node 22+), unless `setRelaxedSimd(false)`.
 *
 * Available wherever tfjs-backend-wasm runs and the runtime validates WebAssembly SIMD: over the
 * single-threaded build's memory (the module's own export) and over the threaded build's shared
 * memory (`wasmMemory`), through variants of the modules that import it as shared (their bytes
 * rewritten at run time: simd/shared-memory.ts). The kernels run on the calling thread; on the threaded build the
 * products are cut across it and helper Workers (`startSimdTeam`, simd-team.ts), or left to
 * XNNPACK's threads when no team runs. Elsewhere (no SIMD) `simdKernels` gives null and the
 * callers keep their JavaScript loops.
 */
import { ELEMENTWISE_WASM_BASE64 } from './simd/elementwise-wasm.js';
import { KERNELS_WASM_BASE64 } from './simd/kernels-wasm.js';
import { RELAXED_WASM_BASE64 } from './simd/relaxed-wasm.js';
import { sharedMemoryModule } from './simd/shared-memory.js';
import { SimdTeam } from './simd-team.js';

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
   * GELU of n float32 at x into out (mode 0: exact, with tfjs's erf; 1: the tanh form); mode 2 / 3:
   * out = dy · the derivative of form 0 / 1 at x. out may alias x or dy; dy is ignored for 0 and 1.
   */
  gelu(x: number, dy: number, out: number, n: number, mode: 0 | 1 | 2 | 3): void;
  /**
   * Dropout's mask: n float32 at out, each `scale` where Alea's next draw from the state
   * (s0, s1, s2 as integers s·2^32, carry c), rounded to float32, is ≥ threshold, else +0.
   */
  dropoutMask(out: number, n: number, s0: number, s1: number, s2: number, c: number, threshold: number, scale: number): void;
  /**
   * c = bias + op(a)·op(b) in float32, each value the bias (or 0) plus the terms over the inner axis
   * in order (a multiply and an add per term, each rounded; with `relaxed`, one fused multiply-add
   * where the CPU has them): op(a) is m×k, its element (i, l) at
   * byte a + i·aRow + l·aCol; op(b) is k×n, its element (l, j) at b + l·bRow + j·bCol; c is m×n,
   * row i at byte c + i·cRow (4n for a whole row-major matrix, more for a band of its columns);
   * bias n values or 0 for none. `pack`: scratch for `gemmScratchFloats(m, min(k, kc))` float32
   * (op(b)'s packed columns and op(a)'s packed rows); the inner axis runs in blocks of kc.
   */
  gemm(a: number, b: number, c: number, bias: number, m: number, n: number, k: number, aRow: number, aCol: number, bRow: number, bCol: number, pack: number, kc: number, cRow: number): void;
  /**
   * `gemm`'s product for a few rows of a (a decoding step) without packing: the same arguments and
   * values, bit for bit; op(b)'s columns must be adjacent (bCol = 4). pack is unused; kc: 4 reads
   * op(b) four rows at a time (rows too long for c to stay in cache), else one.
   */
  gemv(a: number, b: number, c: number, bias: number, m: number, n: number, k: number, aRow: number, aCol: number, bRow: number, bCol: number, pack: number, kc: number, cRow: number): void;
  /** True when `gemm` and `gemv` are the relaxed-SIMD (fused multiply-add) build. */
  readonly relaxed: boolean;
  /** True over the threaded build's shared memory (products on a `SimdTeam`, or XNNPACK's threads). */
  readonly shared: boolean;
}

/**
 * The float32 values of `gemm`'s scratch for m rows with inner blocks of kc: eight packed columns
 * of op(b) (kc·8) and op(a)'s rows packed four at a time (the m - m mod 4 rows · kc).
 */
export function gemmScratchFloats(m: number, kc: number): number {
  return kc * 8 + (m - (m % 4)) * kc;
}

/** Per backend memory, the kernels over it: with the plain `gemm` and (where it runs) the relaxed one. */
const instances = new WeakMap<object, { plain: SimdKernels; relaxed: SimdKernels | null } | null>();
const compiled = new Map<string, WebAssembly.Module | null>();
let relaxedWanted = true;

/**
 * Whether `gemm` may use relaxed SIMD's fused multiply-adds where the runtime has them (default
 * true): about 10% faster dense layers on a CPU with FMA, each value then rounded once per term
 * instead of twice, so results differ from the plain kernel's (and XNNPACK's) in the last bits and
 * between CPUs with and without FMA. `false` keeps every product bit for bit reproducible.
 */
export function setRelaxedSimd(enabled: boolean): void {
  relaxedWanted = enabled;
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** A module's bytes: `base64`'s, with its memory imported as shared when `shared`. */
function moduleBytes(base64: string, shared: boolean): Uint8Array<ArrayBuffer> {
  const bytes = decodeBase64(base64);
  return shared ? sharedMemoryModule(bytes) : bytes;
}

/** The module of `base64` (shared: its shared-memory variant), compiled once, or null where this runtime does not validate it. */
function compileOnce(base64: string, shared: boolean): WebAssembly.Module | null {
  const key = shared ? `shared:${base64}` : base64;
  const known = compiled.get(key);
  if (known !== undefined) return known;
  let module: WebAssembly.Module | null;
  try {
    const bytes = moduleBytes(base64, shared);
    // Each module is small enough (< 4 kB) to compile synchronously on a page's main thread.
    module = typeof WebAssembly === 'object' && WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  } catch {
    module = null;
  }
  compiled.set(key, module);
  return module;
}

function instantiate(base64: string, shared: boolean, memory: WebAssembly.Memory): Record<string, unknown> | null {
  const module = compileOnce(base64, shared);
  if (!module) return null;
  try {
    return new WebAssembly.Instance(module, { env: { memory } }).exports as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** The emscripten module behind a tfjs-backend-wasm backend instance, as far as these kernels need it. */
interface WasmBackendLike {
  wasm?: { asm?: { memory?: unknown }; wasmMemory?: unknown };
}

/** The SIMD kernels over `backend`'s heap, or null where they cannot run (see the module comment). */
export function simdKernels(backend: object): SimdKernels | null {
  const wasm = (backend as WasmBackendLike).wasm;
  const memory = wasm?.asm?.memory ?? wasm?.wasmMemory;
  if (!(memory instanceof WebAssembly.Memory)) return null;
  let known = instances.get(memory);
  if (known === undefined) {
    known = null;
    const shared = typeof SharedArrayBuffer === 'function' && memory.buffer instanceof SharedArrayBuffer;
    const products = instantiate(KERNELS_WASM_BASE64, shared, memory);
    const elementwise = instantiate(ELEMENTWISE_WASM_BASE64, shared, memory);
    if (products && elementwise) {
      const plain = { ...products, ...elementwise, relaxed: false, shared } as unknown as SimdKernels;
      const fma = instantiate(RELAXED_WASM_BASE64, shared, memory);
      known = { plain, relaxed: fma ? ({ ...plain, gemm: fma['gemm'], gemv: fma['gemv'], relaxed: true } as SimdKernels) : null };
    }
    instances.set(memory, known);
  }
  if (!known) return null;
  return relaxedWanted && known.relaxed ? known.relaxed : known.plain;
}

/** The running helper threads and the memory they work over (`startSimdTeam`). */
let active: { memory: WebAssembly.Memory; team: SimdTeam } | null = null;

function memoryOf(backend: object): WebAssembly.Memory | null {
  const wasm = (backend as WasmBackendLike).wasm;
  const memory = wasm?.asm?.memory ?? wasm?.wasmMemory;
  return memory instanceof WebAssembly.Memory ? memory : null;
}

/**
 * Starts `helpers` threads that run tfkit's product beside the calling thread over `backend`'s
 * shared memory (simd-team.ts), replacing any earlier team. Gives null when they run, or why they
 * do not (not the threaded build, no SIMD, no Worker).
 */
export async function startSimdTeam(backend: object, helpers: number): Promise<string | null> {
  const memory = memoryOf(backend);
  const kernels = simdKernels(backend);
  if (!memory || !kernels?.shared) return 'not the threaded build with SIMD kernels';
  if (active?.memory === memory && active.team.threads === helpers + 1) return null;
  stopSimdTeam();
  const relaxed = instances.get(memory)?.relaxed ? moduleBytes(RELAXED_WASM_BASE64, true) : null;
  const modules = { kernels: moduleBytes(KERNELS_WASM_BASE64, true), relaxed, elementwise: moduleBytes(ELEMENTWISE_WASM_BASE64, true) };
  const team = await SimdTeam.start(modules, memory, helpers);
  if (typeof team === 'string') return team;
  active = { memory, team };
  return null;
}

/** Stops the running helper threads (before their backend is re-created, or when not wanted). */
export function stopSimdTeam(): void {
  active?.team.stop();
  active = null;
}

/** The running helper threads over `backend`'s memory, if `startSimdTeam` started them. */
export function simdTeam(backend: object): SimdTeam | null {
  return active && memoryOf(backend) === active.memory ? active.team : null;
}
