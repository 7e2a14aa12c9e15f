import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeaks, withBackend } from '@tfkit/test-utils';
import { geluTanh, linear } from '@tfkit/core-tensor';
import { Dropout, LMHead, Parameter } from '@tfkit/layers';
import { describe, expect, it } from 'vitest';
import { bytesSavedForBackward } from '../testing/saved-bytes.js';
import { ToyClassifier, toyCollator, toyDataset } from '../testing/toy.js';
import { variableGradsFreeing } from './backprop.js';
import { defaultForward, defaultLoss } from './forward.js';

describe.each(['cpu', 'wasm'])('variableGradsFreeing on %s', (backend) => {
  it('gives tf.variableGrads’ gradients bit for bit with a lower peak, and leaks nothing', async () => {
    await withBackend(backend, async () => {
      const model = new ToyClassifier({ dim: 64, layers: 4, seed: 2 });
      const data = toyDataset(16, 3);
      const batch = toyCollator(Array.from({ length: 16 }, (_, i) => data.get(i)));
      const vars = model.trainableVariables();
      const loss = () => defaultLoss(defaultForward(model, batch), batch);
      const run = (freeing: boolean) => (freeing ? variableGradsFreeing(loss, vars) : tf.variableGrads(loss, vars));
      const read = (r: { value: tf.Scalar; grads: tf.NamedTensorMap }) => {
        const out = { value: r.value.dataSync()[0], grads: Object.entries(r.grads).map(([k, g]) => [k, Array.from(g.dataSync())]) };
        r.value.dispose();
        Object.values(r.grads).forEach((g) => g.dispose());
        return out;
      };
      const freed = await expectNoLeaks(() => read(run(true)));
      const plain = read(run(false));
      expect(freed.grads.length).toBe(vars.length);
      expect(freed).toEqual(plain);
      const peak = async (freeing: boolean) => (await tf.profile(() => read(run(freeing)))).peakBytes;
      expect(await peak(true)).toBeLessThan((await peak(false)) * 0.8);
      Object.values(batch).forEach((t) => t.dispose());
      model.dispose();
    });
  });

  it('keeps nothing that kernels computed without a trainable variable saved (frozen layers, dropout masks)', async () => {
    await withBackend(backend, async () => {
      const n = 128;
      const x = tf.randomNormal([n, n], 0, 1, 'float32', 1);
      const frozen = tf.variable(tf.randomNormal([n, n], 0, 1, 'float32', 2), false);
      const w = tf.variable(tf.randomNormal([n, n], 0, 1, 'float32', 3));
      // Bytes in tensors when the backward pass starts: what the forward left saved for it.
      let held = 0;
      const probe = tf.customGrad(((a: tf.Tensor, save: tf.GradSaveFunc) => {
        save([a]);
        return { value: tf.sum(a), gradFunc: (dy: tf.Tensor | tf.Tensor[], [sa]: tf.Tensor[]) => {
          held = tf.memory().numBytes;
          return tf.mul(tf.onesLike(sa as tf.Tensor), dy as tf.Tensor);
        } };
      }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (a: tf.Tensor) => tf.Scalar;
      const loss = () => {
        // A frozen layer with a dropout-like mask: MatMul and Mul save their operands (two n×n
        // tensors made here) when recorded; no gradient can reach `w` through them.
        const h = tf.tidy(() => tf.mul(tf.matMul(x, frozen), tf.randomUniform([n, n], 0, 1, 'float32', 4)));
        return probe(tf.matMul(h, w));
      };
      const heldBy = (run: () => { value: tf.Scalar; grads: tf.NamedTensorMap }) => {
        const r = run();
        r.value.dispose();
        Object.values(r.grads).forEach((g) => g?.dispose()); // tf.variableGrads lists frozen variables as null
        return held;
      };
      const plain = heldBy(() => tf.variableGrads(loss, [w, frozen]));
      const freeing = await expectNoLeaks(() => heldBy(() => variableGradsFreeing(loss, [w, frozen])));
      // At least those two (tfjs's MatMul records reshapes too); 0 when every kernel is recorded.
      expect(plain - freeing).toBeGreaterThanOrEqual(2 * n * n * 4);
      // The gradient is unchanged.
      const a = variableGradsFreeing(loss, [w, frozen]);
      const b = tf.variableGrads(loss, [w, frozen]);
      expect(Object.keys(a.grads)).toEqual([w.name]);
      expect(Array.from(a.grads[w.name]?.dataSync() ?? [])).toEqual(Array.from(b.grads[w.name]?.dataSync() ?? []));
      tf.dispose([a.value, b.value, ...Object.values(a.grads), ...Object.values(b.grads).filter((g) => g), x, frozen, w]);
    });
  });

  it('has tfkit ops compute no gradient for frozen weights (a dense layer, a tied LM head)', async () => {
    await withBackend(backend, async () => {
      const x = tf.randomNormal([16, 32], 0, 1, 'float32', 1);
      const w1 = tf.variable(tf.randomNormal([32, 32], 0, 0.1, 'float32', 2)); // trainable (an adapter)
      const w2 = tf.variable(tf.randomNormal([32, 32], 0, 0.1, 'float32', 3), false); // frozen
      const embedding = Parameter.adopt(tf.randomNormal([50, 32], 0, 0.1, 'float32', 4), { trainable: false });
      const head = new LMHead(embedding);
      const loss = () => tf.sum(tf.square(head.forward(linear(linear(x, w1), w2)))) as tf.Scalar;
      const vars = [w1, w2, embedding.value as tf.Variable];
      const matMuls = async (run: () => { value: tf.Scalar; grads: tf.NamedTensorMap }) => {
        let grads: Record<string, number[]> = {};
        const profile = await tf.profile(() => {
          const r = run();
          grads = Object.fromEntries(Object.entries(r.grads).filter(([, g]) => g).map(([k, g]) => [k, Array.from(g.dataSync())]));
          tf.dispose([r.value, ...Object.values(r.grads).filter((g) => g)]);
        });
        return { grads, count: profile.kernels.filter((k) => k.name === 'BatchMatMul').length };
      };
      const plain = await matMuls(() => tf.variableGrads(loss, vars));
      const freeing = await matMuls(() => variableGradsFreeing(loss, vars));
      expect(Object.keys(freeing.grads)).toEqual([w1.name]);
      expect(freeing.grads[w1.name]).toEqual(plain.grads[w1.name]);
      // Skipped: dW of the frozen layer, dx of the first layer (x is an input), the head's dW.
      expect(plain.count - freeing.count).toBe(3);
      head.dispose();
      embedding.dispose();
      tf.dispose([x, w1, w2]);
    });
  });

  it('keeps one tensor per GELU and per dropout for the backward pass (its input, its mask)', async () => {
    await withBackend(backend, async () => {
      const [n, d] = [512, 256]; // above the size of the fused GELU kernel on wasm
      const x = tf.randomNormal([n, d], 0, 1, 'float32', 1);
      const w = tf.variable(tf.randomNormal([d, d], 0, 0.1, 'float32', 2));
      const dropout = new Dropout(0.1, { seed: 3 });
      dropout.train();
      const saved = await bytesSavedForBackward(() => dropout.forward(geluTanh(tf.matMul(x, w))), [w]);
      // 3.5 × n·d floats (1.5 held by MatMul and the probe alone, GELU's input, the mask); before,
      // 5.5: tanh(u) (GELU) and the GELU output (dropout's Multiply) besides.
      expect(saved).toBeLessThan(4.5 * n * d * 4);
      tf.dispose([x, w]);
    });
  });

  it('frees the tape when the function throws', async () => {
    await withBackend(backend, async () => {
      const w = tf.variable(tf.ones([4, 4]));
      await expectNoLeaks(() => {
        expect(() =>
          variableGradsFreeing(() => {
            tf.sum(tf.matMul(w, w));
            throw new Error('boom');
          }, [w]),
        ).toThrow('boom');
      });
      const { value, grads } = variableGradsFreeing(() => tf.sum(tf.mul(w, w)), [w]);
      expect(Array.from(grads[w.name]?.dataSync() ?? [])).toEqual(new Array(16).fill(2));
      value.dispose();
      Object.values(grads).forEach((g) => g.dispose());
      w.dispose();
    });
  });
});
