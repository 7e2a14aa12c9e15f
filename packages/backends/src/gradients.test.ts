// The cross-backend gradient suite in Node: a transformer-shaped loss (see testing/tiny-transformer.ts)
// differentiated on wasm (one thread and all threads) must match cpu, and cpu must match finite differences.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createRegistry } from '@tfkit/core-tensor';
import { expectAllClose, expectNoLeaks, numericGradient } from '@tfkit/test-utils';
import { registerAllBackends, useBackend } from './index.js';
import {
  PARAM_NAMES, TINY, WIDE, lossAndGradients, makeCase, paramTensors, tinyTransformerLoss, type ParamName,
} from './testing/tiny-transformer.js';

const registry = createRegistry();
registerAllBackends(registry);

function compare(got: ReturnType<typeof lossAndGradients>, want: ReturnType<typeof lossAndGradients>, atol: number): void {
  expect(Math.abs(got.loss - want.loss)).toBeLessThanOrEqual(atol);
  for (const name of PARAM_NAMES) expectAllClose(got.grads[name], want.grads[name], { atol, label: `d${name}` });
}

describe('transformer-shaped loss and gradients across Node backends', () => {
  const tiny = makeCase(TINY);
  const wide = makeCase(WIDE);
  let cpuTiny: ReturnType<typeof lossAndGradients>;
  let cpuWide: ReturnType<typeof lossAndGradients>;

  it('cpu: every parameter gradient agrees with central finite differences', async () => {
    await useBackend(registry, 'cpu');
    cpuTiny = await expectNoLeaks(() => lossAndGradients(tiny), 'cpu loss and gradients');
    cpuWide = lossAndGradients(wide);
    expect(cpuTiny.loss).toBeGreaterThan(1);
    const params = paramTensors(tiny);
    for (const name of PARAM_NAMES) {
      const numeric = numericGradient((x) => tinyTransformerLoss(tiny, { ...params, [name]: x } as Record<ParamName, tf.Tensor>), params[name], 1e-2);
      // Every parameter must actually receive gradient, or the comparison proves nothing.
      expect(Math.max(...Array.from(cpuTiny.grads[name], Math.abs)), `|d${name}|`).toBeGreaterThan(1e-3);
      expectAllClose(cpuTiny.grads[name], numeric, { atol: 2e-3, rtol: 1e-2, label: `d${name} vs finite differences` });
    }
    tf.dispose(Object.values(params));
  });

  it('wasm, one thread, matches cpu within 1e-4', async () => {
    const activation = await useBackend(registry, 'wasm', { threads: 1 });
    expect(activation).toMatchObject({ backend: 'wasm', threads: 1 });
    compare(await expectNoLeaks(() => lossAndGradients(tiny), 'wasm loss and gradients'), cpuTiny, 1e-4);
    compare(lossAndGradients(wide), cpuWide, 1e-4);
  });

  it('wasm, all threads, matches cpu within 1e-4', async () => {
    const activation = await useBackend(registry, 'wasm', { threads: 'all' });
    expect(activation.threads).toBe(Math.min(8, (await import('node:os')).availableParallelism()));
    compare(lossAndGradients(tiny), cpuTiny, 1e-4);
    compare(lossAndGradients(wide), cpuWide, 1e-4);
  });
});
