import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, Random, ShapeError } from '@tfkit/core-tensor';
import { expectAllClose, expectDirectionalGradients, expectNoLeaks, withBackend } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import type { Seq2SeqConfigInput } from './seq2seq-config.js';
import { Seq2SeqModel } from './seq2seq-model.js';
import { shiftTokensRight } from './seq2seq-modeling.js';
import { BATCH, TINY, VARIANTS } from './seq2seq-test-utils.js';

const read = (t: tf.Tensor) => t.arraySync() as number[][][];

describe.each(['cpu', 'wasm'])('Seq2SeqModel on %s', (backend) => {
  it.each(VARIANTS)('%s: logits and attention shapes; attention rows sum to 1 and are 0 on padding; padding changes nothing', async (_name, variant) => {
    await withBackend(backend, async () => {
      const model = new Seq2SeqModel({ ...TINY, ...variant }, { seed: 1 });
      await expectNoLeaks(() => tf.tidy(() => {
        const out = model.forward({ ...BATCH, outputAttentions: true });
        expect(out.logits.shape).toEqual([2, 4, 11]);
        expect(out.loss!.shape).toEqual([]);
        if (variant.attention === 'none') {
          expect(out.attentions).toBeUndefined();
        } else {
          const att = out.attentions!;
          expect(att.shape).toEqual([2, 4, 5]);
          expectAllClose(tf.sum(att, 2), tf.ones([2, 4]), { atol: 1e-6, label: 'attention row sums' });
          expectAllClose(tf.slice(att, [1, 0, 4], [1, 4, 1]), tf.zeros([1, 4, 1]), { atol: 0, label: 'attention on padding' });
        }
        // Row 1 alone without its pad gives the same logits: padding is skipped by the encoder and masked in attention.
        const alone = model.forward({ inputIds: [BATCH.inputIds[1]!.slice(0, 4)], decoderInputIds: [[1, 7, 8, 2]] });
        const batched = model.forward({ ...BATCH, decoderInputIds: [[1, 4, 5, 6], [1, 7, 8, 2]] });
        expectAllClose(alone.logits, tf.slice(batched.logits, [1, 0, 0], [1, 4, 11]), { atol: 1e-5, label: 'padded row' });
      }), 'forward');
      model.dispose();
    });
  });

  it('the loss is the mean cross-entropy of the labelled positions (−100 ignored) with labels shifted right as decoder inputs', async () => {
    await withBackend(backend, async () => {
      const model = new Seq2SeqModel({ ...TINY, attention: 'bahdanau' }, { seed: 2 });
      await expectNoLeaks(() => tf.tidy(() => {
        const decoderInputIds = shiftTokensRight(BATCH.labels, 0, 1);
        expect(decoderInputIds.arraySync()).toEqual([[1, 4, 5, 6], [1, 7, 8, 2]]);
        const explicit = model.forward({ ...BATCH, decoderInputIds });
        const out = model.forward(BATCH);
        expectAllClose(out.logits, explicit.logits, { atol: 0 });
        const logProbs = read(tf.logSoftmax(out.logits));
        const terms = BATCH.labels.flatMap((row, b) => row.flatMap((id, t) => (id === -100 ? [] : [-logProbs[b]![t]![id]!])));
        expect(terms).toHaveLength(7);
        expect(out.loss!.dataSync()[0]).toBeCloseTo(terms.reduce((a, v) => a + v, 0) / terms.length, 5);
      }));
      model.dispose();
    });
  });

  it('teacher forcing ratio: 0 feeds back the argmax, 0.5 flips a seeded coin per step, 1 reads the gold tokens', async () => {
    await withBackend(backend, async () => {
      const model = new Seq2SeqModel({ ...TINY, cell: 'lstm', attention: 'luong-general', bidirectional: true }, { seed: 3 });
      const gold = [[1, 4, 5, 6, 7, 3], [1, 7, 8, 2, 9, 9]];
      const inputs = { inputIds: BATCH.inputIds, attentionMask: BATCH.attentionMask, decoderInputIds: gold };
      await expectNoLeaks(() => tf.tidy(() => {
        const forced = model.forward(inputs).logits;
        const free = model.forward({ ...inputs, teacherForcingRatio: 0 }).logits;
        expect(tf.max(tf.abs(tf.sub(forced, free))).dataSync()[0]).toBeGreaterThan(1e-3);
        // Free running = teacher forcing on [start, argmax of the previous step…].
        const argmax = tf.argMax(free, 2).arraySync() as number[][];
        const own = gold.map((row, b) => [row[0]!, ...argmax[b]!.slice(0, -1)]);
        expectAllClose(free, model.forward({ ...inputs, decoderInputIds: own }).logits, { atol: 1e-5, label: 'ratio 0' });
        // Ratio 0.5: replay the coin flips (one per step after the first) of the same seed.
        const mixed = model.forward({ ...inputs, teacherForcingRatio: 0.5, rng: new Random(7) }).logits;
        expectAllClose(mixed, model.forward({ ...inputs, teacherForcingRatio: 0.5, rng: new Random(7) }).logits, { atol: 0, label: 'same seed' });
        const coins = new Random(7);
        const flips = gold[0]!.slice(1).map(() => coins.random() < 0.5);
        expect(flips).toContain(true);
        expect(flips).toContain(false);
        const mixedArgmax = tf.argMax(mixed, 2).arraySync() as number[][];
        const replay = gold.map((row, b) => row.map((id, t) => (t === 0 || flips[t - 1] ? id : mixedArgmax[b]![t - 1]!)));
        expectAllClose(mixed, model.forward({ ...inputs, decoderInputIds: replay }).logits, { atol: 1e-5, label: 'ratio 0.5' });
        // Without an rng the model's own generator flips the coins (one per step after the first) and advances.
        const before = model.rng.getState();
        model.forward({ ...inputs, teacherForcingRatio: 0.5 });
        const after = new Random(0);
        after.setState(before);
        gold[0]!.slice(1).forEach(() => after.random());
        expect(model.rng.getState()).toEqual(after.getState());
        // Ratio 1 draws nothing.
        model.forward(inputs);
        expect(model.rng.getState()).toEqual(after.getState());
      }), 'teacher forcing');
      model.dispose();
    });
  });

  it('trains: every parameter gets a gradient, Adam lowers the loss, nothing leaks (dropout on)', async () => {
    await withBackend(backend, async () => {
      const model = new Seq2SeqModel({ ...TINY, cell: 'gru', attention: 'bahdanau', bidirectional: true, dropout: 0.2 }, { seed: 4 });
      const evalLoss = () => tf.tidy(() => model.eval().forward(BATCH).loss!.dataSync()[0]!);
      await expectNoLeaks(() => {
        const initial = evalLoss();
        model.train();
        const named = model.namedParameters();
        const { value, grads } = tf.variableGrads(() => model.forward({ ...BATCH, teacherForcingRatio: 0.8 }).loss!, named.map(([, p]) => p.variable));
        for (const [name, p] of named) {
          const norm = tf.tidy(() => tf.norm(grads[p.variable.name]!).dataSync()[0]!);
          expect(Number.isFinite(norm) && norm > 0, `gradient of ${name}`).toBe(true);
        }
        tf.dispose([value, ...Object.values(grads)]);
        const optimizer = tf.train.adam(0.03);
        for (let i = 0; i < 25; i++) optimizer.minimize(() => model.forward(BATCH).loss!, false, model.trainableVariables());
        optimizer.dispose();
        expect(evalLoss()).toBeLessThan(initial * 0.4);
      }, 'training');
      model.dispose();
    });
  });
});

