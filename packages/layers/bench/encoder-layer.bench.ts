/**
 * A BERT-base-shaped encoder layer (seq 128, hidden 768, 12 heads, FFN 3072) on tfjs-backend-wasm:
 * forward and forward+backward, reported against the plain 2-D matMul GFLOP/s measured in the same
 * run (the backend's practical ceiling).
 *
 *   pnpm --filter @tfkit/layers bench     (TFKIT_BENCH_RUNS=n sets the rounds; default 5)
 *
 * Targets: forward ≥ 80% of the matMul ceiling; forward+backward ≤ 3.5× the forward time.
 * The three measurements are interleaved round by round and each reported as a median, so load
 * from other processes affects them alike.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { Random } from '@tfkit/core-tensor';
import { TransformerEncoderLayer } from '../src/index.js';

const T = 128;
const D = 768;
const H = 12;
const F = 3072;
const RUNS = Number(process.env['TFKIT_BENCH_RUNS'] ?? 5);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

function timed(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

it('BERT-base encoder layer on wasm', async () => {
  await tf.setBackend('wasm');
  await tf.ready();

  // Ceiling: the layer's own dominant products as plain 2-D matMuls ([T, D]·[D, F] and [T, D]·[D, D]).
  const a = tf.randomNormal([T, D]);
  const b1 = tf.randomNormal([D, F]);
  const b2 = tf.randomNormal([D, D]);
  const matMul = () => tf.tidy(() => {
    tf.matMul(a, b1).dataSync();
    tf.matMul(a, b2).dataSync();
  });
  const matMulFlops = 2 * T * D * F + 2 * T * D * D;

  const layer = new TransformerEncoderLayer({ dModel: D, numHeads: H, ffnDim: F, dropout: 0, activation: 'gelu', initStd: 0.02, rng: new Random(0) });
  const x = tf.randomNormal([1, T, D]);
  const mask = tf.ones([1, T], 'int32');
  const target = tf.randomNormal([1, T, D]);
  const vars = layer.trainableVariables();
  const forward = () => tf.tidy(() => {
    layer.forward(x, { attentionMask: mask }).output.dataSync();
  });
  const train = () => tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.forward(x, { attentionMask: mask }).output, target)) as tf.Scalar, vars);
    value.dataSync();
    for (const g of Object.values(grads)) g.dataSync();
  });
  // Dense products (Q, K, V, O, FFN in and out) + the two attention products.
  const forwardFlops = 2 * T * (4 * D * D + 2 * D * F) + 2 * 2 * T * T * D;

  // Warm-up (may build one-time caches), then interleaved rounds.
  matMul();
  forward();
  train();
  const before = tf.memory().numTensors;
  const times = { matMul: [] as number[], forward: [] as number[], train: [] as number[] };
  for (let r = 0; r < RUNS; r++) {
    times.matMul.push(timed(matMul));
    times.forward.push(timed(forward));
    times.train.push(timed(train));
  }
  const leaked = tf.memory().numTensors - before;

  const ceiling = matMulFlops / (median(times.matMul) * 1e6);
  const forwardMs = median(times.forward);
  const trainMs = median(times.train);
  const forwardGflops = forwardFlops / (forwardMs * 1e6);
  const fraction = forwardGflops / ceiling;
  const ratio = trainMs / forwardMs;
  const row = (label: string, value: string, ok?: boolean) => console.log(`${label.padEnd(34)} ${value.padStart(14)}${ok === undefined ? '' : ok ? '  ✓' : '  ✗'}`);
  console.log(`encoder layer T=${T} D=${D} heads=${H} FFN=${F} on ${tf.getBackend()} (median of ${RUNS} rounds)`);
  row('2-D matMul ceiling', `${ceiling.toFixed(1)} GFLOP/s`);
  row('forward', `${forwardMs.toFixed(1)} ms`);
  row('forward throughput', `${forwardGflops.toFixed(1)} GFLOP/s`);
  row('forward / ceiling (target ≥ 80%)', `${(100 * fraction).toFixed(0)} %`, fraction >= 0.8);
  row('forward+backward', `${trainMs.toFixed(1)} ms`);
  row('fwd+bwd / fwd (target ≤ 3.5×)', `${ratio.toFixed(2)} ×`, ratio <= 3.5);
  row('tensors leaked', String(leaked), leaked === 0);

  tf.dispose([a, b1, b2, x, mask, target]);
  layer.dispose();
  // The numbers are the product (targets are marked ✓/✗); only a leak fails the run.
  expect(leaked).toBe(0);
});
