/**
 * What the wasm memory benchmarks (bert-base-memory.run.ts, gpt2-lora-memory.run.ts) share: a
 * counter of the bytes malloc'd on the wasm heap and seeded random token ids.
 */
import * as tf from '@tensorflow/tfjs-core';
import { registerAllBackends, useBackend } from '@tfkit/backends';
import { createRegistry } from '@tfkit/core-tensor';

export const MB = 2 ** 20;

/** The parts of tfjs-backend-wasm's emscripten module the benchmarks read or wrap. */
export interface WasmModule {
  HEAPU8: Uint8Array;
  _malloc(n: number): number;
  _free(p: number): void;
}

/** Counts the bytes malloc'd on the wasm heap (tensor buffers) and their peak since the last reset. */
export function trackMalloc(wasm: WasmModule) {
  const start = wasm._malloc(4); // resolves emscripten's lazy export before wrapping it
  wasm._free(start);
  const malloc = wasm._malloc.bind(wasm);
  const free = wasm._free.bind(wasm);
  const sizes = new Map<number, number>();
  /** `start`: a region below all the run allocates (where `heapLayout` walks from); `onGrow`: called when a malloc from JavaScript grew the heap. */
  const s = { live: 0, peak: 0, failed: 0, sizes, start, onGrow: null as ((bytes: number, heapBefore: number) => void) | null };
  wasm._malloc = (n: number) => {
    const before = wasm.HEAPU8.buffer.byteLength;
    const p = malloc(n);
    if (p === 0) s.failed++;
    sizes.set(p >>> 0, n);
    s.live += n;
    if (s.live > s.peak) s.peak = s.live;
    if (wasm.HEAPU8.buffer.byteLength !== before) s.onGrow?.(n, before);
    return p;
  };
  wasm._free = (p: number) => {
    s.live -= sizes.get(p >>> 0) ?? 0;
    sizes.delete(p >>> 0);
    free(p);
  };
  return s;
}

/**
 * The wasm heap region by region (tfjs-backend-wasm is built with emscripten's emmalloc: every
 * region has its size in its first word and again in its last, the last with bit 0 set when the
 * region is free): bytes in regions malloc'd from JavaScript (tensor buffers, `tracked`), in other
 * used regions (XNNPACK's packed weights and operators, the C++ backend's tables: `other`), free
 * bytes below the highest used region (`free`, fragmentation), the largest free region, and the end
 * of the highest used region (`top`, what the heap must hold). Walks from `start` (a region pointer
 * returned by malloc at startup, below everything the run allocates).
 */
export function heapLayout(wasm: WasmModule, tracked: Map<number, number>, start: number) {
  const h = new Uint32Array(wasm.HEAPU8.buffer);
  const end = wasm.HEAPU8.length;
  const out = { tracked: 0, other: 0, free: 0, largestFree: 0, top: 0, otherLarge: [] as number[], regions: 0, gaps: 0 };
  let r = start - 4;
  let freeAboveTop = 0;
  while (r + 8 <= end) {
    const size = h[r >>> 2]!;
    if (size < 8 || r + size > end) {
      // Not a region: a gap before the next block emmalloc took from sbrk (a few bytes). The next
      // word whose value, read as a size, ends at a matching last word starts the next region.
      let q = (r >>> 2) + 1;
      const limit = Math.min(h.length - 4, q + (64 << 10) / 4);
      const isRegion = (i: number) => {
        const n = h[i]!;
        return n >= 16 && n % 4 === 0 && i * 4 + n <= end && (h[i + n / 4 - 1]! & ~1) === n;
      };
      while (q < limit && !isRegion(q)) q++;
      if (q >= limit) break;
      out.gaps += q * 4 - r;
      r = q * 4;
      continue;
    }
    const isFree = (h[(r + size - 4) >>> 2]! & 1) === 1;
    out.regions++;
    if (isFree) {
      out.free += size;
      freeAboveTop += size;
      if (size > out.largestFree) out.largestFree = size;
    } else {
      if (tracked.has(r + 4)) out.tracked += size;
      else {
        out.other += size;
        if (size >= 4 * MB) out.otherLarge.push(size);
      }
      out.top = r + size;
      freeAboveTop = 0;
    }
    r += size;
  }
  // Free regions above the highest used one are the heap's unused top, not fragmentation.
  out.free -= freeAboveTop;
  return { ...out, walkedTo: r, end };
}

