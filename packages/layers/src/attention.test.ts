import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectAllClose, expectNoLeaks, numericGradient, withBackend } from '@tfkit/test-utils';
import { Random } from '@tfkit/core-tensor';
import { KVCache } from './kv-cache.js';
import { MultiHeadAttention } from './attention.js';

const BACKENDS = ['cpu', 'wasm'] as const;

type M = number[][];
const matmul = (a: M, b: M): M => a.map((row) => (b[0] as number[]).map((_, j) => row.reduce((s, v, k) => s + v * (b[k] as number[])[j]!, 0)));
const transpose = (a: M): M => (a[0] as number[]).map((_, j) => a.map((row) => row[j]!));
const softmaxRows = (a: M): M =>
  a.map((row) => {
    const m = Math.max(...row);
    const e = row.map((v) => Math.exp(v - m));
    const s = e.reduce((x, y) => x + y, 0);
    return e.map((v) => v / s);
  });

function randomMatrix(rows: number, cols: number, rng: Random): M {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => rng.normal(0, 1)));
}

/** Loads per-head W_Q/W_K/W_V (4×2 each) into the module's [in, out] projections, out_proj = I, biases 0. */
function loadHeads(mha: MultiHeadAttention, wq: M[], wk: M[], wv: M[]): void {
  const concat = (ws: M[]): M => ws[0]!.map((_, i) => ws.flatMap((w) => w[i]!));
  const d = mha.embedDim;
  const eye = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? 1 : 0)));
  const sd = new Map<string, tf.Tensor>();
  // Checkpoint layout is PyTorch's [out, in]: the transpose of the held [in, out].
  sd.set('q_proj.weight', tf.tensor2d(transpose(concat(wq))));
  sd.set('k_proj.weight', tf.tensor2d(transpose(concat(wk))));
  sd.set('v_proj.weight', tf.tensor2d(transpose(concat(wv))));
  sd.set('out_proj.weight', tf.tensor2d(eye));
  for (const n of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) sd.set(`${n}.bias`, tf.zeros([d]));
  mha.loadStateDict(sd);
  for (const t of sd.values()) t.dispose();
}

