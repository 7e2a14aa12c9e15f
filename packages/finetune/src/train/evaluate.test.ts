import * as tf from '@tensorflow/tfjs-core';
import { registerAllBackends, useBackend } from '@tfkit/backends';
import { createRegistry } from '@tfkit/core-tensor';
import { wasmHeapInUse } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { ToyClassifier, toyCollator, toyDataset } from '../testing/toy.js';
import { predictLoop } from './evaluate.js';
import { defaultForward, defaultLoss } from './forward.js';

describe('predictLoop on wasm', () => {
  // Where XNNPACK runs the products (the threaded build with `products: 'xnnpack'`) it caches a
  // packed copy of each weight outside training; tfkit's own products (the single-threaded build,
  // or the threaded one with its helpers) pack nothing that outlives the call.
  it('leaves no packed weights on the heap when it evaluates a model in training (between steps); a model in eval mode keeps them for the next call', async () => {
    const registry = createRegistry();
    registerAllBackends(registry);
    const activation = await useBackend(registry, 'wasm', { threads: 2, products: 'xnnpack' });
    try {
      if (activation.threads < 2) return; // a one-core machine: the single-threaded build
      const tensors = tf.memory().numTensors;
      const dim = 256;
      const model = new ToyClassifier({ dim, layers: 2, seed: 3 });
      const dataset = toyDataset(16, 4);
      const predict = () => predictLoop({ model, dataset, collator: toyCollator, batchSize: 1, forward: defaultForward, computeLoss: defaultLoss });
      const predictBatched = () => predictLoop({ model, dataset, collator: toyCollator, batchSize: 16, forward: defaultForward, computeLoss: defaultLoss });
      const weightBytes = dim * dim * 4;
      model.train();
      const before = wasmHeapInUse();
      const during = await predict();
      expect(wasmHeapInUse() - before).toBeLessThan(weightBytes / 16);
      expect(model.training).toBe(true);
      model.eval();
      const evalBefore = wasmHeapInUse();
      const after = await predict();
      // The two encoder layers' weights (and the classifier's) stay packed for the next call.
      expect(wasmHeapInUse() - evalBefore).toBeGreaterThanOrEqual(2 * weightBytes);
      const batched = await predictBatched();
      expect(after).toEqual(during);
      expect(batched.predictions).toEqual(during.predictions);
      model.dispose();
      expect(tf.memory().numTensors).toBe(tensors);
    } finally {
      tf.disposeVariables();
      await useBackend(registry, 'wasm', { threads: 1 });
    }
  });
});
