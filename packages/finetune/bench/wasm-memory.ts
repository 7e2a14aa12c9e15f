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
  wasm._free(wasm._malloc(4)); // resolve emscripten's lazy export before wrapping it
  const malloc = wasm._malloc.bind(wasm);
  const free = wasm._free.bind(wasm);
  const sizes = new Map<number, number>();
  const s = { live: 0, peak: 0, failed: 0 };
  wasm._malloc = (n: number) => {
    const p = malloc(n);
    if (p === 0) s.failed++;
    sizes.set(p >>> 0, n);
    s.live += n;
    if (s.live > s.peak) s.peak = s.live;
    return p;
  };
  wasm._free = (p: number) => {
    s.live -= sizes.get(p >>> 0) ?? 0;
    sizes.delete(p >>> 0);
    free(p);
  };
  return s;
}

/** [batch, seq] int32 ids in [5, vocab - 5) from a linear congruential generator seeded by `seed`. */
export function randomIds(batch: number, seq: number, vocab: number, seed: number): tf.Tensor2D {
  let s = seed;
  const data = Int32Array.from({ length: batch * seq }, () => ((s = (s * 1103515245 + 12345) % 2147483648) % (vocab - 10)) + 5);
  return tf.tensor2d(data, [batch, seq], 'int32');
}

/**
 * The row of a training step that just ended: wasm heap, live tensors, the peak malloc'd during the
 * step (then reset), wall time and the CPU time since `cpuStart` (fairer than wall time on a loaded
 * machine). Returns the row and the CPU clock for the next step.
 */
export function stepRow(
  wasm: WasmModule,
  malloc: ReturnType<typeof trackMalloc>,
  cpuStart: NodeJS.CpuUsage,
  step: number,
  info: { seconds: number; loss: number },
  extra: Record<string, number> = {},
): { row: Record<string, number>; cpuStart: NodeJS.CpuUsage } {
  const mem = tf.memory();
  const heap = wasm.HEAPU8.buffer.byteLength;
  const cpu = process.cpuUsage(cpuStart);
  const row = { step, heapMB: heap / MB, liveMB: mem.numBytes / MB, tensors: mem.numTensors, peakMallocMB: malloc.peak / MB, ...extra, heapPerLive: heap / mem.numBytes, heapPerPeak: heap / malloc.peak, stepMs: info.seconds * 1000, cpuMs: (cpu.user + cpu.system) / 1000, loss: info.loss };
  malloc.peak = malloc.live;
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

/** Activates tfjs-backend-wasm with `threads` and wraps its malloc: the module, its heap size and the counter. */
export async function wasmWithMallocCounter(threads: number) {
  const registry = createRegistry();
  registerAllBackends(registry);
  const activation = await useBackend(registry, 'wasm', { threads });
  const wasm = (tf.backend() as unknown as { wasm: WasmModule }).wasm;
  return { activation, wasm, heap: () => wasm.HEAPU8.buffer.byteLength, malloc: trackMalloc(wasm) };
}
