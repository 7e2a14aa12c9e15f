import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeaks, withBackend } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { installWasmKernels } from './wasm-kernels.js';

describe('wasm kernel overrides', () => {
  it('tf.clone shares the buffer on wasm (no copy), and each tensor outlives the other', async () => {
    await withBackend('wasm', async () => {
      installWasmKernels();
      const backend = tf.backend() as unknown as { refCount(dataId: object): number };
      await expectNoLeaks(() => {
        const x = tf.tensor1d([1, 2, 3]);
        const y = tf.clone(x);
        expect(y.dataId).toBe(x.dataId);
        expect(backend.refCount(x.dataId)).toBe(2);
        x.dispose();
        expect(Array.from(y.dataSync())).toEqual([1, 2, 3]);
        y.dispose();
        const s = tf.tensor(['a', 'b']);
        const sc = tf.clone(s);
        s.dispose();
        expect(sc.dataSync()).toEqual(['a', 'b']);
        sc.dispose();
      });
    });
  });

  it('gradients through saved tensors are unchanged', async () => {
    await withBackend('wasm', async () => {
      installWasmKernels();
      const w = tf.variable(tf.tensor2d([1, -2, 3, 0.5], [2, 2]));
      const x = tf.tensor2d([0.25, 1, -1, 2], [2, 2]);
      const { grads, value } = tf.variableGrads(() => tf.sum(tf.tanh(tf.matMul(x, w))), [w]);
      const expected = tf.tidy(() => tf.matMul(x, tf.sub(1, tf.square(tf.tanh(tf.matMul(x, w)))), true, false));
      expect(Array.from(grads[w.name]?.dataSync() ?? [])).toEqual(Array.from(expected.dataSync()));
      [value, expected, x, w, ...Object.values(grads)].forEach((t) => t.dispose());
    });
  });
});
