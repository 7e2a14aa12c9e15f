/**
 * Benchmark (not a test): GPT-2 small (gpt2 config, random init, 124M parameters) LoRA fine-tuning
 * as a causal language model on wasm, 1 thread, through the Trainer with AdamW — per step the wasm
 * heap size (the backend's memory buffer, which never shrinks; the limit is 4 GB), the bytes in
 * live tensors (tf.memory()), the peak bytes malloc'd for tensors during the step, and the step's
 * wall and CPU time. LoRA as a user applies it: `LoraModel.apply(model, { r: 8, loraAlpha: 16,
 * targetModules: ['c_attn', 'c_proj'] })` (the attention's fused q/k/v projection and both
 * residual projections); the base model, the tied token embedding / LM head included, is frozen.
 *
 *   BENCH_BATCH=8 BENCH_STEPS=5 nice -n 5 npx vitest run --config evidence/vitest.config.ts bench/gpt2-lora-memory.run.ts
 *
 * BENCH_SEQ (128), BENCH_THREADS (1), BENCH_ROUND (suffix of the results file). Writes
 * bench/results-gpt2-lora-b<batch>[-r<round>].json; gpt2-lora-memory.sh runs rounds of it
 * interleaved with PyTorch (gpt2_lora_torch.py). A step that exceeds the wasm memory aborts the
 * run; the steps before it are still written.
 */
import fs from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { GPT2LMHeadModel } from '@tfkit/models-gpt';
import { it } from 'vitest';
import { heapLayout, MB, randomIds as ids, stepRow, trainUntilAborted, wasmWithMallocCounter } from './wasm-memory.js';
import { AdamW, Dataset, LoraModel, Trainer, groupParameters, type Batch } from '../src/index.js';

const BATCH = Number(process.env['BENCH_BATCH'] ?? 8);
const SEQ = Number(process.env['BENCH_SEQ'] ?? 128);
const STEPS = Number(process.env['BENCH_STEPS'] ?? 5);
const THREADS = Number(process.env['BENCH_THREADS'] ?? 1);
/** GPT-2 small: the gpt2 checkpoint's config.json in tfkit's names. */
export const GPT2_SMALL = { vocabSize: 50257, nPositions: 1024, nEmbd: 768, nLayer: 12, nHead: 12 };

it(`GPT-2 small LoRA fine-tuning memory on wasm (batch ${BATCH}, seq ${SEQ})`, async () => {
  const { activation, wasm, heap, malloc } = await wasmWithMallocCounter(THREADS);
  const model = new GPT2LMHeadModel(GPT2_SMALL, { seed: 0 });
  const lora = LoraModel.apply(model, { r: 8, loraAlpha: 16, targetModules: ['c_attn', 'c_proj'] });
  const params = model.parameters();
  const paramBytes = params.reduce((n, p) => n + p.value.size * 4, 0);
  const trainableBytes = params.filter((p) => p.trainable).reduce((n, p) => n + p.value.size * 4, 0);
  const rows: Record<string, number>[] = [];
  const log = (row: Record<string, number>) => {
    rows.push(row);
    console.log(Object.entries(row).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(1)}`).join(', '));
  };
  // The malloc'd bytes when the forward pass returns (its saved activations and outputs) and the peak
  // until then: what the backward pass and the optimizer add shows as the step's peak minus these.
  const phase = { forwardEndMB: 0, forwardPeakMB: 0 };
  // BENCH_HEAP_WALK=1: where the heap's bytes are (tensor buffers, other regions — XNNPACK's packed
  // weights —, free regions between used ones) at the end of each forward pass and step and each
  // time the heap grows, with the tfkit frames that grew it.
  const walk = process.env['BENCH_HEAP_WALK'] === '1';
  const layout = (label: string) => {
    if (!walk) return;
    const l = heapLayout(wasm, malloc.sizes, malloc.start);
    console.log(`heap ${label}: heap ${(heap() / MB).toFixed(0)} MB, top ${(l.top / MB).toFixed(0)}, tensors ${(l.tracked / MB).toFixed(0)}, other ${(l.other / MB).toFixed(0)} (${l.otherLarge.length} regions ≥ 4 MB: ${(l.otherLarge.reduce((a, b) => a + b, 0) / MB).toFixed(0)} MB), free below top ${(l.free / MB).toFixed(0)} (largest ${(l.largestFree / MB).toFixed(0)}), gaps ${l.gaps}`);
  };
  if (walk) {
    malloc.onGrow = (bytes, before) => {
      const frames = (new Error().stack ?? '').split('\n').filter((f) => f.includes('/packages/') && !f.includes('wasm-memory')).slice(0, 6).map((f) => f.trim().replace(/\(.*\/packages\//, '(').replace(/^at /, ''));
      layout(`grew ${(before / MB).toFixed(0)} → ${(heap() / MB).toFixed(0)} MB on a ${(bytes / MB).toFixed(1)} MB malloc (live ${(malloc.live / MB).toFixed(0)} MB) at ${frames.join(' < ')}`);
    };
  }
  const forward = model.forward.bind(model);
  model.forward = ((inputs: Parameters<typeof forward>[0]) => {
    const out = forward(inputs);
    phase.forwardEndMB = malloc.live / MB;
    phase.forwardPeakMB = malloc.peak / MB;
    layout('forward end');
    return out;
  }) as typeof model.forward;
  log({ step: 0, heapMB: heap() / MB, liveMB: tf.memory().numBytes / MB, tensors: tf.memory().numTensors, paramMB: paramBytes / MB, trainableMB: trainableBytes / MB, peakMallocMB: malloc.peak / MB });
  malloc.peak = malloc.live;
  let seed = 1;
  let cpuStart = process.cpuUsage();
  const trainer = new Trainer({
    model: lora,
    trainDataset: Dataset.fromArray(Array.from({ length: STEPS * BATCH }, (_, i) => ({ i }))),
    collator: (): Batch => {
      const inputIds = ids(BATCH, SEQ, GPT2_SMALL.vocabSize, seed++);
      return { inputIds, attentionMask: tf.ones([BATCH, SEQ], 'int32'), labels: tf.clone(inputIds) };
    },
    batchSize: BATCH,
    maxSteps: STEPS,
    // AdamW (fused, in place) over the trainable parameters: the LoRA A and B matrices.
    optimizer: (m) => new AdamW(groupParameters(m, { lr: 2e-4, weightDecay: 0.01 }), { lr: 2e-4 }),
    callbacks: [
      {
        onStepEnd: (s, info) => {
          const next = stepRow(wasm, malloc, cpuStart, s.globalStep, info, { ...phase });
          cpuStart = next.cpuStart;
          log(next.row);
          layout(`step ${s.globalStep} end`);
        },
      },
    ],
  });
  const error = await trainUntilAborted(() => trainer.train(), wasm, malloc, () => rows.length - 1);
  if (error) console.log(`forward pass: ${JSON.stringify(phase)}, peak malloc'd ${(malloc.peak / MB).toFixed(0)} MB`);
  const round = process.env['BENCH_ROUND'];
  const file = new URL(`./results-gpt2-lora-b${BATCH}${round ? `-r${round}` : ''}.json`, import.meta.url);
  const meta = { batch: BATCH, seq: SEQ, backend: activation.backend, threads: activation.threads, paramMB: paramBytes / MB, trainableMB: trainableBytes / MB, trainable: lora.trainableParameters(), loadavg: (await import('node:os')).loadavg(), aborted: error ? String(error).slice(0, 300) : null };
  await fs.writeFile(file, `${JSON.stringify({ ...meta, steps: rows }, null, 2)}\n`);
}, 3_600_000);
