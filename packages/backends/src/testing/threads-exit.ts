// Run by use-backend.test.ts in a child process: activates threaded wasm, checks a product against
// cpu and prints the result. It deliberately never calls process.exit: idle pool threads must not
// keep Node alive, so the parent's timeout fails the test if they do.
import * as tf from '@tensorflow/tfjs-core';
import { createRegistry } from '@tfkit/core-tensor';
import { registerAllBackends, useBackend } from '../index.js';

const registry = createRegistry();
registerAllBackends(registry);

function product(): Float32Array {
  let out: Float32Array | undefined;
  tf.tidy(() => {
    const a = tf.tensor2d(Array.from({ length: 128 * 96 }, (_, i) => Math.sin(i)), [128, 96]);
    const b = tf.tensor2d(Array.from({ length: 96 * 80 }, (_, i) => Math.cos(i)), [96, 80]);
    out = tf.matMul(a, b).dataSync() as Float32Array;
  });
  return out!;
}

await useBackend(registry, 'cpu');
const reference = product();
const { threads } = await useBackend(registry, 'wasm', { threads: 'all' });
const threaded = product();
const max = threaded.reduce((m, v, i) => Math.max(m, Math.abs(v - reference[i]!)), 0);
console.log(JSON.stringify({ threads, max }));
