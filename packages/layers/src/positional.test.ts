import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectAllClose, expectNoLeaks } from '@tfkit/test-utils';
import { Random } from '@tfkit/core-tensor';
import { LearnedPositionalEmbedding, SinusoidalPositionalEncoding, sinusoidalPositionEncoding } from './positional.js';

describe('positional encodings', () => {
  it('sinusoids: PE(i, 2k) = sin(i / 10000^{2k/d}), PE(i, 2k+1) = cos(i / 10000^{2k/d})', async () => {
    await expectNoLeaks(() => tf.tidy(() => {
      const d = 6;
      const pe = sinusoidalPositionEncoding(5, d).arraySync();
      for (const [i, k] of [[0, 0], [1, 0], [3, 1], [4, 2]] as const) {
        const angle = i / 10000 ** ((2 * k) / d);
        expect(pe[i]![2 * k]).toBeCloseTo(Math.sin(angle), 6);
        expect(pe[i]![2 * k + 1]).toBeCloseTo(Math.cos(angle), 6);
      }
      expect(pe[0]).toEqual([0, 1, 0, 1, 0, 1]);
      // An odd width ends with a sine column.
      expect(sinusoidalPositionEncoding(2, 3).arraySync()[1]![2]).toBeCloseTo(Math.sin(1 / 10000 ** (2 / 3)), 6);
    }));
  });

  it("the 'halves' layout (Marian): every sine first, the cosines of the same angles after them", async () => {
    await expectNoLeaks(() => tf.tidy(() => {
      for (const d of [6, 5]) {
        const interleaved = sinusoidalPositionEncoding(7, d, { offset: 3 }).arraySync();
        const halves = sinusoidalPositionEncoding(7, d, { offset: 3, layout: 'halves' }).arraySync();
        for (let i = 0; i < 7; i++) {
          // Hugging Face's MarianSinusoidalPositionalEmbedding._init_weight, position i + 3.
          const angles = Array.from({ length: d }, (_, j) => (i + 3) / 10000 ** ((2 * Math.floor(j / 2)) / d));
          const want = [...angles.filter((_, j) => j % 2 === 0).map(Math.sin), ...angles.filter((_, j) => j % 2 === 1).map(Math.cos)];
          expectAllClose(halves[i]!, want, { atol: 1e-6, label: `d ${d}, row ${i}` });
          expectAllClose(halves[i]!, [...interleaved[i]!.filter((_, j) => j % 2 === 0), ...interleaved[i]!.filter((_, j) => j % 2 === 1)], { atol: 0 });
          expect(halves[i]!.length).toBe(d);
        }
      }
    }));
  });

  it('SinusoidalPositionalEncoding adds the table, shifted by pastLength', async () => {
    const enc = new SinusoidalPositionalEncoding(4);
    expect(enc.parameterCount()).toBe(0);
    await expectNoLeaks(() => tf.tidy(() => {
      const x = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 1);
      expectAllClose(enc.forward(x), tf.add(x, sinusoidalPositionEncoding(3, 4)), { atol: 1e-6 });
      expectAllClose(enc.forward(tf.slice(x, [0, 2, 0], [2, 1, 4]), { pastLength: 2 }), tf.slice(enc.forward(x), [0, 2, 0], [2, 1, 4]), { atol: 1e-6 });
    }));
  });

  it('learned positions read row p + offset (BART offset 2) and are trainable', async () => {
    const pos = new LearnedPositionalEmbedding(6, 3, { offset: 2, rng: new Random(2) });
    expect(pos.weight.shape).toEqual([8, 3]);
    await expectNoLeaks(() => tf.tidy(() => {
      const table = pos.weight.value;
      expectAllClose(pos.forward(tf.tensor1d([0, 3], 'int32')), tf.gather(table, [2, 5]), { atol: 0 });
      expectAllClose(pos.range(2, 3), tf.slice(table, [5, 0], [2, 3]), { atol: 0 });
      const { grads, value } = tf.variableGrads(() => tf.sum(pos.range(2, 1)) as tf.Scalar, pos.trainableVariables());
      expectAllClose(tf.sum(grads[pos.weight.variable.name] as tf.Tensor, 1), [0, 0, 0, 3, 3, 0, 0, 0], { atol: 0 });
      value.dispose();
    }));
    expect(() => pos.range(3, 4)).toThrow(/holds 6/);
    pos.dispose();
  });
});
