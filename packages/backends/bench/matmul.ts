/**
 * `pnpm bench`: throughput of the products a transformer spends its time in, on every backend
 * Node offers (cpu, wasm with one thread, wasm with every core):
 *
 *  - a 2-D matMul, 128 rows · [768, 3072] weights (one BERT-base FFN projection), and
 *  - `linear` forward + backward on the same shapes (three such products: y, dX, dW),
 *  - attention's q·kᵀ over 12 heads of 64 as one batched matMul vs per-head 2-D matMuls (wasm),
 *    the measurement behind `SPLIT_MIN_MACS` in core-tensor's batched-matmul.ts.
 *
 * Each figure is the best of several timed runs (the fairest number on a shared machine).
 * Run: `pnpm bench` (or `npx tsx bench/matmul.ts`) in packages/backends.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { createRegistry, linear, loadGradients } from '@tfkit/core-tensor';
import { registerAllBackends, useBackend, type UseBackendOptions } from '../src/index.js';

const ROWS = 128;
const IN = 768;
const OUT = 3072;
const MATMUL_FLOP = 2 * ROWS * IN * OUT;

/** Best wall time in ms of `fn` (which must read its result back, so the work is done). */
function best(fn: () => void, { minRuns = 3, budgetMs = 1500 } = {}): number {
  fn(); // warm-up: kernel setup, XNNPACK weight packing
  let min = Infinity;
  const start = performance.now();
  for (let run = 0; run < minRuns || performance.now() - start < budgetMs; run++) {
    const t0 = performance.now();
    fn();
    min = Math.min(min, performance.now() - t0);
    if (run > 50) break;
  }
  return min;
}

function seeded(shape: number[], seed: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.sin(seed * 7919 + i * 0.7) * 0.5;
  return tf.tensor(data, shape);
}

function denseRows(): { matMul: number; linear: number } {
  const x = seeded([ROWS, IN], 1) as tf.Tensor2D;
  const w = seeded([IN, OUT], 2) as tf.Tensor2D;
  const b = seeded([OUT], 3);
  const dy = seeded([ROWS, OUT], 4);
  const matMulMs = best(() => tf.tidy(() => void tf.matMul(x, w).dataSync()));
  // Seeding the backward pass with dy runs linear's own gradient and nothing else.
  const step = tf.grads((xx, ww, bb) => linear(xx!, ww!, bb));
  const linearMs = best(() => tf.tidy(() => void step([x, w, b], dy).forEach((g) => g.dataSync())));
  tf.dispose([x, w, b, dy]);
  return { matMul: MATMUL_FLOP / matMulMs / 1e6, linear: (3 * MATMUL_FLOP) / linearMs / 1e6 };
}

/** q·kᵀ per head as 2-D XNNPACK matMuls: explicit transpose, unstack, multiply, stack. */
function perHead(q: tf.Tensor, k: tf.Tensor): tf.Tensor {
  const [b, h, t, d] = q.shape as [number, number, number, number];
  const tk = k.shape[2] as number;
  const qs = tf.unstack(tf.reshape(q, [b * h, t, d]));
  const ks = tf.unstack(tf.reshape(tf.transpose(k, [0, 1, 3, 2]), [b * h, d, tk]));
  return tf.reshape(tf.stack(qs.map((qi, i) => tf.matMul(qi as tf.Tensor2D, ks[i] as tf.Tensor2D))), [b, h, t, tk]);
}

function attentionRows(): string[] {
  const rows: string[] = [];
  for (const [tq, tk] of [[1, 128], [16, 16], [32, 32], [64, 64], [128, 128], [256, 256]] as const) {
    const q = seeded([1, 12, tq, 64], 5);
    const k = seeded([1, 12, tk, 64], 6);
    const flop = 2 * 12 * tq * tk * 64;
    const batched = best(() => tf.tidy(() => void tf.matMul(q as tf.Tensor4D, k as tf.Tensor4D, false, true).dataSync()), { budgetMs: 400 });
    const split = best(() => tf.tidy(() => void perHead(q, k).dataSync()), { budgetMs: 400 });
    const gf = (ms: number) => (flop / ms / 1e6).toFixed(2);
    rows.push(`| ${tq}×64·64×${tk} | ${tq * tk * 64} | ${batched.toFixed(3)} ms (${gf(batched)}) | ${split.toFixed(3)} ms (${gf(split)}) | ${split < batched ? 'per-head' : 'batched'} |`);
    tf.dispose([q, k]);
  }
  return rows;
}

const registry = createRegistry();
registerAllBackends(registry);
await loadGradients(); // the linear rows time forward + backward
const cores = os.availableParallelism();
const configs: { label: string; backend: string; options: UseBackendOptions }[] = [
  { label: 'cpu', backend: 'cpu', options: {} },
  { label: 'wasm, 1 thread', backend: 'wasm', options: { threads: 1 } },
  { label: 'wasm, all threads', backend: 'wasm', options: { threads: 'all' } },
];

console.log(`Node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${cores} logical cores, load average ${os.loadavg()[0]!.toFixed(1)}\n`);
console.log(`| backend | threads | matMul ${ROWS}×${IN}·${IN}×${OUT} GFLOP/s | linear fwd+bwd GFLOP/s |`);
console.log('| --- | --- | --- | --- |');
const attention: [string, string[]][] = [];
for (const { label, backend, options } of configs) {
  const activation = await useBackend(registry, backend, options);
  const r = denseRows();
  console.log(`| ${label} | ${activation.threads} | ${r.matMul.toFixed(1)} | ${r.linear.toFixed(1)} |`);
  if (backend === 'wasm') attention.push([`${label} (${activation.threads})`, attentionRows()]);
}
for (const [label, rows] of attention) {
  console.log(`\nAttention q·kᵀ, 12 heads of 64, ${label}: batched matMul vs per-head 2-D matMuls (GFLOP/s)\n`);
  console.log('| per head | MACs per head | batched | per-head | faster |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const row of rows) console.log(row);
}