const GRADIENT_CASES: [string, string, Seq2SeqConfigInput][] = [
  ...VARIANTS.map(([name, variant]) => ['cpu', name, variant] as [string, string, Seq2SeqConfigInput]),
  ['cpu', 'gru + luong-dot, tied output', { cell: 'gru', attention: 'luong-dot', embeddingSize: 8, tieWordEmbeddings: true }],
  ['cpu', 'lstm + luong-dot, 1 layer', { cell: 'lstm', attention: 'luong-dot', numLayers: 1 }],
  ['cpu', 'rnn + bahdanau, 1 layer, bidirectional', { cell: 'rnn', attention: 'bahdanau', numLayers: 1, bidirectional: true }],
  ['wasm', 'gru + bahdanau, bidirectional', VARIANTS[0]![1]],
  ['wasm', 'lstm + luong-general, bidirectional', VARIANTS[1]![1]],
];

describe('Seq2SeqModel gradients', () => {
  it.each(GRADIENT_CASES)(
    'on %s, %s: match finite differences for every parameter along a random direction',
    (backend, _name, variant) => withBackend(backend, async () => {
      const model = new Seq2SeqModel({ ...TINY, ...variant }, { seed: 5 });
      const loss = () => model.forward(BATCH).loss!;
      await expectNoLeaks(() => {
        const named = model.namedParameters();
        const { value, grads } = tf.variableGrads(loss, named.map(([, p]) => p.variable));
        expectDirectionalGradients(named, loss, (_name, p) => grads[p.variable.name]!, { rng: new Random(6), atol: 3e-3, rtol: 3e-2 });
        tf.dispose([value, ...Object.values(grads)]);
      }, 'gradient check');
      model.dispose();
    }),
  );
});

describe('Seq2SeqModel errors', () => {
  it('rejects bad ids, masks, ratios and missing targets with typed errors', async () => {
    const model = new Seq2SeqModel({ ...TINY, attention: 'bahdanau' });
    await expectNoLeaks(() => {
      expect(() => model.forward({ ...BATCH, inputIds: [[5, 13, 2, 2, 2], [1, 2, 3, 4, 5]] })).toThrow(ShapeError);
      expect(() => model.forward({ ...BATCH, inputIds: [[5, 13, 2, 2, 2], [1, 2, 3, 4, 5]] })).toThrow(/inputIds\[0\]\[1\] = 13 is outside the vocabulary \[0, 13\) \(src_vocab_size\)/);
      expect(() => model.forward({ ...BATCH, labels: [[4, 5, 11, 2], [7, 8, 2, -100]] })).toThrow(/labels\[0\]\[2\] = 11 is outside the vocabulary .* and is not -100/);
      expect(() => model.forward({ ...BATCH, attentionMask: [[1, 1, 1, 1]] })).toThrow(/attentionMask is \[1,4\], expected \[2,5\]/);
      expect(() => model.forward({ inputIds: BATCH.inputIds })).toThrow(/pass decoderInputIds or labels/);
      expect(() => model.forward({ ...BATCH, teacherForcingRatio: 1.5 })).toThrow(ConfigError);
      expect(() => model.forward({ ...BATCH, decoderInputIds: [[1, 2, 3]] })).toThrow(/1 decoder rows for 2 source rows/);
      expect(() => model.forward({ ...BATCH, decoderInputIds: [[1, 2, 3], [1, 2, 3]] })).toThrow(/labels are \[2,4\], the decoder reads \[2,3\]/);
    });
    model.dispose();
  });
});