/** [batch, seq] int32 ids in [5, vocab - 5) from a linear congruential generator seeded by `seed`. */
export function randomIds(batch: number, seq: number, vocab: number, seed: number): tf.Tensor2D {
  let s = seed;
  const data = Int32Array.from({ length: batch * seq }, () => ((s = (s * 1103515245 + 12345) % 2147483648) % (vocab - 10)) + 5);
  return tf.tensor2d(data, [batch, seq], 'int32');
}

/**
 * The memory columns of a training step that just ended: wasm heap, live tensors and the peak
 * malloc'd during the step (then reset to what is live). Node and browser alike.
 */
export function memoryRow(wasm: WasmModule, malloc: ReturnType<typeof trackMalloc>, step: number, extra: Record<string, number> = {}): Record<string, number> {
  const mem = tf.memory();
  const heap = wasm.HEAPU8.buffer.byteLength;
  const row = { step, heapMB: heap / MB, liveMB: mem.numBytes / MB, tensors: mem.numTensors, peakMallocMB: malloc.peak / MB, ...extra, heapPerLive: heap / mem.numBytes, heapPerPeak: heap / malloc.peak };
  malloc.peak = malloc.live;
  return row;
}

/**
 * The row of a training step that just ended: `memoryRow`, wall time and the CPU time since
 * `cpuStart` (fairer than wall time on a loaded machine). Returns the row and the CPU clock for the
 * next step.
 */
export function stepRow(
  wasm: WasmModule,
  malloc: ReturnType<typeof trackMalloc>,
  cpuStart: NodeJS.CpuUsage,
  step: number,
  info: { seconds: number; loss: number },
  extra: Record<string, number> = {},
): { row: Record<string, number>; cpuStart: NodeJS.CpuUsage } {
  const cpu = process.cpuUsage(cpuStart);
  const row = { ...memoryRow(wasm, malloc, step, extra), stepMs: info.seconds * 1000, cpuMs: (cpu.user + cpu.system) / 1000, loss: info.loss };
  return { row, cpuStart: process.cpuUsage() };
}

/** Runs `train`; a step that exceeds the wasm memory ends the run, and the error is returned (with a line that says where). */
export async function trainUntilAborted(train: () => Promise<unknown>, wasm: WasmModule, malloc: ReturnType<typeof trackMalloc>, stepsDone: () => number): Promise<unknown> {
  try {
    await train();
    return undefined;
  } catch (e) {
    console.log(`aborted after ${stepsDone()} steps: ${String(e).slice(0, 300)}; heap ${(wasm.HEAPU8.buffer.byteLength / MB).toFixed(0)} MB, malloc failures ${malloc.failed}`);
    return e;
  }
}

/**
 * Activates tfjs-backend-wasm with `threads` (its binaries from `wasmPaths` in a page) and wraps its
 * malloc: the module, its heap size and the counter.
 */
export async function wasmWithMallocCounter(threads: number, wasmPaths?: string) {
  const registry = createRegistry();
  registerAllBackends(registry);
  const activation = await useBackend(registry, 'wasm', wasmPaths === undefined ? { threads } : { threads, wasmPaths });
  const wasm = (tf.backend() as unknown as { wasm: WasmModule }).wasm;
  return { activation, wasm, heap: () => wasm.HEAPU8.buffer.byteLength, malloc: trackMalloc(wasm) };
}
