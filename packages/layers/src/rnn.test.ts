import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { expectAllClose, expectNoLeaks, numericGradient, readFixtureJson, withBackend } from '@tfkit/test-utils';
import { Random } from '@tfkit/core-tensor';
import { GRU, LSTM, SimpleRNN } from './rnn.js';
import { GRUCell, LSTMCell, SimpleRNNCell } from './rnn-cells.js';
import type { Module } from './module.js';

const BACKENDS = ['cpu', 'wasm'] as const;

interface RnnCase {
  module: string;
  config: { input_size: number; hidden_size: number; num_layers: number; bidirectional: boolean; batch_first: boolean };
  weights: Record<string, number[][] | number[]>;
  input: number[][][];
  h0: number[][][];
  c0?: number[][][];
  output: number[][][];
  hn: number[][][];
  cn?: number[][][];
}

function stateDictOf(weights: Record<string, number[][] | number[]>): Map<string, tf.Tensor> {
  return new Map(Object.entries(weights).map(([k, v]) => [k, tf.tensor(v)]));
}

function load(m: Module, weights: Map<string, tf.Tensor>): void {
  m.loadStateDict(weights);
  tf.dispose([...weights.values()]);
}

/** Σ output · fixed random weights: a scalar whose gradient reaches every output element. */
function projectedSum(y: tf.Tensor, seed: number): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.mul(y, tf.randomNormal(y.shape, 0, 1, 'float32', seed))) as tf.Scalar);
}

