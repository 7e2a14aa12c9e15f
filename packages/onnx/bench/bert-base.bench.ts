/**
 * BERT-base (bert-base-uncased's config, random weights) exported with `exportOnnx` and run in
 * onnxruntime-node, against tfkit's own forward pass on tfjs-backend-wasm: one forward of batch 1,
 * 128 tokens.
 *
 * Each round runs, interleaved, REPS forwards of tfkit (wasm), of onnxruntime-node on one intra-op
 * thread, and of onnxruntime-node with its default threads; the ratios tfkit / ONNX Runtime are taken
 * within the round (same machine load), and the table gives their median (min–max) over ROUNDS
 * rounds with the per-forward times. The outputs of the two are compared once (max |diff|).
 *
 *   pnpm --filter @tfkit/onnx bench     (ONNX_BENCH_ROUNDS, ONNX_BENCH_REPS; TFKIT_BENCH_BACKEND=cpu)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createRegistry } from '@tfkit/core-tensor';
import { BertModel, registerBert } from '@tfkit/models-bert';
import { it } from 'vitest';
import { exportOnnx } from '../src/index.js';

const ROUNDS = Number(process.env['ONNX_BENCH_ROUNDS'] ?? 5);
const REPS = Number(process.env['ONNX_BENCH_REPS'] ?? 3);
const SEQ = 128;

function summary(xs: number[], digits = 2): string {
  const s = [...xs].sort((a, b) => a - b);
  return `${(s[Math.floor(s.length / 2)] as number).toFixed(digits)} (${(s[0] as number).toFixed(digits)}–${(s[s.length - 1] as number).toFixed(digits)})`;
}

async function perForwardMs(f: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < REPS; i++) await f();
  return (performance.now() - t0) / REPS;
}

it(`BERT-base b1 s${SEQ}: onnxruntime-node vs tfkit, ${ROUNDS} interleaved rounds`, async () => {
  const backend = process.env['TFKIT_BENCH_BACKEND'] ?? 'wasm';
  await tf.setBackend(backend);
  await tf.ready();
  const registry = registerBert(createRegistry());
  const model = new BertModel({}, { seed: 1 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-onnx-bench-'));
  const ort = await import('onnxruntime-node');
  try {
    const t0 = performance.now();
    await exportOnnx(model, dir, { registry });
    const exportMs = performance.now() - t0;
    const file = path.join(dir, 'onnx/model.onnx');
    const bytes = fs.readFileSync(file);
    const sessions = {
      one: await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 }),
      all: await ort.InferenceSession.create(bytes),
    };

    const ids = [Array.from({ length: SEQ }, (_, i) => (i * 7919 + 101) % 30522)];
    const mask = [ids[0]!.map(() => 1)];
    const types = [ids[0]!.map(() => 0)];
    const int64 = (rows: number[][]) => new ort.Tensor('int64', BigInt64Array.from(rows.flat(), (v) => BigInt(v)), [rows.length, SEQ]);
    const feeds = { input_ids: int64(ids), attention_mask: int64(mask), token_type_ids: int64(types) };
    const tfkitForward = async () => {
      const out = model.forward({ inputIds: ids, attentionMask: mask, tokenTypeIds: types });
      await out.lastHiddenState.data();
      tf.dispose(out as unknown as tf.TensorContainer);
    };

    // Warm-up (kernels, XNNPACK operators, ORT's first run) and one comparison of the outputs.
    const reference = model.forward({ inputIds: ids, attentionMask: mask, tokenTypeIds: types });
    const expected = await reference.lastHiddenState.data();
    tf.dispose(reference as unknown as tf.TensorContainer);
    const diffs: string[] = [];
    for (const [name, session] of Object.entries(sessions)) {
      const out = (await session.run(feeds))['last_hidden_state']?.data as Float32Array;
      let max = 0;
      out.forEach((v, i) => { max = Math.max(max, Math.abs(v - (expected[i] as number))); });
      diffs.push(`${name}: ${max.toExponential(2)}`);
    }

    const times = { tfkit: [] as number[], one: [] as number[], all: [] as number[] };
    const ratios = { one: [] as number[], all: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      const tfkitMs = await perForwardMs(tfkitForward);
      const oneMs = await perForwardMs(async () => void (await sessions.one.run(feeds)));
      const allMs = await perForwardMs(async () => void (await sessions.all.run(feeds)));
      times.tfkit.push(tfkitMs);
      times.one.push(oneMs);
      times.all.push(allMs);
      ratios.one.push(tfkitMs / oneMs);
      ratios.all.push(tfkitMs / allMs);
    }
    await sessions.one.release();
    await sessions.all.release();

    const lines = [
      `BERT-base (random weights), batch 1 × ${SEQ} tokens; ${ROUNDS} rounds × ${REPS} forwards, median (min–max); ${os.cpus().length} cores`,
      `export: ${(exportMs / 1000).toFixed(1)} s, onnx/model.onnx ${(bytes.byteLength / 2 ** 20).toFixed(0)} MiB; last_hidden_state max |tfkit − ORT| ${diffs.join(', ')}`,
      '| runtime | ms per forward | speed-up over tfkit (same round) |',
      '| --- | --- | --- |',
      `| tfkit (${backend}) | ${summary(times.tfkit, 1)} | 1 |`,
      `| onnxruntime-node, 1 thread | ${summary(times.one, 1)} | ${summary(ratios.one)}× |`,
      `| onnxruntime-node, default threads | ${summary(times.all, 1)} | ${summary(ratios.all)}× |`,
    ];
    console.log(lines.join('\n'));
    fs.mkdirSync(path.resolve(import.meta.dirname, 'results'), { recursive: true });
    fs.writeFileSync(path.resolve(import.meta.dirname, 'results', `bert-base-${backend}.json`), `${JSON.stringify({ backend, rounds: ROUNDS, reps: REPS, seq: SEQ, exportMs, diffs, times, ratios }, null, 2)}\n`);
  } finally {
    model.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
