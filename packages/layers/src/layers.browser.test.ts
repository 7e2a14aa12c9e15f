// Every trainable block on webgl (SwiftShader in Chromium): outputs, the gradient of every
// parameter and of the input within 1e-3 of the cpu backend, and no tensors left behind.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadGradients, Random } from '@tfkit/core-tensor';
import { expectAllClose } from '@tfkit/test-utils';
import type { Module} from './index.js';
import { GRU, LSTM, TransformerDecoderLayer, TransformerEncoderLayer } from './index.js';

interface Case {
  name: string;
  build(): Module;
  /** The block's output for input `x` (a scalar-reducible tensor). */
  run(module: Module, x: tf.Tensor): tf.Tensor;
  inputShape: number[];
}

const mask = () => tf.tensor2d([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], [2, 5], 'int32');
const rng = () => new Random(7);

const CASES: Case[] = [
  {
    name: 'post-LN encoder layer with a padding mask',
    build: () => new TransformerEncoderLayer({ dModel: 16, numHeads: 4, ffnDim: 32, dropout: 0, rng: rng() }),
    run: (m, x) => (m as TransformerEncoderLayer).forward(x, { attentionMask: mask() }).output,
    inputShape: [2, 5, 16],
  },
  {
    name: 'pre-LN decoder layer, causal self-attention + cross-attention',
    build: () => new TransformerDecoderLayer({ dModel: 16, numHeads: 2, ffnDim: 32, dropout: 0, normFirst: true, rng: rng() }),
    run: (m, x) => (m as TransformerDecoderLayer).forward(x, { encoderHiddenStates: tf.sin(tf.reshape(tf.range(0, 2 * 3 * 16), [2, 3, 16])) }).output,
    inputShape: [2, 5, 16],
  },
  {
    name: 'bidirectional 2-layer GRU',
    build: () => new GRU(16, 8, { numLayers: 2, bidirectional: true, rng: rng() }),
    run: (m, x) => (m as GRU).forward(x, { mask: mask() }).output,
    inputShape: [2, 5, 16],
  },
  {
    name: '2-layer LSTM',
    build: () => new LSTM(16, 8, { numLayers: 2, rng: rng() }),
    run: (m, x) => (m as LSTM).forward(x).output,
    inputShape: [2, 5, 16],
  },
];

/** Loss = Σ output ⊙ fixed weights; returns the loss and the gradients of the input and every parameter. */
function lossAndGrads(c: Case, module: Module, xData: Float32Array) {
  return tf.tidy(() => {
    const x = tf.tensor(xData, c.inputShape);
    const params = module.namedParameters();
    const f = (input: tf.Tensor, ...weights: tf.Tensor[]) => {
      void weights; // the parameters are read through the module; listing them makes tf.grads differentiate them
      const out = c.run(module, input);
      const w = tf.cos(tf.reshape(tf.range(0, out.size), out.shape));
      return tf.sum(tf.mul(out, w)) as tf.Scalar;
    };
    const { value, grads } = tf.valueAndGrads(f)([x, ...params.map(([, p]) => p.variable)]);
    return {
      loss: value.dataSync()[0] as number,
      grads: Object.fromEntries([['input', grads[0]!.dataSync().slice()], ...params.map(([n], i) => [n, grads[i + 1]!.dataSync().slice()])]) as Record<string, Float32Array>,
    };
  });
}

describe('layers on webgl in Chromium', () => {
  beforeAll(async () => {
    await loadGradients();
  });

  for (const c of CASES) {
    it(`${c.name}: loss and every gradient within 1e-3 of cpu`, async () => {
      await tf.setBackend('cpu');
      const module = c.build();
      const size = c.inputShape.reduce((a, b) => a * b, 1);
      const r = new Random(3);
      const x = Float32Array.from({ length: size }, () => r.normal(0, 1));
      const want = lossAndGrads(c, module, x);
      expect(await tf.setBackend('webgl')).toBe(true);
      await tf.ready();
      expect(tf.getBackend()).toBe('webgl');
      const before = tf.memory().numTensors;
      const got = lossAndGrads(c, module, x);
      expect(tf.memory().numTensors).toBe(before);
      expect(Math.abs(got.loss - want.loss)).toBeLessThanOrEqual(1e-3 * Math.max(1, Math.abs(want.loss)));
      for (const name of Object.keys(want.grads)) expectAllClose(got.grads[name]!, want.grads[name]!, { atol: 1e-3, rtol: 1e-3, label: `d${name}` });
      module.dispose();
    });
  }
});