describe.each(BACKENDS)('recurrent layers on %s', (backend) => {
  it.each(['gru', 'lstm'] as const)('match PyTorch nn.%s fixtures within 1e-5', async (kind) => {
    await withBackend(backend, async () => {
      const cases = readFixtureJson<RnnCase[]>('layers', `${kind}.json`);
      expect(cases.length).toBeGreaterThan(0);
      for (const c of cases) {
        const { input_size: inSize, hidden_size: hidden, num_layers: numLayers, bidirectional, batch_first: batchFirst } = c.config;
        const m = kind === 'gru' ? new GRU(inSize, hidden, { numLayers, bidirectional, batchFirst }) : new LSTM(inSize, hidden, { numLayers, bidirectional, batchFirst });
        load(m, stateDictOf(c.weights));
        await expectNoLeaks(() => {
          const x = tf.tensor3d(c.input);
          const h0 = tf.tensor3d(c.h0);
          const c0 = c.c0 ? tf.tensor3d(c.c0) : undefined;
          const out = m.forward(x, { h0, c0 });
          expectAllClose(out.output, c.output, { atol: 1e-5, label: `${kind} output` });
          expectAllClose(out.hN, c.hn, { atol: 1e-5, label: `${kind} h_n` });
          if (c.cn) expectAllClose(out.cN as tf.Tensor, c.cn, { atol: 1e-5, label: 'lstm c_n' });
          tf.dispose([x, h0, c0, out.output, out.hN, out.cN].filter((t): t is tf.Tensor => t !== undefined));
        });
        // The state dict round-trips in PyTorch's names and layouts.
        const sd = m.stateDict();
        expect([...sd.keys()]).toEqual(Object.keys(c.weights));
        for (const [k, v] of sd) expectAllClose(v, tf.tensor(c.weights[k] as number[][]), { atol: 0, label: k });
        tf.dispose([...sd.values()]);
        m.dispose();
      }
    });
  });

  it("'classic' GRU equals tfjs-layers' GRU (resetAfter: false) with the same weights", async () => {
    await withBackend(backend, async () => {
      const [inSize, hidden, batch, steps] = [3, 4, 2, 5];
      const keras = tfl.layers.gru({ units: hidden, returnSequences: true, returnState: true, recurrentActivation: 'sigmoid',
        // tfjs-layers implements only resetAfter: false (the reset gate before the hidden product).
        // Weights are set below; zeros avoids tfjs-layers' orthogonal init, which needs chained ops.
        kernelInitializer: 'zeros', recurrentInitializer: 'zeros' });
      const x = tf.randomNormal([batch, steps, inSize], 0, 1, 'float32', 1);
      const h0 = tf.randomNormal([batch, hidden], 0, 1, 'float32', 2);
      tf.dispose(keras.apply(x) as tf.Tensor[]); // builds the weights
      const rng = new Random(3);
      const rand = (shape: number[]) => tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b) }, () => rng.normal(0, 0.7)), shape);
      const [kernel, recurrent, bias] = [rand([inSize, 3 * hidden]), rand([hidden, 3 * hidden]), rand([3 * hidden])];
      keras.setWeights([kernel, recurrent, bias]);
      const [expectedSeq, expectedH] = keras.apply(x, { initialState: [h0] }) as tf.Tensor[];

      // Keras packs gates z, r, h with h' = z·h + (1 − z)·h̃; the classic GRU packs r, z, n (PyTorch
      // order) with h' = (1 − z)·h + z·h̃, i.e. its z is Keras's 1 − z = σ(−a): the z block is negated.
      const toTorch = (w: tf.Tensor, negZ: boolean): tf.Tensor => tf.tidy(() => {
        const [z, r, h] = tf.split(w, 3, w.rank - 1);
        const packed = tf.concat([r as tf.Tensor, negZ ? tf.neg(z as tf.Tensor) : (z as tf.Tensor), h as tf.Tensor], w.rank - 1);
        return w.rank === 2 ? tf.transpose(packed) : packed; // PyTorch stores [gates·hidden, in]
      });
      const gru = new GRU(inSize, hidden, { variant: 'classic' });
      load(gru, new Map([
        ['weight_ih_l0', toTorch(kernel, true)],
        ['weight_hh_l0', toTorch(recurrent, true)],
        ['bias_ih_l0', toTorch(bias, true)],
        ['bias_hh_l0', tf.zeros([3 * hidden])],
      ]));
      await expectNoLeaks(() => tf.tidy(() => {
        const out = gru.forward(x, { h0: tf.expandDims(h0, 0) });
        expectAllClose(out.output, expectedSeq as tf.Tensor, { atol: 1e-5 });
        expectAllClose(tf.squeeze(out.hN, [0]), expectedH as tf.Tensor, { atol: 1e-5 });
      }));
      tf.dispose([x, h0, kernel, recurrent, bias, expectedSeq as tf.Tensor, expectedH as tf.Tensor]);
      keras.dispose();
      gru.dispose();
    });
  });

  it.each([
    ['GRU (pytorch)', () => new GRU(3, 4, { rng: new Random(1) })],
    ['GRU (classic)', () => new GRU(3, 4, { variant: 'classic', rng: new Random(2) })],
    ['LSTM', () => new LSTM(3, 4, { rng: new Random(3) })],
  ] as const)('%s gradients match finite differences; forward + backward leak nothing', async (_, make) => {
    await withBackend(backend, async () => {
      const m = make();
      const x = tf.randomNormal([2, 3, 3], 0, 1, 'float32', 4);
      const loss = (input: tf.Tensor): tf.Scalar => tf.tidy(() => {
        const out = m.forward(input);
        return tf.add(projectedSum(out.output, 5), projectedSum(out.cN ?? out.hN, 6)) as tf.Scalar;
      });
      await expectNoLeaks(() => {
        const g = tf.grad(loss)(x);
        expectAllClose(g, numericGradient(loss, x, 1e-2), { atol: 2e-3, rtol: 2e-2, label: 'd/dx' });
        g.dispose();
        const w = m.namedParameters().find(([n]) => n === 'weight_hh_l0')?.[1].variable as tf.Variable;
        const { value, grads } = tf.variableGrads(() => loss(x), m.trainableVariables());
        expect(Object.keys(grads)).toHaveLength(4);
        const numeric = numericGradient((v) => tf.tidy(() => {
          const saved = tf.clone(w);
          w.assign(v);
          const l = loss(x);
          w.assign(saved);
          return l;
        }), w, 1e-2);
        expectAllClose(grads[w.name] as tf.Tensor, numeric, { atol: 2e-3, rtol: 2e-2, label: 'd/dW_hh' });
        tf.dispose([value, ...Object.values(grads)]);
      });
      x.dispose();
      m.dispose();
    });
  });
});

