import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectAllClose, expectNoLeaks, numericGradient, withBackend } from '@tfkit/test-utils';
import { ConfigError, Random, ShapeError } from '@tfkit/core-tensor';
import { Activation } from './activation.js';
import { Dropout } from './dropout.js';
import { Embedding } from './embedding.js';
import { FeedForward } from './feed-forward.js';
import { LayerNorm } from './layer-norm.js';
import { Linear } from './linear.js';

const BACKENDS = ['cpu', 'wasm'] as const;

describe.each(BACKENDS)('building blocks on %s', (backend) => {
  it('Linear computes x·W + b with W held [in, out] and stored [out, in]', async () => {
    await withBackend(backend, async () => {
      const lin = new Linear(3, 2);
      lin.loadStateDict(new Map<string, tf.Tensor>([['weight', tf.tensor2d([[1, 2, 3], [4, 5, 6]])], ['bias', tf.tensor1d([0.5, -1])]]));
      await expectNoLeaks(() => tf.tidy(() => {
        const y = lin.forward(tf.tensor3d([[[1, 0, -1], [2, 1, 0]]]));
        expectAllClose(y, [[[1 - 3 + 0.5, 4 - 6 - 1], [2 + 2 + 0.5, 8 + 5 - 1]]], { atol: 1e-6 });
        const { grads, value } = tf.variableGrads(() => tf.sum(lin.forward(tf.ones([4, 3]))) as tf.Scalar, lin.trainableVariables());
        expectAllClose(grads[lin.weight.variable.name] as tf.Tensor, tf.fill([3, 2], 4), { atol: 1e-6 });
        expectAllClose(grads[(lin.bias as { variable: tf.Variable }).variable.name] as tf.Tensor, [4, 4], { atol: 1e-6 });
        value.dispose();
      }));
      lin.dispose();
    });
  });

  it('Embedding looks up rows and its gradient sums repeated ids (no UnsortedSegmentSum needed), none to the padding row', async () => {
    await withBackend(backend, async () => {
      const emb = new Embedding(5, 3, { paddingIdx: 0, rng: new Random(1) });
      await expectNoLeaks(() => tf.tidy(() => {
        expectAllClose(tf.slice(emb.weight.value, [0, 0], [1, 3]), [[0, 0, 0]], { atol: 0 });
        const ids = tf.tensor2d([[1, 2, 1], [4, 0, 1]], undefined, 'int32');
        const out = emb.forward(ids);
        expect(out.shape).toEqual([2, 3, 3]);
        expectAllClose(tf.reshape(tf.slice(out, [0, 1, 0], [1, 1, 3]), [1, 3]), tf.slice(emb.weight.value, [2, 0], [1, 3]), { atol: 0 });
        const { grads, value } = tf.variableGrads(() => tf.sum(emb.forward(ids)) as tf.Scalar, emb.trainableVariables());
        // torch.nn.Embedding(5, 3, padding_idx=0): sum(emb(ids)).backward() gives these rows.
        expectAllClose(grads[emb.weight.variable.name] as tf.Tensor, [[0, 0, 0], [3, 3, 3], [1, 1, 1], [0, 0, 0], [1, 1, 1]], { atol: 0 });
        value.dispose();
      }));
      emb.dispose();
    });
  });

  it('Embedding paddingIdx behaves as PyTorch padding_idx: the row still reads, never learns through the lookup', async () => {
    await withBackend(backend, async () => {
      const emb = new Embedding(4, 2, { paddingIdx: 0, rng: new Random(2) });
      const last = new Embedding(5, 3, { paddingIdx: -1, rng: new Random(3) });
      await expectNoLeaks(() => tf.tidy(() => {
        // A set row 0 is looked up as it is (PyTorch's forward does not zero it).
        emb.weight.variable.assign(tf.tensor2d([[0.5, -1], [1, 2], [3, 4], [5, 6]]));
        expectAllClose(emb.forward(tf.tensor1d([0, 2, 0], 'int32')), [[0.5, -1], [3, 4], [0.5, -1]], { atol: 0 });
        // The case: PyTorch gives row 0 = 0 (tfkit gave [2, 2]); a tied use of the table
        // (an LM head reading row 0 directly) still passes row 0 its gradient: [5, 7].
        const w = emb.trainableVariables();
        const ids = tf.tensor1d([0, 2, 0], 'int32');
        const plain = tf.variableGrads(() => tf.sum(emb.forward(ids)) as tf.Scalar, w);
        expectAllClose(plain.grads[emb.weight.variable.name] as tf.Tensor, [[0, 0], [0, 0], [1, 1], [0, 0]], { atol: 0 });
        const tied = tf.variableGrads(() => tf.add(tf.sum(emb.forward(ids)), tf.sum(tf.mul(tf.slice(emb.weight.value, [0, 0], [1, 2]), [[5, 7]]))) as tf.Scalar, w);
        expectAllClose(tied.grads[emb.weight.variable.name] as tf.Tensor, [[5, 7], [0, 0], [1, 1], [0, 0]], { atol: 0 });
        // Negative counts from the end, as torch.nn.Embedding(5, 3, padding_idx=-1) (row 4).
        expect(last.paddingIdx).toBe(4);
        const neg = tf.variableGrads(() => tf.sum(last.forward(tf.tensor1d([0, 2, 0, 4, 4], 'int32'))) as tf.Scalar, last.trainableVariables());
        expectAllClose(neg.grads[last.weight.variable.name] as tf.Tensor, [[2, 2, 2], [0, 0, 0], [1, 1, 1], [0, 0, 0], [0, 0, 0]], { atol: 0 });
      }));
      expect(() => new Embedding(4, 2, { paddingIdx: 4 })).toThrow(ShapeError);
      expect(() => new Embedding(4, 2, { paddingIdx: -5 })).toThrow(/paddingIdx -5 is not a row of a table with 4 rows/);
      emb.dispose();
      last.dispose();
    });
  });

  it('LayerNorm computes γ ⊙ (x − μ) / √(σ² + ε) + β per row, and its gradient matches finite differences', async () => {
    await withBackend(backend, async () => {
      const ln = new LayerNorm(4, { eps: 1e-5 });
      ln.loadStateDict(new Map<string, tf.Tensor>([['weight', tf.tensor1d([1, 2, 0.5, -1])], ['bias', tf.tensor1d([0, 1, -1, 0.25])]]));
      await expectNoLeaks(() => tf.tidy(() => {
        const rows = [[1, 2, 3, 4], [-1, 0, 5, 0.5]];
        const expected = rows.map((r) => {
          const mu = r.reduce((a, b) => a + b, 0) / 4;
          const sigma2 = r.reduce((a, b) => a + (b - mu) ** 2, 0) / 4; // biased variance
          return r.map((v, i) => [1, 2, 0.5, -1][i]! * ((v - mu) / Math.sqrt(sigma2 + 1e-5)) + [0, 1, -1, 0.25][i]!);
        });
        const x = tf.tensor2d(rows);
        expectAllClose(ln.forward(x), expected, { atol: 1e-5 });
        const w = tf.tensor2d([[0.3, -1, 2, 0.7], [1, 0.2, -0.5, 1.5]]);
        const loss = (input: tf.Tensor): tf.Scalar => tf.sum(tf.mul(ln.forward(input), w));
        expectAllClose(tf.grad(loss)(x), numericGradient(loss, x, 1e-2), { atol: 2e-3, rtol: 2e-2 });
      }));
      ln.dispose();
    });
  });

  it('Dropout is seeded, scales kept values by 1/(1 − p), and is the identity in eval', async () => {
    await withBackend(backend, async () => {
      const a = new Dropout(0.25, { seed: 3 }).train();
      const b = new Dropout(0.25, { seed: 3 }).train();
      await expectNoLeaks(() => tf.tidy(() => {
        const x = tf.ones([1000]);
        const ya = a.forward(x);
        expectAllClose(ya, b.forward(x), { atol: 0 });
        const values = ya.dataSync();
        expect(new Set(values)).toEqual(new Set([0, Math.fround(1 / 0.75)]));
        const dropped = values.filter((v) => v === 0).length;
        expect(dropped).toBeGreaterThan(200);
        expect(dropped).toBeLessThan(300);
        expect(Array.from(a.forward(x).dataSync())).not.toEqual(Array.from(values)); // a new mask per call
        a.eval();
        expectAllClose(a.forward(x), x, { atol: 0 });
      }));
    });
  });

  it('Dropout multiplies by the mask tfjs composes from randomUniform, greaterEqual, cast and mul, bit for bit', async () => {
    await withBackend(backend, async () => {
      await expectNoLeaks(() => tf.tidy(() => {
        const x = tf.tensor3d(Array.from({ length: 105 }, (_, i) => (i % 13) - 6.5), [3, 5, 7]);
        const seed = new Dropout(0.2, { seed: 11 }).rng.nextUint32(); // the seed the layer's first call draws
        const y = new Dropout(0.2, { seed: 11 }).train().forward(x);
        const mask = tf.mul(tf.cast(tf.greaterEqual(tf.randomUniform([3, 5, 7], 0, 1, 'float32', seed), 0.2), 'float32'), 1 / 0.8);
        expect(Array.from(y.dataSync())).toEqual(Array.from(tf.mul(x, mask).dataSync()));
      }));
    });
  });

  it('Activation resolves Hugging Face names', async () => {
    await withBackend(backend, async () => {
      const xs = [-2, -0.5, 0, 0.7, 3];
      const erf = (z: number): number => {
        // Abramowitz–Stegun 7.1.26 is only 1.5e-7 accurate; a series is exact enough here.
        let sum = 0;
        let term = z;
        for (let n = 0; n < 60; n++) {
          sum += term / (2 * n + 1);
          term *= (-z * z) / (n + 1);
        }
        return (2 / Math.sqrt(Math.PI)) * sum;
      };
      const expected: Record<string, (x: number) => number> = {
        relu: (x) => Math.max(x, 0),
        gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
        gelu_new: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
        silu: (x) => x / (1 + Math.exp(-x)),
        tanh: Math.tanh,
        sigmoid: (x) => 1 / (1 + Math.exp(-x)),
      };
      await expectNoLeaks(() => tf.tidy(() => {
        for (const [name, f] of Object.entries(expected)) expectAllClose(new Activation(name).forward(tf.tensor1d(xs)), xs.map(f), { atol: 2e-6, label: name });
      }));
      expect(() => new Activation('gelu_fancy')).toThrow(ConfigError);
    });
  });

  it('FeedForward computes W₂·act(W₁·x + b₁) + b₂', async () => {
    await withBackend(backend, async () => {
      const ffn = new FeedForward(4, 8, { activation: 'relu', rng: new Random(4) });
      await expectNoLeaks(() => tf.tidy(() => {
        const x = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 5);
        const w1 = ffn.fc1.weight.value;
        const w2 = ffn.fc2.weight.value;
        const h = tf.relu(tf.add(tf.matMul(tf.reshape(x, [6, 4]), w1), ffn.fc1.bias!.value));
        const expected = tf.reshape(tf.add(tf.matMul(h, w2), ffn.fc2.bias!.value), [2, 3, 4]);
        expectAllClose(ffn.forward(x), expected, { atol: 1e-5 });
        expect(ffn.namedParameters().map(([n]) => n)).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
      }));
      ffn.dispose();
    });
  });
});
