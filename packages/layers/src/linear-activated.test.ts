import * as tf from '@tensorflow/tfjs-core';
import { FUSED_DENSE, getActivation, Random } from '@tfkit/core-tensor';
import { expectNoLeaks, withBackend } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { Linear, linearActivated } from './linear.js';
import { Module } from './module.js';
import { normal } from './init.js';

/** A stand-in for a replaced layer (LoRA's wraps a Linear the same way): its own forward. */
class Wrapped extends Module {
  constructor(readonly inner: Linear) {
    super();
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.mul(this.inner.forward(x), 0.5);
  }
}

const bits = (t: tf.Tensor) => Buffer.from((t.dataSync() as Float32Array).slice().buffer);

describe.each(['cpu', 'wasm'] as const)('linearActivated on %s', (backend) => {
  it.each(['gelu', 'gelu_new', 'relu'])('activation %s: the values of the layer then getActivation, bit for bit, in one dense kernel for a GELU on wasm', async (activation) => {
    await withBackend(backend, async () => {
      const layer = new Linear(24, 40, { initStd: 0.3 });
      const x = normal([2, 5, 24], 1, new Random(3));
      await expectNoLeaks(async () => {
        const info = await tf.profile(() => linearActivated(layer, x, activation));
        const got = info.result as tf.Tensor;
        const want = tf.tidy(() => getActivation(activation)(layer.forward(x)));
        expect(got.shape).toEqual([2, 5, 40]);
        expect(bits(got).equals(bits(want))).toBe(true);
        const names = info.kernels.map((k) => k.name);
        if (backend === 'wasm' && activation !== 'relu') expect(names).toEqual([FUSED_DENSE]);
        else expect(names.length).toBeGreaterThan(1);
        tf.dispose([got, want]);
      }, `linearActivated ${activation}`);
      tf.dispose(x);
      layer.dispose();
    });
  });

  it('a replaced layer runs its own forward, then the activation; gradients are the composite’s', async () => {
    await withBackend(backend, async () => {
      const inner = new Linear(8, 12, { initStd: 0.5 });
      const wrapped = new Wrapped(inner);
      const x = normal([3, 8], 1, new Random(4));
      await expectNoLeaks(() => tf.tidy(() => {
        const got = linearActivated(wrapped, x, 'gelu');
        const want = getActivation('gelu')(tf.mul(inner.forward(x), 0.5));
        expect(bits(got).equals(bits(want))).toBe(true);
        const g = tf.grad((xx: tf.Tensor) => tf.sum(linearActivated(inner, xx, 'gelu')))(x);
        const gWant = tf.grad((xx: tf.Tensor) => tf.sum(getActivation('gelu')(inner.forward(xx))))(x);
        expect(bits(g).equals(bits(gWant))).toBe(true);
      }), 'linearActivated replaced / grad');
      tf.dispose(x);
      wrapped.dispose();
    });
  });
});