describe('MultiHeadAttention', () => {
  it.each(BACKENDS)('reproduces the worked example "The cat sleeps" computed by hand (%s)', async (backend) => {
    await withBackend(backend, async () => {
      const rng = new Random(7);
      const X = randomMatrix(3, 4, rng); // 3 tokens × d=4
      const wq = [randomMatrix(4, 2, rng), randomMatrix(4, 2, rng)];
      const wk = [randomMatrix(4, 2, rng), randomMatrix(4, 2, rng)];
      const wv = [randomMatrix(4, 2, rng), randomMatrix(4, 2, rng)];
      // By hand: per head, scores = Q·Kᵀ / √(d/h) (3×3), softmax rows, times V (3×2); concat → 3×4.
      const scores: M[] = [];
      const heads: M[] = [];
      for (let h = 0; h < 2; h++) {
        const Q = matmul(X, wq[h]!);
        const K = matmul(X, wk[h]!);
        const V = matmul(X, wv[h]!);
        const s = matmul(Q, transpose(K)).map((row) => row.map((v) => v / Math.sqrt(4 / 2)));
        scores.push(s);
        heads.push(matmul(softmaxRows(s), V));
      }
      const expected = [0, 1, 2].map((i) => [...heads[0]![i]!, ...heads[1]![i]!]);
      expect(scores[0]).toHaveLength(3);
      expect(scores[0]![0]).toHaveLength(3);

      const mha = new MultiHeadAttention(4, { numHeads: 2 });
      loadHeads(mha, wq, wk, wv);
      await expectNoLeaks(() => tf.tidy(() => {
        const x = tf.tensor3d([X]);
        const { output, attentions } = mha.forward(x, { outputAttentions: true });
        expect(output.shape).toEqual([1, 3, 4]);
        expectAllClose(tf.squeeze(output), expected, { atol: 1e-5 });
        expectAllClose(tf.squeeze(attentions as tf.Tensor), scores.map(softmaxRows), { atol: 1e-5 });
        tf.dispose([x, output, attentions as tf.Tensor]);
      }));
      mha.dispose();
    });
  });

  it.each(BACKENDS)('causal mask: changing a future token changes nothing before it (%s)', async (backend) => {
    await withBackend(backend, async () => {
      const mha = new MultiHeadAttention(8, { numHeads: 2, rng: new Random(1) });
      await expectNoLeaks(() => tf.tidy(() => {
        const x = tf.randomNormal([2, 5, 8], 0, 1, 'float32', 3);
        const changed = tf.concat([tf.slice(x, [0, 0, 0], [2, 3, 8]), tf.randomNormal([2, 2, 8], 0, 1, 'float32', 4)], 1);
        const a = mha.forward(x, { causal: true, outputAttentions: true });
        const b = mha.forward(changed, { causal: true });
        expectAllClose(tf.slice(b.output, [0, 0, 0], [2, 3, 8]), tf.slice(a.output, [0, 0, 0], [2, 3, 8]), { atol: 1e-6 });
        expect(tf.max(tf.abs(tf.sub(b.output, a.output))).dataSync()[0]).toBeGreaterThan(1e-3);
        // No probability above the diagonal.
        const probs = (a.attentions as tf.Tensor).arraySync() as number[][][][];
        for (const row of probs.flat(2)) expect(row).toBeDefined();
        probs.forEach((bh) => bh.forEach((h) => h.forEach((row, i) => row.forEach((p, j) => { if (j > i) expect(p).toBe(0); }))));
        tf.dispose([x, changed, a.output, a.attentions as tf.Tensor, b.output]);
      }));
      mha.dispose();
    });
  });

  it.each(BACKENDS)('padding invariance: pad tokens change nothing for the real tokens (%s)', async (backend) => {
    await withBackend(backend, async () => {
      const mha = new MultiHeadAttention(8, { numHeads: 4, rng: new Random(2) });
      await expectNoLeaks(() => tf.tidy(() => {
        const real = tf.randomNormal([1, 3, 8], 0, 1, 'float32', 5);
        const padded = tf.concat([real, tf.randomNormal([1, 2, 8], 0, 10, 'float32', 6)], 1);
        const mask = tf.tensor2d([[1, 1, 1, 0, 0]], undefined, 'int32');
        for (const causal of [false, true]) {
          const alone = mha.forward(real, { causal });
          const withPad = mha.forward(padded, { attentionMask: mask, causal });
          expectAllClose(tf.slice(withPad.output, [0, 0, 0], [1, 3, 8]), alone.output, { atol: 1e-5 });
          tf.dispose([alone.output, withPad.output]);
        }
        tf.dispose([real, padded, mask]);
      }));
      mha.dispose();
    });
  });

  it.each(BACKENDS)('KV cache: each incremental step equals the full forward at that position (%s)', async (backend) => {
    await withBackend(backend, async () => {
      const mha = new MultiHeadAttention(8, { numHeads: 2, rng: new Random(3) });
      await expectNoLeaks(() => tf.tidy(() => {
        const x = tf.randomNormal([2, 6, 8], 0, 1, 'float32', 7);
        const mask = tf.tensor2d([[1, 1, 1, 1, 1, 1], [0, 1, 1, 1, 1, 1]], undefined, 'int32'); // left padding
        const full = mha.forward(x, { causal: true, attentionMask: mask });
        const cache = new KVCache();
        // A 4-token prompt, then one token at a time.
        const prompt = mha.forward(tf.slice(x, [0, 0, 0], [2, 4, 8]), { causal: true, attentionMask: tf.slice(mask, [0, 0], [2, 4]), cache });
        // Row 1's first token is padding: its output is arbitrary, so compare real tokens only.
        const real = tf.cast(tf.expandDims(tf.slice(mask, [0, 0], [2, 4]), 2), 'float32');
        expectAllClose(tf.mul(prompt.output, real), tf.mul(tf.slice(full.output, [0, 0, 0], [2, 4, 8]), real), { atol: 1e-5 });
        expect(cache.length).toBe(4);
        for (let t = 4; t < 6; t++) {
          const step = mha.forward(tf.slice(x, [0, t, 0], [2, 1, 8]), { causal: true, attentionMask: tf.slice(mask, [0, 0], [2, t + 1]), cache });
          expectAllClose(step.output, tf.slice(full.output, [0, t, 0], [2, 1, 8]), { atol: 1e-5, label: `step ${t}` });
          step.output.dispose();
        }
        expect(cache.length).toBe(6);
        cache.dispose();
        tf.dispose([x, mask, full.output, prompt.output]);
      }));
      mha.dispose();
    });
  });

  it.each(BACKENDS)('cross-attention takes keys/values from the encoder and caches them once (%s)', async (backend) => {
    await withBackend(backend, async () => {
      const mha = new MultiHeadAttention(8, { numHeads: 2, kvDim: 6, rng: new Random(4) });
      await expectNoLeaks(() => tf.tidy(() => {
        const dec = tf.randomNormal([2, 3, 8], 0, 1, 'float32', 8);
        const enc = tf.randomNormal([2, 5, 6], 0, 1, 'float32', 9);
        const encMask = tf.tensor2d([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], undefined, 'int32');
        const full = mha.forward(dec, { keyValueStates: enc, attentionMask: encMask, outputAttentions: true });
        expect(full.attentions?.shape).toEqual([2, 2, 3, 5]);
        // Padding of the encoder gets zero weight.
        expectAllClose(tf.slice(full.attentions as tf.Tensor, [1, 0, 0, 3], [1, 2, 3, 2]), tf.zeros([1, 2, 3, 2]), { atol: 0 });
        const cache = new KVCache();
        for (let t = 0; t < 3; t++) {
          const step = mha.forward(tf.slice(dec, [0, t, 0], [2, 1, 8]), { keyValueStates: enc, attentionMask: encMask, cache });
          expectAllClose(step.output, tf.slice(full.output, [0, t, 0], [2, 1, 8]), { atol: 1e-5 });
          expect(cache.length).toBe(5);
          step.output.dispose();
        }
        cache.dispose();
        tf.dispose([dec, enc, encMask, full.output, full.attentions as tf.Tensor]);
      }));
      mha.dispose();
    });
  });

  it.each(BACKENDS)('gradients match finite differences, and forward+backward leaks nothing (%s)', async (backend) => {
    await withBackend(backend, async () => {
      const mha = new MultiHeadAttention(4, { numHeads: 2, rng: new Random(5) });
      const x = tf.randomNormal([1, 3, 4], 0, 1, 'float32', 10);
      const mask = tf.tensor2d([[1, 1, 0]], undefined, 'int32');
      const target = tf.randomNormal([1, 3, 4], 0, 1, 'float32', 11);
      const loss = (input: tf.Tensor): tf.Scalar =>
        tf.tidy(() => tf.sum(tf.mul(mha.forward(input, { attentionMask: mask, causal: true }).output, target)) as tf.Scalar);
      await expectNoLeaks(() => tf.tidy(() => {
        const g = tf.grad(loss)(x);
        expectAllClose(g, numericGradient(loss, x, 1e-2), { atol: 2e-3, rtol: 2e-2 });
        g.dispose();
        // Parameter gradients (every projection).
        const { value, grads } = tf.variableGrads(() => loss(x), mha.trainableVariables());
        expect(Object.keys(grads)).toHaveLength(8);
        const qGrad = grads[mha.q_proj.weight.variable.name] as tf.Tensor;
        const wq = mha.q_proj.weight.variable;
        const numeric = numericGradient((w) => tf.tidy(() => {
          const saved = tf.clone(wq);
          wq.assign(w);
          const l = loss(x);
          wq.assign(saved);
          return l;
        }), wq, 1e-2);
        expectAllClose(qGrad, numeric, { atol: 2e-3, rtol: 2e-2 });
        tf.dispose([value, ...Object.values(grads)]);
      }), 'forward + backward');
      tf.dispose([x, mask, target]);
      mha.dispose();
    });
  });

  it.each(BACKENDS)('forward and backward leave no tensors behind (%s)', async (backend) => {
    await withBackend(backend, async () => {
      const mha = new MultiHeadAttention(8, { numHeads: 2, rng: new Random(6) });
      const crossAttn = new MultiHeadAttention(8, { numHeads: 2, kvDim: 6, rng: new Random(7) });
      const x = tf.randomNormal([2, 4, 8], 0, 1, 'float32', 12);
      const enc = tf.randomNormal([2, 3, 6], 0, 1, 'float32', 13);
      const mask = tf.tensor2d([[1, 1, 1, 1], [1, 1, 0, 0]], undefined, 'int32');
      // No tf.tidy here: everything the module makes must be released or returned.
      await expectNoLeaks(() => {
        const self = mha.forward(x, { attentionMask: mask, causal: true, outputAttentions: true });
        const cross = crossAttn.forward(x, { keyValueStates: enc, outputAttentions: true });
        tf.dispose([self.output, self.attentions as tf.Tensor, cross.output, cross.attentions as tf.Tensor]);
        const cache = new KVCache();
        tf.dispose([mha.forward(x, { causal: true, cache }).output, mha.forward(x, { causal: true, cache }).output]);
        cache.dispose();
        const { value, grads } = tf.variableGrads(() => tf.sum(mha.forward(x, { attentionMask: mask, causal: true }).output) as tf.Scalar, mha.trainableVariables());
        tf.dispose([value, ...Object.values(grads)]);
      });
      tf.dispose([x, enc, mask]);
      mha.dispose();
      crossAttn.dispose();
    });
  });

  it('rejects a hidden size the heads do not divide', () => {
    expect(() => new MultiHeadAttention(10, { numHeads: 3 })).toThrow(/multiple of numHeads/);
  });
});
