/**
 * `adamKernel`'s update in WebAssembly SIMD (src/optim/simd/adam.wat): four float32 lanes per
 * operation, each rounded as the JavaScript loop rounds it, so the two give the same bits. The
 * module works on its own 256 KiB of memory; the arrays stay where they are (the wasm backend's
 * heap, tfjs-backend-cpu's arrays, the optimizer's moments in host memory) and are copied through
 * it a chunk at a time. About ten times the JavaScript loop's speed on a BERT-mini's 11 M
 * parameters (bench/step-breakdown.run.ts).
 */
import { ADAM_WASM_BASE64 } from './simd/adam-wasm.js';
import type { AdamScalars } from './fused-adam.js';

/** Values per chunk: one 64 KiB page per buffer (adam.wat's layout). */
const CHUNK = 16384;
const P = 0;
const G = CHUNK;
const M = 2 * CHUNK;
const V = 3 * CHUNK;

interface AdamExports {
  memory: WebAssembly.Memory;
  adam(n: number, scale: number, decay: number, l2: number, useL2: number, first: number, beta1: number, beta2: number, ob1: number, ob2: number, sqrtBc2: number, eps: number, stepSize: number): void;
}

let instance: AdamExports | null | undefined;

/** The instantiated module, or null where the runtime has no WebAssembly SIMD. */
function adamModule(): AdamExports | null {
  if (instance !== undefined) return instance;
  try {
    const bytes = Uint8Array.from(atob(ADAM_WASM_BASE64), (c) => c.charCodeAt(0));
    // 378 bytes: small enough to compile synchronously on a page's main thread.
    instance = typeof WebAssembly === 'object' && WebAssembly.validate(bytes) ? (new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as AdamExports) : null;
  } catch {
    instance = null;
  }
  return instance;
}

/**
 * `adamKernel(p, g, m, v, pOut, mOut, vOut, s)` on the SIMD module: the same contract (an output
 * may be the memory of the matching input) and the same bits. Returns false, having done nothing,
 * where WebAssembly SIMD is unavailable.
 */
export function adamKernelSimd(p: Float32Array, g: Float32Array, m: Float32Array | null, v: Float32Array | null, pOut: Float32Array, mOut: Float32Array, vOut: Float32Array, s: AdamScalars): boolean {
  const mod = adamModule();
  if (!mod) return false;
  const heap = new Float32Array(mod.memory.buffer);
  const first = !m || !v;
  const useL2 = s.decay === undefined && s.l2 !== undefined;
  const n = p.length;
  for (let start = 0; start < n; start += CHUNK) {
    const end = Math.min(start + CHUNK, n);
    heap.set(p.subarray(start, end), P);
    heap.set(g.subarray(start, end), G);
    if (!first) {
      heap.set(m.subarray(start, end), M);
      heap.set(v.subarray(start, end), V);
    }
    mod.adam(end - start, s.gradScale ?? 1, s.decay ?? 1, s.l2 ?? 0, useL2 ? 1 : 0, first ? 1 : 0, s.beta1, s.beta2, s.oneMinusBeta1, s.oneMinusBeta2, s.sqrtBc2, s.eps, s.stepSize);
    const len = end - start;
    pOut.set(heap.subarray(P, P + len), start);
    mOut.set(heap.subarray(M, M + len), start);
    vOut.set(heap.subarray(V, V + len), start);
  }
  return true;
}
