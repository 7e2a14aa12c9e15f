// The cross-backend gradient suite in Chromium: webgl (SwiftShader) within 1e-3 of cpu, wasm
// (one thread, and every core when the page is cross-origin isolated) within 1e-4; tfkit's
// product on a helper Worker in the page.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { createRegistry, linear, loadGradients } from '@tfkit/core-tensor';
import { expectAllClose, expectNoLeaks } from '@tfkit/test-utils';
import plainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import simdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import threadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { availableBackends, registerAllBackends, useBackend } from './index.js';
import { simdTeam } from './simd-kernels.js';
import { MAIN_THREAD_NOTE } from './wasm.js';
import { PARAM_NAMES, TINY, WIDE, lossAndGradients, makeCase } from './testing/tiny-transformer.js';

const registry = createRegistry();
registerAllBackends(registry);
const wasmPaths = {
  'tfjs-backend-wasm.wasm': plainUrl,
  'tfjs-backend-wasm-simd.wasm': simdUrl,
  'tfjs-backend-wasm-threaded-simd.wasm': threadedUrl,
};

type Result = ReturnType<typeof lossAndGradients>;

function compare(got: Result, want: Result, atol: number, rtol = 0): void {
  expect(Math.abs(got.loss - want.loss)).toBeLessThanOrEqual(atol + rtol * Math.abs(want.loss));
  for (const name of PARAM_NAMES) expectAllClose(got.grads[name], want.grads[name], { atol, rtol, label: `d${name}` });
}

describe('backends in Chromium', () => {
  const cases = { tiny: makeCase(TINY), wide: makeCase(WIDE) };
  const cpu: Record<string, Result> = {};

  beforeAll(async () => {
    await loadGradients(); // useBackend loads no gradient code; this suite differentiates
    await useBackend(registry, 'cpu');
    for (const [name, c] of Object.entries(cases)) cpu[name] = lossAndGradients(c);
  });

  it('prefers webgl, then wasm, then cpu', async () => {
    const order = await availableBackends(registry);
    expect(order.slice(0, 3)).toEqual(['webgl', 'wasm', 'cpu']);
    const activation = await useBackend(registry);
    expect(activation.backend).toBe('webgl');
    expect(activation.notes[0]).toMatch(/^webgl: WebGL 2, 32-bit float textures/);
  });

  it('webgl: loss and every gradient within 1e-3 of cpu', async () => {
    await useBackend(registry, 'webgl');
    for (const [name, c] of Object.entries(cases)) {
      compare(await expectNoLeaks(() => lossAndGradients(c), `webgl ${name}`), cpu[name]!, 1e-3);
    }
  });

  it('wasm, one thread: loss and every gradient within 1e-4 of cpu', async () => {
    const activation = await useBackend(registry, 'wasm', { threads: 1, wasmPaths });
    expect(activation).toMatchObject({ backend: 'wasm', threads: 1, simd: true });
    for (const [name, c] of Object.entries(cases)) {
      compare(await expectNoLeaks(() => lossAndGradients(c), `wasm ${name}`), cpu[name]!, 1e-4);
    }
  });

  it('wasm, all threads in the cross-origin-isolated page: within 1e-4 of cpu', async () => {
    expect(globalThis.crossOriginIsolated).toBe(true);
    const activation = await useBackend(registry, 'wasm', { threads: 'all', wasmPaths });
    expect(activation.threads).toBe(Math.min(8, navigator.hardwareConcurrency));
    // Vitest runs this on the page's main thread, where the pool's waits spin.
    if (activation.threads > 1) expect(activation.notes).toContain(MAIN_THREAD_NOTE);
    for (const [name, c] of Object.entries(cases)) compare(lossAndGradients(c), cpu[name]!, 1e-4);
  });

  it("wasm, two threads in the page: tfkit's product cut across a helper Worker, the page's main thread waiting by spinning", async () => {
    const activation = await useBackend(registry, 'wasm', { threads: 2, wasmPaths });
    if (activation.threads < 2) return; // a one-core machine
    expect(activation.notes[0]).toMatch(/; its products on 2 threads \(1 helper Worker\)$/);
    const x = tf.randomNormal([128, 256], 0, 1, 'float32', 1);
    const w = tf.randomNormal([256, 192], 0, 0.2, 'float32', 2);
    const b = tf.randomNormal([192], 0, 1, 'float32', 3);
    const [xv, wv, bv] = [x.dataSync(), w.dataSync(), b.dataSync()] as Float32Array[];
    tf.dispose([x, w, b]);
    const run = () => tf.tidy(() => linear(tf.tensor2d(xv!, [128, 256]), tf.tensor2d(wv!, [256, 192]), tf.tensor1d(bv!)).dataSync() as Float32Array);
    const team = simdTeam(tf.backend())!;
    const split = team.parts({ m: 128, n: 192, k: 256, count: 1 });
    expect(split).toBe(2);
    const got = await expectNoLeaks(run, 'products on a helper Worker');
    await useBackend(registry, 'cpu');
    expectAllClose(got, run(), { atol: 2e-5, rtol: 1e-5, label: 'dense on two threads' });
  });
});
