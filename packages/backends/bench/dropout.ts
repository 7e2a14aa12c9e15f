/**
 * Dropout's masks for one BERT-base training step at batch 8 × 128 tokens (12 layers × (attention
 * probabilities 8·12·128·128 + two hidden states 8·128·768) + the embeddings' 8·128·768: 38.5 M
 * values, p = 0.1), two ways in one process, rounds rotated: tfjs's composite (randomUniform →
 * greaterEqual → cast → mul, what Dropout ran before and still runs where the kernel is missing)
 * and `TfkitDropoutMask`, what @tfkit/layers' Dropout runs on wasm (the SIMD module's integer Alea
 * writing into the heap). Each mask is also multiplied into a tensor of its shape, as Dropout does.
 * Checks the two agree bit for bit on the first mask of each shape.
 *
 *   npx tsx bench/dropout.ts     (in packages/backends; DROPOUT_ROUNDS, default 5)
 */
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_DROPOUT_MASK, createRegistry } from '@tfkit/core-tensor';
import { registerAllBackends, useBackend } from '../src/index.js';

/** Dropout's mask through `TfkitDropoutMask` (what @tfkit/layers' Dropout runs where it is registered). */
const dropoutMask = (shape: number[], p: number, seed: number) => tf.engine().runKernel(FUSED_DROPOUT_MASK, {}, { shape, p, seed }) as tf.Tensor;

const registry = createRegistry();
registerAllBackends(registry);
await useBackend(registry, 'wasm', { threads: 1 });
if (!tf.getKernel(FUSED_DROPOUT_MASK, 'wasm')) throw new Error('TfkitDropoutMask is not registered on wasm');

const P = 0.1;
const SHAPES = [[8, 12, 128, 128], [8, 128, 768], [8, 128, 768]];
const xs = SHAPES.map((s) => tf.randomNormal(s, 0, 1, 'float32', 1));
const embeddings = tf.randomNormal([8, 128, 768], 0, 1, 'float32', 2);

const composite = (shape: number[], seed: number) => tf.tidy(() => tf.mul(tf.cast(tf.greaterEqual(tf.randomUniform(shape, 0, 1, 'float32', seed), P), 'float32'), 1 / (1 - P)));
const ways: Record<string, (shape: number[], seed: number) => tf.Tensor> = {
  composite,
  TfkitDropoutMask: (shape, seed) => dropoutMask(shape, P, seed),
};

for (const shape of SHAPES.slice(0, 2)) {
  const bits = Object.values(ways).map((f) => tf.tidy(() => Array.from(new Uint32Array((f(shape, 99).dataSync() as Float32Array).slice().buffer)).join()));
  if (new Set(bits).size !== 1) throw new Error(`the masks differ for [${shape}]`);
}

/** One step's masks, each multiplied into its tensor; ms. */
function step(f: (shape: number[], seed: number) => tf.Tensor, seed: number): number {
  const t0 = performance.now();
  for (let layer = 0; layer < 12; layer++) {
    SHAPES.forEach((shape, i) => tf.tidy(() => tf.mul(xs[i]!, f(shape, seed + 3 * layer + i)).dataSync().length));
  }
  tf.tidy(() => tf.mul(embeddings, f([8, 128, 768], seed - 1)).dataSync().length);
  return performance.now() - t0;
}

const names = Object.keys(ways);
const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
const rounds = Number(process.env['DROPOUT_ROUNDS'] ?? 5);
for (const name of names) step(ways[name]!, 1); // warm-up
for (let r = 0; r < rounds; r++) {
  for (let k = 0; k < names.length; k++) {
    const name = names[(r + k) % names.length]!;
    times[name]!.push(step(ways[name]!, 1000 * (r + 1)));
  }
}
const fmt = (v: number[]) => { const s = [...v].sort((a, b) => a - b); return `${s[Math.floor(s.length / 2)]!.toFixed(0)} (${s[0]!.toFixed(0)}–${s[s.length - 1]!.toFixed(0)})`; };
console.log(`dropout masks of one BERT-base step at batch 8 (38.5 M values, p ${P}), ms per step, median (min–max) of ${rounds} rounds:`);
for (const name of names) console.log(`  ${name.padEnd(18)} ${fmt(times[name]!)}`);
