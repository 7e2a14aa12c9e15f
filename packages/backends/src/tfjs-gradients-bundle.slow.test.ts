/**
 * core-tensor's published gradients file (dist/tfjs-gradients.js, built by its tsup.config.ts with the
 * facades of tfjs-gradients-plugin.mjs) against tfjs-core's own gradient modules (what `loadGradients()` imports
 * from source under Vitest): a fresh Node process imports the built file, registers every gradient
 * and computes the gradients of functions that reach the facaded helpers (broadcast reduction axes,
 * axis permutations, SELU constants, slice and conv utilities, ENGINE through `tf.engine()`); this
 * process computes the same with the source definitions. Runs after `pnpm build` (the slow project).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadGradients } from '@tfkit/core-tensor';

const here = path.dirname(fileURLToPath(import.meta.url));
const bundle = path.join(path.dirname(createRequire(import.meta.url).resolve('@tfkit/core-tensor/package.json')), 'dist/tfjs-gradients.js');

/** Each case: a function of x (and a fixed y) whose gradient with respect to x is compared. */
const CASES = `
const x = tf.tensor2d([[0.5, -1.25, 2], [3, -0.75, 0.1]]);
const y = tf.tensor1d([1.5, -2, 0.25]);
const img = tf.tensor4d(Array.from({ length: 2 * 5 * 5 * 3 }, (_, i) => Math.sin(i)), [2, 5, 5, 3]);
const filter = tf.tensor4d(Array.from({ length: 3 * 3 * 3 * 4 }, (_, i) => Math.cos(i)), [3, 3, 3, 4]);
const cases = {
  broadcastMulDiv: () => tf.grads((a, b) => tf.sum(tf.div(tf.mul(a, b), tf.add(b, 3))))([x, y]),
  subSquaredDiff: () => tf.grads((a, b) => tf.sum(tf.squaredDifference(tf.sub(a, b), tf.mul(a, 0.5))))([x, y]),
  matMulT: () => tf.grads((a, b) => tf.sum(tf.matMul(a, b, false, true)))([x, x]),
  softmaxLogSoftmax: () => tf.grads((a) => tf.sum(tf.mul(tf.softmax(a), tf.logSoftmax(a))))([x]),
  meanMaxTranspose: () => tf.grads((a) => tf.add(tf.sum(tf.mean(tf.transpose(a), 0)), tf.sum(tf.max(a, 1))))([x]),
  seluEluTanh: () => tf.grads((a) => tf.sum(tf.add(tf.selu(a), tf.mul(tf.elu(a), tf.tanh(a)))))([x]),
  sliceConcatGather: () => tf.grads((a) => tf.sum(tf.mul(tf.concat([tf.slice(a, [0, 1], [2, 2]), tf.gather(a, [2, 0, 2], 1)], 1), 1.5)))([x]),
  splitPadTile: () => tf.grads((a) => tf.sum(tf.square(tf.pad(tf.tile(tf.split(a, [1, 2], 1)[1], [2, 1]), [[1, 0], [0, 2]]))))([x]),
  conv2d: () => tf.grads((i, f) => tf.sum(tf.conv2d(i, f, [2, 1], 'same')))([img, filter]),
  depthwiseAvgPool: () => tf.grads((i) => tf.sum(tf.avgPool(tf.depthwiseConv2d(i, tf.slice(filter, [0, 0, 0, 0], [2, 2, 3, 1]), 1, 'valid'), 2, 1, 'valid')))([img]),
  cumsumProdPow: () => tf.grads((a) => tf.sum(tf.mul(tf.cumsum(a, 1), tf.pow(tf.abs(a), 1.5))))([x]),
};
`;

const CHILD = `
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
await import(${JSON.stringify(bundle)});
await tf.setBackend('cpu');
${CASES}
const out = { grads: {} };
for (const [name, f] of Object.entries(cases)) out.grads[name] = f().map((g) => Array.from(g.dataSync()));
console.log(JSON.stringify(out));
`;

describe('dist/tfjs-gradients.js (the published gradients)', () => {
  beforeAll(async () => {
    await loadGradients();
    await tf.setBackend('cpu');
  });

  it('gives the gradients tfjs-core’s own definitions give', () => {
    expect(fs.existsSync(bundle), `${bundle} is missing: run \`pnpm build\` in packages/core-tensor first`).toBe(true);
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD], { cwd: here, encoding: 'utf8', timeout: 300_000 });
    expect(child.status, child.stderr).toBe(0);
    const published = JSON.parse(child.stdout) as { grads: Record<string, number[][]> };
    // The same case source the child runs.
    const cases = new Function('tf', `${CASES}; return cases;`)(tf) as Record<string, () => tf.Tensor[]>;
    expect(Object.keys(published.grads).sort()).toEqual(Object.keys(cases).sort());
    for (const [name, f] of Object.entries(cases)) {
      const source = tf.tidy(() => f().map((g) => Array.from(g.dataSync())));
      expect(published.grads[name], name).toEqual(source);
    }
  }, 300_000);
});
