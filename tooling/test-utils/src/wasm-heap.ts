/**
 * Bytes in use on tfjs-backend-wasm's heap, tensor buffers and the C++ side's allocations alike
 * (XNNPACK's packed weights, which neither `tf.memory()` nor a count of JavaScript's mallocs
 * sees). tfjs-backend-wasm is built with emscripten's emmalloc: the heap is a run of regions, each
 * with its byte size in its first word and again in its last, the last word's bit 0 set while the
 * region is free. The walk starts at a region malloc'd here, steps back to the first region
 * (through the size words at each region's end) and then forward over all of them.
 */
import * as tf from '@tensorflow/tfjs-core';

interface WasmModule {
  HEAPU8: Uint8Array;
  _malloc(n: number): number;
  _free(p: number): void;
}

/** The active wasm backend's used heap bytes (throws when the active backend is not wasm). */
export function wasmHeapInUse(): number {
  const wasm = (tf.backend() as unknown as { wasm?: WasmModule }).wasm;
  if (!wasm || tf.getBackend() !== 'wasm') throw new Error(`wasmHeapInUse: the active backend is ${tf.getBackend()}, not wasm`);
  const probe = wasm._malloc(16);
  const h = new Uint32Array(wasm.HEAPU8.buffer);
  const end = wasm.HEAPU8.length;
  const isRegion = (at: number) => {
    const n = h[at >>> 2]!;
    return n >= 16 && n % 4 === 0 && at + n <= end && (h[(at + n - 4) >>> 2]! & ~1) === n;
  };
  // Back to the first region: the region before one ends where it starts, or a few bytes lower
  // across a gap between sbrk blocks, down to the sentinel that opens the first block (16 bytes,
  // used, its link to an earlier block null).
  let first = probe - 4;
  const opensHeap = (at: number) => h[at >>> 2] === 16 && h[(at + 12) >>> 2] === 16 && h[(at + 4) >>> 2] === 0 && h[(at + 8) >>> 2]! > at;
  for (let found = true; found && !opensHeap(first); ) {
    found = false;
    for (let q = first; q >= 16 && q > first - 64; q -= 4) {
      const before = h[(q - 4) >>> 2]! & ~1;
      if (before >= 16 && before % 4 === 0 && before <= q && isRegion(q - before)) {
        first = q - before;
        found = true;
        break;
      }
    }
  }
  let used = 0;
  let r = first;
  while (r + 16 <= end) {
    if (!isRegion(r)) {
      // A few bytes between two blocks emmalloc took from sbrk: on to the next region.
      let q = r + 4;
      while (q + 16 <= end && q < r + 65536 && !isRegion(q)) q += 4;
      if (q + 16 > end || q >= r + 65536) break;
      r = q;
      continue;
    }
    const n = h[r >>> 2]!;
    if ((h[(r + n - 4) >>> 2]! & 1) === 0) used += n;
    r += n;
  }
  wasm._free(probe);
  return used - (16 + 8); // less the probe's own region
}
