/**
 * The page side of bench/bert-base-memory.browser.run.ts (bundled by esbuild, served cross-origin
 * isolated): tfjs-backend-wasm with its malloc counted (wasm-memory.ts), then the BERT-base
 * fine-tuning run of bert-base-setup.ts — the one bert-base-memory.run.ts measures in Node. Every
 * step's row goes to the Node side through `tfkitReport` (a Playwright binding) as it ends.
 */
import * as tf from '@tensorflow/tfjs-core';
import { bertBaseRun } from '../bert-base-setup.js';
import { MB, memoryRow, wasmWithMallocCounter } from '../wasm-memory.js';

export interface RunOptions {
  batch: number;
  seq: number;
  steps: number;
  threads: number;
  optimizer: string;
}

/** What the page sends to the Node side. */
export type Report =
  | { type: 'start'; info: Record<string, unknown>; row: Record<string, number> }
  | { type: 'step'; row: Record<string, number> }
  | { type: 'done' }
  | { type: 'aborted'; error: string; heapMB?: number; mallocFailures?: number };

const report = (r: Report): Promise<void> => (globalThis as unknown as { tfkitReport(r: Report): Promise<void> }).tfkitReport(r);

async function run(o: RunOptions): Promise<void> {
  let counted: Awaited<ReturnType<typeof wasmWithMallocCounter>> | undefined;
  try {
    counted = await wasmWithMallocCounter(o.threads, '/tfjs/');
    const { activation, wasm, heap, malloc } = counted;
    const { trainer, paramBytes } = bertBaseRun({
      ...o,
      onStepEnd: (step, info) => {
        void report({ type: 'step', row: { ...memoryRow(wasm, malloc, step), stepMs: info.seconds * 1000, loss: info.loss } });
      },
    });
    const info = {
      crossOriginIsolated: globalThis.crossOriginIsolated === true,
      userAgent: navigator.userAgent,
      activation,
      simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
      sharedMemory: wasm.HEAPU8.buffer instanceof ArrayBuffer ? false : true,
    };
    await report({ type: 'start', info, row: { step: 0, heapMB: heap() / MB, liveMB: tf.memory().numBytes / MB, tensors: tf.memory().numTensors, paramMB: paramBytes / MB } });
    await trainer.train();
    await report({ type: 'done' });
  } catch (e) {
    await report({ type: 'aborted', error: String(e).slice(0, 300), heapMB: counted ? counted.heap() / MB : undefined, mallocFailures: counted?.malloc.failed });
  }
}

(globalThis as unknown as { tfkitMemoryBench: unknown }).tfkitMemoryBench = { run };
