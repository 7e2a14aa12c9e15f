import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectAllClose, expectNoLeaks, wasmHeapInUse, withBackend } from '@tfkit/test-utils';
import { Embedding } from './embedding.js';
import { LMHead } from './lm-head.js';
import { Module } from './module.js';

describe.each(['cpu', 'wasm'] as const)('LMHead on %s', (backend) => {
  it('projects [N, C] to [N, vocab] with the token table [vocab, C], sharing its Parameter when tied', async () => {
    await withBackend(backend, async () => {
      const table = new Embedding(3, 2);
      table.loadStateDict(new Map<string, tf.Tensor>([['weight', tf.tensor2d([[1, 2], [3, 4], [-1, 0.5]])]]));
      class Tied extends Module {
        embed = table;
        lm_head = new LMHead(table.weight);
      }
      const model = new Tied();
      expect(model.lm_head.weight).toBe(model.embed.weight);
      expect(model.parameterCount()).toBe(6);
      await expectNoLeaks(() => tf.tidy(() => {
        const logits = model.lm_head.forward(tf.tensor2d([[1, 0], [0.5, -2]]));
        expectAllClose(logits, [[1, 3, -1], [0.5 - 4, 1.5 - 8, -0.5 - 1]], { atol: 1e-6 });
        const { value, grads } = tf.variableGrads(() => tf.sum(model.lm_head.forward(tf.ones([2, 2]))) as tf.Scalar, [table.weight.variable]);
        expectAllClose(grads[table.weight.variable.name] as tf.Tensor, tf.fill([3, 2], 2), { atol: 1e-6 });
        value.dispose();
      }), 'LMHead forward and gradient');
      model.dispose();
    });
  });

  it('keeps one transposed copy of the weight across calls, remakes it when the weight changes, and frees it on dispose', async () => {
    await withBackend(backend, async () => {
      const start = tf.memory().numTensors;
      const table = new Embedding(4, 3, { initStd: 0.5 });
      const head = new LMHead(table.weight);
      const x = tf.tensor2d([[1, -2, 0.5], [0.25, 3, -1]]);
      const expected = (w: tf.Tensor) => tf.tidy(() => tf.matMul(x, w, false, true));
      const check = async (label: string) => {
        // No tensor left behind by a call, whatever happened to the weight before it.
        await expectNoLeaks(() => {
          const [logits, want] = [head.forward(x), expected(head.weight.value)];
          expectAllClose(logits, want, { atol: 1e-6 });
          tf.dispose([logits, want]);
        }, label);
      };
      await check('first call');
      const copy = head.transposedWeight();
      await check('second call');
      expect(head.transposedWeight()).toBe(copy);
      // New data in the same variable (what optimizers, loading and LoRA merging do).
      tf.tidy(() => table.weight.value.assign(tf.mul(table.weight.value, -3)));
      expect(head.transposedWeight()).not.toBe(copy);
      await check('after assign');
      // Another parameter altogether (resizing the vocabulary, untying).
      const other = new Embedding(5, 3, { initStd: 0.5 });
      head.weight = other.weight;
      await check('after replacing the parameter');
      const wider = head.forward(x);
      expect(wider.shape).toEqual([2, 5]);
      wider.dispose();
      // The head's dispose frees the copy with the parameter; a model's dispose reaches every head.
      class Holder extends Module {
        inner = head;
      }
      new Holder().dispose();
      table.dispose();
      x.dispose();
      expect(tf.memory().numTensors).toBe(start);
    });
  });

  it('trains the weight through the head: gradients equal autodiff of x · wᵀ, and a step on the weight is seen by the next call', async () => {
    await withBackend(backend, async () => {
      const table = new Embedding(6, 4, { initStd: 0.7 });
      const head = new LMHead(table.weight);
      const x = tf.randomNormal([5, 4], 0, 1, 'float32', 3) as tf.Tensor2D;
      const target = tf.randomNormal([5, 6], 0, 1, 'float32', 4);
      const loss = (logits: tf.Tensor) => tf.sum(tf.mul(logits, target)) as tf.Scalar;
      for (let step = 0; step < 2; step++) {
        const w = table.weight.variable;
        const got = tf.grads((xi: tf.Tensor, wi: tf.Tensor) => loss(tf.matMul(xi, wi, false, true)))([x, w]);
        const viaHead = tf.variableGrads(() => loss(head.forward(x)), [w]);
        const dx = tf.grad((xi: tf.Tensor) => loss(head.forward(xi as tf.Tensor2D)))(x);
        expectAllClose(viaHead.grads[w.name] as tf.Tensor, got[1] as tf.Tensor, { atol: 1e-5 });
        expectAllClose(dx, got[0] as tf.Tensor, { atol: 1e-5 });
        // An SGD step through assign, as the optimizers do: the next forward must use it.
        tf.tidy(() => w.assign(tf.sub(w, tf.mul(viaHead.grads[w.name] as tf.Tensor, 0.1))));
        tf.dispose([...got, dx, viaHead.value, ...Object.values(viaHead.grads)]);
      }
      const after = tf.tidy(() => tf.sub(head.forward(x), tf.matMul(x, table.weight.value, false, true)));
      expectAllClose(after, tf.zerosLike(after), { atol: 1e-6 });
      tf.dispose([after, x, target]);
      head.dispose();
    });
  });
});

describe('LMHead on wasm, heap', () => {
  it('leaves no packed copy of the weight or its transpose on the heap after a recorded step (a frozen, tied head under LoRA), nor after a decoding step', async () => {
    await withBackend('wasm', async () => {
      const [vocab, c] = [2048, 128];
      const weightBytes = vocab * c * 4;
      const table = new Embedding(vocab, c, { initStd: 0.5 });
      table.weight.variable.trainable = false;
      const head = new LMHead(table.weight);
      const x = tf.variable(tf.randomNormal([16, c], 0, 1, 'float32', 5), true);
      const target = tf.randomNormal([16, vocab], 0, 1, 'float32', 6);
      const before = wasmHeapInUse();
      // dx through the head (the embedding frozen): the forward multiplies by the kept [C, vocab]
      // copy, the backward by the [vocab, C] weight; neither may stay packed.
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(head.forward(x), target)) as tf.Scalar, [x]);
      const dx = grads[x.name] as tf.Tensor;
      const got = dx.dataSync().slice();
      tf.dispose([value, dx]);
      expect(wasmHeapInUse() - before).toBeLessThan(weightBytes / 16);
      // (The reference product packs the weight itself: after the measurement.)
      const want = tf.tidy(() => tf.matMul(target, table.weight.value));
      expectAllClose(got, want, { atol: 1e-4 });
      want.dispose();
      // Outside a recorded pass, a decoding step's single row: tfkit's gemv reads the kept
      // transpose as it is (XNNPACK kept a packed copy of it for the next call).
      const stepBefore = wasmHeapInUse();
      const row = tf.tidy(() => head.forward(tf.slice(x, [0, 0], [1, c])).dataSync().slice());
      expect(wasmHeapInUse() - stepBefore).toBeLessThan(weightBytes / 16);
      const wantRow = tf.tidy(() => tf.matMul(tf.slice(x, [0, 0], [1, c]), table.weight.value, false, true).dataSync().slice());
      expectAllClose(row, wantRow, { atol: 1e-4 });
      tf.dispose([x, target]);
      head.dispose();
      table.dispose();
    });
  });
});