describe('recurrent layer structure', () => {
  it('names parameters like PyTorch, layer by layer and direction by direction', () => {
    const m = new LSTM(3, 5, { numLayers: 2, bidirectional: true });
    expect(m.namedParameters().map(([n, p]) => `${n}:${p.checkpointShape.join('x')}`)).toEqual([
      'weight_ih_l0:20x3', 'weight_hh_l0:20x5', 'bias_ih_l0:20', 'bias_hh_l0:20',
      'weight_ih_l0_reverse:20x3', 'weight_hh_l0_reverse:20x5', 'bias_ih_l0_reverse:20', 'bias_hh_l0_reverse:20',
      'weight_ih_l1:20x10', 'weight_hh_l1:20x5', 'bias_ih_l1:20', 'bias_hh_l1:20',
      'weight_ih_l1_reverse:20x10', 'weight_hh_l1_reverse:20x5', 'bias_ih_l1_reverse:20', 'bias_hh_l1_reverse:20',
    ]);
    m.dispose();
  });

  it('a 2-layer bidirectional GRU equals its layers and directions run one at a time', async () => {
    const deep = new GRU(3, 4, { numLayers: 2, bidirectional: true, rng: new Random(8) });
    const sd = deep.stateDict();
    const part = (layer: number, reverse: boolean, inSize: number): GRU => {
      const g = new GRU(inSize, 4);
      const s = `_l${layer}${reverse ? '_reverse' : ''}`;
      g.loadStateDict(new Map(['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'].map((n) => [`${n}_l0`, sd.get(`${n}${s}`) as tf.Tensor])));
      return g;
    };
    const parts = [part(0, false, 3), part(0, true, 3), part(1, false, 8), part(1, true, 8)];
    await expectNoLeaks(() => tf.tidy(() => {
      const x = tf.randomNormal([2, 5, 3], 0, 1, 'float32', 9);
      const h0 = tf.randomNormal([4, 2, 4], 0, 1, 'float32', 10);
      const h0s = tf.unstack(h0).map((h) => tf.expandDims(h, 0));
      const run = (g: GRU, input: tf.Tensor, h: tf.Tensor, reverse: boolean) => {
        const r = g.forward(reverse ? tf.reverse(input, 1) : input, { h0: h });
        return { seq: reverse ? tf.reverse(r.output, 1) : r.output, h: r.hN };
      };
      const l0f = run(parts[0] as GRU, x, h0s[0] as tf.Tensor, false);
      const l0b = run(parts[1] as GRU, x, h0s[1] as tf.Tensor, true);
      const mid = tf.concat([l0f.seq, l0b.seq], 2);
      const l1f = run(parts[2] as GRU, mid, h0s[2] as tf.Tensor, false);
      const l1b = run(parts[3] as GRU, mid, h0s[3] as tf.Tensor, true);
      const out = deep.forward(x, { h0 });
      expect(out.output.shape).toEqual([2, 5, 8]);
      expectAllClose(out.output, tf.concat([l1f.seq, l1b.seq], 2), { atol: 1e-6 });
      expectAllClose(out.hN, tf.concat([l0f.h, l0b.h, l1f.h, l1b.h], 0), { atol: 1e-6 });
      // returnSequences: false gives the last layer's final states, both directions.
      const last = deep.forward(x, { h0, returnSequences: false });
      expectAllClose(last.output, tf.squeeze(tf.concat([l1f.h, l1b.h], 2), [0]), { atol: 1e-6 });
    }));
    tf.dispose([...sd.values()]);
    deep.dispose();
    parts.forEach((p) => p.dispose());
  });

  it('a mask makes padded steps keep the state (packed-sequence semantics), also time-major', async () => {
    const lstm = new LSTM(3, 4, { bidirectional: true, rng: new Random(11) });
    const timeMajor = new LSTM(3, 4, { bidirectional: true, batchFirst: false });
    const sd = lstm.stateDict();
    timeMajor.loadStateDict(sd);
    await expectNoLeaks(() => tf.tidy(() => {
      const x = tf.randomNormal([2, 5, 3], 0, 1, 'float32', 12);
      const mask = tf.tensor2d([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]]);
      const out = lstm.forward(x, { mask });
      // Row 1 alone, truncated to its 3 real steps.
      const alone = lstm.forward(tf.slice(x, [1, 0, 0], [1, 3, 3]));
      expectAllClose(tf.slice(out.output, [1, 0, 0], [1, 3, 8]), alone.output, { atol: 1e-6 });
      expectAllClose(tf.slice(out.output, [1, 3, 0], [1, 2, 8]), tf.zeros([1, 2, 8]), { atol: 0 });
      expectAllClose(tf.slice(out.hN, [0, 1, 0], [2, 1, 4]), alone.hN, { atol: 1e-6 });
      expectAllClose(tf.slice(out.cN as tf.Tensor, [0, 1, 0], [2, 1, 4]), alone.cN as tf.Tensor, { atol: 1e-6 });
      const tm = timeMajor.forward(tf.transpose(x, [1, 0, 2]), { mask });
      expectAllClose(tf.transpose(tm.output, [1, 0, 2]), out.output, { atol: 1e-6 });
    }));
    tf.dispose([...sd.values()]);
    lstm.dispose();
    timeMajor.dispose();
  });

  it('SimpleRNN computes h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh) (and relu)', async () => {
    for (const nonlinearity of ['tanh', 'relu'] as const) {
      const rnn = new SimpleRNN(2, 3, { nonlinearity, rng: new Random(13) });
      const p = Object.fromEntries(rnn.namedParameters().map(([n, v]) => [n, v.value]));
      await expectNoLeaks(() => tf.tidy(() => {
        const x = tf.randomNormal([1, 3, 2], 0, 1, 'float32', 14);
        const act = nonlinearity === 'tanh' ? tf.tanh : tf.relu;
        let h: tf.Tensor = tf.zeros([1, 3]);
        const hs: tf.Tensor[] = [];
        for (const xt of tf.unstack(x, 1)) {
          // Held layout is [in, out]: x·W.
          h = act(tf.add(tf.add(tf.matMul(xt, p['weight_ih_l0'] as tf.Tensor), p['bias_ih_l0'] as tf.Tensor), tf.add(tf.matMul(h, p['weight_hh_l0'] as tf.Tensor), p['bias_hh_l0'] as tf.Tensor)));
          hs.push(h);
        }
        const out = rnn.forward(x);
        expectAllClose(out.output, tf.stack(hs, 1), { atol: 1e-6 });
      }));
      rnn.dispose();
    }
  });

  it('cells equal one step of their sequence layers', async () => {
    const pairs: [Module & { forward: (...a: never[]) => unknown }, GRU | LSTM | SimpleRNN][] = [
      [new GRUCell(3, 4, { variant: 'classic' }), new GRU(3, 4, { variant: 'classic' })],
      [new GRUCell(3, 4), new GRU(3, 4)],
      [new LSTMCell(3, 4), new LSTM(3, 4)],
      [new SimpleRNNCell(3, 4), new SimpleRNN(3, 4)],
    ];
    for (const [cell, seq] of pairs) {
      const sd = cell.stateDict();
      seq.loadStateDict(new Map([...sd].map(([k, v]) => [`${k}_l0`, v])));
      await expectNoLeaks(() => tf.tidy(() => {
        const x = tf.randomNormal([2, 3], 0, 1, 'float32', 15);
        const h = tf.randomNormal([2, 4], 0, 1, 'float32', 16);
        const c = tf.randomNormal([2, 4], 0, 1, 'float32', 17);
        const ref = seq.forward(tf.expandDims(x, 1), { h0: tf.expandDims(h, 0), c0: seq instanceof LSTM ? tf.expandDims(c, 0) : undefined });
        if (cell instanceof LSTMCell) {
          const next = cell.forward(x, { h, c });
          expectAllClose(next.h, tf.squeeze(ref.hN, [0]), { atol: 1e-6 });
          expectAllClose(next.c, tf.squeeze(ref.cN as tf.Tensor, [0]), { atol: 1e-6 });
        } else {
          expectAllClose((cell as GRUCell).forward(x, h), tf.squeeze(ref.hN, [0]), { atol: 1e-6 });
        }
      }));
      tf.dispose([...sd.values()]);
      cell.dispose();
      seq.dispose();
    }
  });

  it('step() over a sequence equals forward for 2-layer stacks, with the bottom projection precomputed too', async () => {
    const layers = [new GRU(3, 4, { numLayers: 2, rng: new Random(21) }), new LSTM(3, 4, { numLayers: 2, rng: new Random(22) }), new SimpleRNN(3, 4, { numLayers: 2, rng: new Random(23) })];
    for (const m of layers) {
      await expectNoLeaks(() => tf.tidy(() => {
        const x = tf.randomNormal([2, 4, 3], 0, 1, 'float32', 24);
        const h0 = tf.randomNormal([2, 2, 4], 0, 1, 'float32', 25);
        const c0 = m instanceof LSTM ? tf.randomNormal([2, 2, 4], 0, 1, 'float32', 26) : undefined;
        const ref = m.forward(x, { h0, c0 });
        const start = { h: tf.unstack(h0), ...(c0 ? { c: tf.unstack(c0) } : {}) };
        let plain = start;
        let projected = start;
        const { weightIh, biasIh } = m.cellParameters(0);
        tf.unstack(x, 1).forEach((xt, t) => {
          plain = m.step(xt, plain);
          projected = m.step(tf.add(tf.matMul(xt, weightIh.value), biasIh!.value), projected, { projected: true });
          expectAllClose(plain.h[1]!, tf.squeeze(tf.slice(ref.output, [0, t, 0], [2, 1, 4]), [1]), { atol: 1e-6, label: `${m.kind} step ${t}` });
        });
        expectAllClose(tf.stack(plain.h), ref.hN, { atol: 1e-6 });
        expectAllClose(tf.stack(projected.h), ref.hN, { atol: 1e-6 });
        if (c0) expectAllClose(tf.stack(plain.c!), ref.cN!, { atol: 1e-6 });
      }));
      expect(() => m.step(tf.zeros([2, 5]), { h: [tf.zeros([2, 4]), tf.zeros([2, 4])] })).toThrow(/expected input \[batch, 3\]/);
      m.dispose();
    }
    const bi = new GRU(3, 4, { bidirectional: true });
    expect(() => bi.step(tf.zeros([1, 3]), { h: [tf.zeros([1, 4])] })).toThrow(/unidirectional/);
    expect(bi.cellParameters(0, true).weightIh.shape).toEqual([3, 12]);
    expect(() => bi.cellParameters(1)).toThrow(/no layer 1/);
    bi.dispose();
  });

  it('gradients reach h0 / c0 and the input for one layer and one time step (axes of size 1)', async () => {
    for (const m of [new GRU(3, 4, { rng: new Random(31) }), new LSTM(3, 4, { rng: new Random(32) })]) {
      await expectNoLeaks(() => tf.tidy(() => {
        const x = tf.randomNormal([2, 1, 3], 0, 1, 'float32', 33);
        const h0 = tf.randomNormal([1, 2, 4], 0, 1, 'float32', 34);
        const c0 = tf.randomNormal([1, 2, 4], 0, 1, 'float32', 35);
        const lstm = m instanceof LSTM;
        const loss = (xs: tf.Tensor, h: tf.Tensor, c: tf.Tensor) => projectedSum(m.forward(xs, { h0: h, c0: lstm ? c : undefined }).output, 36);
        const [dx, dh, dc] = lstm ? tf.grads(loss)([x, h0, c0]) : tf.grads((xs: tf.Tensor, h: tf.Tensor) => loss(xs, h, c0))([x, h0]);
        expectAllClose(dx!, numericGradient((v) => loss(v, h0, c0), x), { atol: 2e-3, rtol: 2e-2, label: 'd/dx' });
        expectAllClose(dh!, numericGradient((v) => loss(x, v, c0), h0), { atol: 2e-3, rtol: 2e-2, label: 'd/dh0' });
        if (lstm) expectAllClose(dc!, numericGradient((v) => loss(x, h0, v), c0), { atol: 2e-3, rtol: 2e-2, label: 'd/dc0' });
      }));
      m.dispose();
    }
  });

  it('rejects inputs and states of the wrong shape', () => {
    const gru = new GRU(3, 4);
    const x = tf.zeros([2, 5, 2]);
    expect(() => gru.forward(x)).toThrow(/expected input \[batch, time, 3\]/);
    const ok = tf.zeros([2, 5, 3]);
    const h0 = tf.zeros([1, 3, 4]);
    expect(() => gru.forward(ok, { h0 })).toThrow(/h0 must be \[1,2,4\]/);
    tf.dispose([x, ok, h0]);
    gru.dispose();
  });
});
