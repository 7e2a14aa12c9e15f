/**
 * Benchmark (not a test): BERT-base (random init, bert-base-uncased config) full fine-tuning for
 * sequence classification on wasm, 1 thread, through the Trainer — per step the wasm heap size
 * (the backend's memory buffer, which never shrinks), the bytes in live tensors (tf.memory()), the
 * peak bytes malloc'd for tensors during the step, and the step time.
 *
 *   BENCH_BATCH=8 BENCH_STEPS=10 BENCH_OPTIMIZER=fused \
 *     nice -n 10 npx vitest run --config evidence/vitest.config.ts bench/bert-base-memory.run.ts
 *
 * BENCH_OPTIMIZER: `fused` (default: the in-place AdamW) or `unfused` (AdamW as tensor ops).
 * BENCH_SEQ (128), BENCH_THREADS (1). Writes bench/results-bert-base-<optimizer>-b<batch>[-r<BENCH_ROUND>].json;
 * bert-base-memory.sh runs rounds of it interleaved with PyTorch (bert_base_torch.py). A step
 * that exceeds the wasm memory aborts the run; the steps before it are still written.
 */
import fs from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { it } from 'vitest';
import { bertBaseRun } from './bert-base-setup.js';
import { MB, stepRow, trainUntilAborted, wasmWithMallocCounter } from './wasm-memory.js';

const BATCH = Number(process.env['BENCH_BATCH'] ?? 1);
const SEQ = Number(process.env['BENCH_SEQ'] ?? 128);
const STEPS = Number(process.env['BENCH_STEPS'] ?? 3);
const THREADS = Number(process.env['BENCH_THREADS'] ?? 1);
const OPTIMIZER = process.env['BENCH_OPTIMIZER'] ?? 'fused';

it(`BERT-base fine-tuning memory on wasm (${OPTIMIZER}, batch ${BATCH}, seq ${SEQ})`, async () => {
  const { activation, wasm, heap, malloc } = await wasmWithMallocCounter(THREADS);
  let cpuStart = process.cpuUsage();
  const unfused = OPTIMIZER === 'unfused';
  const rows: Record<string, number>[] = [];
  const log = (row: Record<string, number>) => {
    rows.push(row);
    console.log(Object.entries(row).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(1)}`).join(', '));
  };
  // The model, Trainer, AdamW and batches the Chromium page (bert-base-memory.browser.run.ts) runs too.
  const { trainer, paramBytes } = bertBaseRun({
    batch: BATCH,
    seq: SEQ,
    steps: STEPS,
    optimizer: OPTIMIZER,
    onStepEnd: (step, info) => {
      const next = stepRow(wasm, malloc, cpuStart, step, info);
      cpuStart = next.cpuStart;
      log(next.row);
    },
  });
  log({ step: 0, heapMB: heap() / MB, liveMB: tf.memory().numBytes / MB, tensors: tf.memory().numTensors, paramMB: paramBytes / MB });
  cpuStart = process.cpuUsage();
  const error = await trainUntilAborted(() => trainer.train(), wasm, malloc, () => rows.length - 1);
  const round = process.env['BENCH_ROUND'];
  const file = new URL(`./results-bert-base-${OPTIMIZER}-b${BATCH}${round ? `-r${round}` : ''}.json`, import.meta.url);
  // The fused AdamW keeps its two moments in Float32Arrays outside the wasm heap (and tf.memory()).
  const momentsOutsideHeapMB = unfused ? 0 : (2 * paramBytes) / MB;
  const meta = { optimizer: OPTIMIZER, batch: BATCH, seq: SEQ, backend: activation.backend, threads: activation.threads, paramMB: paramBytes / MB, momentsOutsideHeapMB, aborted: error ? String(error).slice(0, 300) : null };
  await fs.writeFile(file, `${JSON.stringify({ ...meta, steps: rows }, null, 2)}\n`);
}, Math.max(3_600_000, STEPS * 180_000)); // up to 3 min a step on a loaded machine
