import * as tf from '@tensorflow/tfjs-core';
import { wasmHeapInUse, withBackend } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { ToyClassifier, toyCollator, toyDataset } from '../testing/toy.js';
import { predictLoop } from './evaluate.js';
import { defaultForward, defaultLoss } from './forward.js';

describe('predictLoop on wasm', () => {
  // One example per batch: the encoder's products have one row, the case where XNNPACK still runs
  // them on the single-threaded build (and caches packed weights outside training); with 16 rows
  // tfkit's SIMD product runs them and packs nothing that outlives the call.
  it('leaves no packed weights on the heap when it evaluates a model in training (between steps); a model in eval mode keeps them for the next call', async () => {
    await withBackend('wasm', async () => {
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
      const batchedBefore = wasmHeapInUse();
      const batched = await predictBatched();
      expect(wasmHeapInUse() - batchedBefore).toBeLessThan(weightBytes / 16);
      const evalBefore = wasmHeapInUse();
      const after = await predict();
      // The two encoder layers' weights (and the classifier's) stay packed for the next call.
      expect(wasmHeapInUse() - evalBefore).toBeGreaterThanOrEqual(2 * weightBytes);
      expect(after).toEqual(during);
      expect(batched.predictions).toEqual(during.predictions);
      model.dispose();
      expect(tf.memory().numTensors).toBe(tensors);
    });
  });
});
