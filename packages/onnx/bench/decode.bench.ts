/**
 * GPT-2 small decoding step against 128 cached positions (batch 1, one thread): tfkit on
 * tfjs-backend-wasm against onnxruntime-node on the same weights (issue #17's decode target).
 *
 * GPT-2 small's config (12 × 768, vocab 50257) with seeded random weights, exported with
 * `exportOnnx(…, { withPast: true })` (input_ids, attention_mask, position_ids and
 * past_key_values.N.key/value in; logits and present.N.* out). Each round runs, interleaved and
 * in rotating order, REPS steps of:
 * - tfkit via `model.forward({ inputIds, pastKeyValues, useCache })` with a fixed 128-position
 *   past (the step's logits read back, its presents disposed);
 * - tfkit via the decoding session `generate` uses (its cache grows one position per step,
 *   from 128, so its last steps see up to 128 + ROUNDS·REPS positions): on wasm its keys/values
 *   sit in a preallocated `KvCache` written in place;
 * - the same session made with the in-place kernel unregistered ("concat"): each step
 *   concatenates the past and the new position into new tensors, as before the in-place cache;
 * - onnxruntime-node, one intra-op and one inter-op thread, fed the same 128-position past.
 * Per system per round: wall-clock and CPU time (this process, user + system) per step; the ratio
 * tfkit ÷ ONNX Runtime within the round; median (min–max) of those over the rounds. The step's
 * logits of tfkit (both paths) and of ONNX Runtime are compared once (max |diff| ≤ 1e-4 or the
 * bench fails). Kernels per step: `tf.profile`'s kernels (custom-gradient scopes left out) and the
 * exported graph's node count (ONNX Runtime fuses some at load).
 *
 * DECODE_ORT_PROFILE=1 first prints tfkit's kernel times per session step (`tf.profile`, wall
 * time per kernel, summed by kernel and input shapes over 5 steps).
 *
 *   pnpm --filter @tfkit/onnx bench decode     (DECODE_ORT_ROUNDS, DECODE_ORT_REPS, DECODE_ORT_PAST; TFKIT_BENCH_BACKEND=cpu)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createRegistry, FUSED_CACHED_ATTENTION_IN_PLACE } from '@tfkit/core-tensor';
import { GPT2LMHeadModel, registerGpt2, type PastKeyValues } from '@tfkit/models-gpt';
import { expect, it } from 'vitest';
import { exportOnnx } from '../src/index.js';
import { decodeModel } from '../src/serialize.js';

const ROUNDS = Number(process.env['DECODE_ORT_ROUNDS'] ?? 7);
const REPS = Number(process.env['DECODE_ORT_REPS'] ?? 3);
const PAST = Number(process.env['DECODE_ORT_PAST'] ?? 128);
const CONFIG = { vocabSize: 50257, nPositions: 1024, nEmbd: 768, nLayer: 12, nHead: 12 };

function summary(xs: number[], digits = 2): string {
  const s = [...xs].sort((a, b) => a - b);
  return `${(s[Math.floor(s.length / 2)] as number).toFixed(digits)} (${(s[0] as number).toFixed(digits)}–${(s[s.length - 1] as number).toFixed(digits)})`;
}

interface Sample {
  wallMs: number;
  cpuMs: number;
}

async function perStep(f: () => Promise<void>): Promise<Sample> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < REPS; i++) await f();
  const wallMs = (performance.now() - t0) / REPS;
  const c = process.cpuUsage(c0);
  return { wallMs, cpuMs: (c.user + c.system) / 1000 / REPS };
}

/** Kernels `f` runs on the active backend, custom-gradient scopes left out. */
async function kernelCount(f: () => tf.TensorContainer): Promise<number> {
  const profile = await tf.profile(() => f());
  return profile.kernels.filter((k) => tf.getKernel(k.name, tf.getBackend()) !== undefined).length;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`logits of ${a.length} and ${b.length} values`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

type System = 'forward' | 'session' | 'concat' | 'ort';

it(`GPT-2 small decode step @${PAST} past: tfkit vs onnxruntime-node, ${ROUNDS} interleaved rounds`, async () => {
  const backend = process.env['TFKIT_BENCH_BACKEND'] ?? 'wasm';
  await tf.setBackend(backend);
  await tf.ready();
  const registry = registerGpt2(createRegistry());
  const model = new GPT2LMHeadModel(CONFIG, { seed: 0 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-onnx-decode-'));
  const ort = await import('onnxruntime-node');
  const numTensors = tf.memory().numTensors;
  let past: PastKeyValues | undefined;
  let session: ReturnType<GPT2LMHeadModel['startDecoding']> | undefined;
  let concat: ReturnType<GPT2LMHeadModel['startDecoding']> | undefined;
  try {
    const t0 = performance.now();
    await exportOnnx(model, dir, { registry, withPast: true });
    const exportMs = performance.now() - t0;
    const bytes = fs.readFileSync(path.join(dir, 'onnx/model.onnx'));
    const graphNodes = decodeModel(bytes).graph?.node?.length ?? 0;
    const ortSession = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' });

    // The PAST-token prompt once; its keys/values are the past of every step.
    const prompt = Array.from({ length: PAST }, (_, i) => (i * 37 + 11) % CONFIG.vocabSize);
    const first = model.forward({ inputIds: [prompt], useCache: true });
    first.logits.dispose();
    past = first.pastKeyValues as PastKeyValues;
    const NEXT = 5;
    const step = () => model.forward({ inputIds: [[NEXT]], pastKeyValues: past, useCache: true });

    const int64 = (values: number[]) => new ort.Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), [1, values.length]);
    const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {
      input_ids: int64([NEXT]), attention_mask: int64(Array.from({ length: PAST + 1 }, () => 1)), position_ids: int64([PAST]),
    };
    for (const [i, kv] of past.entries()) {
      for (const name of ['key', 'value'] as const) {
        feeds[`past_key_values.${i}.${name}`] = new ort.Tensor('float32', kv[name].dataSync() as Float32Array, kv[name].shape);
      }
    }

    // Warm-up and agreement: the same step in all three.
    const viaForward = step();
    const forwardLogits = (await viaForward.logits.data()) as Float32Array;
    tf.dispose([viaForward.logits, ...(viaForward.pastKeyValues ?? []).flatMap((kv) => [kv.key, kv.value])]);
    const startSession = () => {
      const s = model.startDecoding({ inputIds: [prompt], attentionMask: [prompt.map(() => 1)] }, { useCache: true });
      s.nextTokenLogits().dispose();
      s.append([NEXT]);
      return s;
    };
    session = startSession();
    // The concatenating session: made while the in-place kernel is unregistered.
    const inPlaceKernel = tf.getKernel(FUSED_CACHED_ATTENTION_IN_PLACE, backend);
    if (inPlaceKernel) tf.unregisterKernel(FUSED_CACHED_ATTENTION_IN_PLACE, backend);
    try {
      concat = startSession();
    } finally {
      if (inPlaceKernel) tf.registerKernel(inPlaceKernel);
    }
    const modes = { session: (session as unknown as { cacheMode: string }).cacheMode, concat: (concat as unknown as { cacheMode: string }).cacheMode };
    const sessionStep = session.nextTokenLogits();
    const sessionLogits = (await sessionStep.data()) as Float32Array;
    sessionStep.dispose();
    session.append([NEXT]);
    const concatStep = concat.nextTokenLogits();
    const concatLogits = (await concatStep.data()) as Float32Array;
    concatStep.dispose();
    concat.append([NEXT]);
    const ortLogits = (await ortSession.run(feeds))['logits']?.data as Float32Array;
    const diffs = { forwardVsOrt: maxAbsDiff(forwardLogits, ortLogits), sessionVsOrt: maxAbsDiff(sessionLogits, ortLogits), sessionVsConcat: maxAbsDiff(sessionLogits, concatLogits) };
    expect(diffs.forwardVsOrt).toBeLessThan(1e-4);
    expect(diffs.sessionVsOrt).toBeLessThan(1e-4);
    expect(diffs.sessionVsConcat).toBe(0);

    const kernels = {
      forward: await kernelCount(() => {
        const out = step();
        return [out.logits, ...(out.pastKeyValues ?? []).flatMap((kv) => [kv.key, kv.value])];
      }),
      session: await kernelCount(() => session!.nextTokenLogits()),
      concat: await kernelCount(() => concat!.nextTokenLogits()),
    };
    session.append([NEXT]);
    concat.append([NEXT]);
    if (process.env['DECODE_ORT_PROFILE'] === '1') {
      // Per-kernel wall time of a few session steps (tf.profile), summed by kernel name and input shapes.
      const byKernel = new Map<string, { calls: number; ms: number }>();
      for (let i = 0; i < 5; i++) {
        const profile = await tf.profile(() => session!.nextTokenLogits());
        session.append([NEXT]);
        for (const k of profile.kernels) {
          if (tf.getKernel(k.name, tf.getBackend()) === undefined) continue;
          const key = `${k.name} ${k.inputShapes.map((s) => `[${s}]`).join(' ')}`;
          const e = byKernel.get(key) ?? { calls: 0, ms: 0 };
          e.calls++;
          e.ms += await k.kernelTimeMs as number;
          byKernel.set(key, e);
        }
      }
      const rows = [...byKernel].sort((a, b) => b[1].ms - a[1].ms).map(([k, e]) => `${(e.ms / 5).toFixed(3).padStart(8)} ms ${String(e.calls / 5).padStart(4)}× ${k}`);
      console.log(`per step (5 session steps):\n${rows.join('\n')}`);
    }

    const run: Record<System, () => Promise<void>> = {
      forward: async () => {
        const out = step();
        await out.logits.data();
        tf.dispose([out.logits, ...(out.pastKeyValues ?? []).flatMap((kv) => [kv.key, kv.value])]);
      },
      session: async () => {
        const logits = session!.nextTokenLogits();
        await logits.data();
        logits.dispose();
        session!.append([NEXT]);
      },
      concat: async () => {
        const logits = concat!.nextTokenLogits();
        await logits.data();
        logits.dispose();
        concat!.append([NEXT]);
      },
      ort: async () => {
        const out = await ortSession.run(feeds);
        void (out['logits']?.data as Float32Array)[0];
      },
    };
    const samples: Record<System, Sample[]> = { forward: [], session: [], concat: [], ort: [] };
    const order: System[] = ['forward', 'session', 'concat', 'ort'];
    const loads: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      loads.push(os.loadavg()[0] as number);
      // Rotated: each system goes first in some rounds.
      for (let k = 0; k < order.length; k++) {
        const system = order[(round + k) % order.length] as System;
        samples[system].push(await perStep(run[system]));
      }
    }
    await ortSession.release();

    const ratio = (a: System, key: keyof Sample) => samples[a].map((s, i) => s[key] / (samples.ort[i] as Sample)[key]);
    const row = (label: string, system: System) =>
      `| ${label} | ${kernels[system as 'forward'] ?? graphNodes} | ${summary(samples[system].map((s) => s.wallMs), 1)} | ${summary(samples[system].map((s) => s.cpuMs), 1)} | ` +
      (system === 'ort' ? '1 | 1 |' : `${summary(ratio(system, 'wallMs'))} | ${summary(ratio(system, 'cpuMs'))} |`);
    // The in-place session against the concatenating one, round by round.
    const inPlaceVsConcat = samples.session.map((s, i) => s.cpuMs / (samples.concat[i] as Sample).cpuMs);
    const lines = [
      `GPT-2 small (random weights, seed 0), batch 1, one step against ${PAST} cached positions; ${ROUNDS} rounds × ${REPS} steps, median (min–max); load average ${summary(loads, 1)}`,
      `export ${(exportMs / 1000).toFixed(1)} s, ${(bytes.byteLength / 2 ** 20).toFixed(0)} MiB; logits max |tfkit − ORT|: forward ${diffs.forwardVsOrt.toExponential(2)}, session ${diffs.sessionVsOrt.toExponential(2)}`,
      '| system | kernels (ORT: graph nodes) | wall ms per step | CPU ms per step | ÷ ORT, wall (same round) | ÷ ORT, CPU |',
      '| --- | --- | --- | --- | --- | --- |',
      row(`tfkit (${backend}) \`model.forward\``, 'forward'),
      row(`tfkit (${backend}) decoding session (${modes.session} cache)`, 'session'),
      row(`tfkit (${backend}) decoding session (${modes.concat} cache)`, 'concat'),
      row('onnxruntime-node, 1 thread', 'ort'),
    ];
    lines.push(`session ${modes.session} ÷ ${modes.concat}, CPU time (same round): ${summary(inPlaceVsConcat)}`);
    console.log(lines.join('\n'));
    fs.mkdirSync(path.resolve(import.meta.dirname, 'results'), { recursive: true });
    fs.writeFileSync(
      path.resolve(import.meta.dirname, 'results', `decode-gpt2-${backend}${PAST === 128 ? '' : `-past${PAST}`}.json`),
      `${JSON.stringify({ backend, rounds: ROUNDS, reps: REPS, past: PAST, exportMs, diffs, kernels, modes, graphNodes, loads, samples, inPlaceVsConcat }, null, 2)}\n`,
    );
  } finally {
    session?.dispose();
    concat?.dispose();
    past?.forEach(({ key, value }) => tf.dispose([key, value]));
    model.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  expect(tf.memory().numTensors).toBeLessThanOrEqual(numTensors);
}, 1_800_000);
