import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '@tfkit/core-tensor';
import { InputError } from '@tfkit/layers';
import { expectAllClose, expectNoLeaks } from '@tfkit/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { Transformer } from './transformer-model.js';
import { SEPARATE_VOCABULARIES, TINY_TRANSFORMER, TRANSFORMER_BATCH } from './transformer-test-utils.js';

const { inputIds, attentionMask, labels } = TRANSFORMER_BATCH;
const decoderInputIds = [[1, 4, 5, 12, 6], [1, 7, 8, 2, 0]];

/** Row `r` of a `[B, T, V]` output, as arrays. */
const row = (t: tf.Tensor, r: number) => (t.arraySync() as number[][][])[r]!;

describe('Transformer (Vaswani et al., 2017) forward pass', () => {
  const model = new Transformer(TINY_TRANSFORMER, { seed: 3 });
  afterAll(() => model.dispose());

  it.each([[1, 1], [3, 7], [6, 2]])('shapes for %i source and %i target tokens, with every hidden state and attention map', async (s, t) => {
    await expectNoLeaks(() => tf.tidy(() => {
      const src = [Array.from({ length: s }, (_, i) => 3 + i), Array.from({ length: s }, (_, i) => 10 + i)];
      const dec = [Array.from({ length: t }, (_, i) => 1 + i), Array.from({ length: t }, (_, i) => 5 + i)];
      const out = model.forward({ inputIds: src, decoderInputIds: dec, outputAttentions: true, outputHiddenStates: true });
      expect(out.logits.shape).toEqual([2, t, 20]);
      expect(out.encoderLastHiddenState.shape).toEqual([2, s, 16]);
      expect(out.encoderHiddenStates!.map((h) => h.shape)).toEqual(Array(3).fill([2, s, 16]));
      expect(out.decoderHiddenStates!.map((h) => h.shape)).toEqual(Array(3).fill([2, t, 16]));
      expect(out.encoderAttentions!.map((a) => a.shape)).toEqual(Array(2).fill([2, 4, s, s]));
      expect(out.decoderAttentions!.map((a) => a.shape)).toEqual(Array(2).fill([2, 2, t, t]));
      expect(out.crossAttentions!.map((a) => a.shape)).toEqual(Array(2).fill([2, 2, t, s]));
      expect(out.loss).toBeUndefined();
    }));
  });

  it('source padding is invisible: more pads, or other ids under them, leave a row’s logits as they were, and cross-attention gives them 0', async () => {
    await expectNoLeaks(() => tf.tidy(() => {
      const alone = model.forward({ inputIds: [[9, 4, 3, 2]], decoderInputIds: [decoderInputIds[1]!] }).logits;
      const padded = model.forward({ inputIds, attentionMask, decoderInputIds, outputAttentions: true });
      expectAllClose(row(padded.logits, 1), row(alone, 0), { atol: 1e-5, label: 'padded row vs the row alone' });
      const otherPads = model.forward({ inputIds: [[...inputIds[0]!, 0, 0], [9, 4, 3, 2, 17, 11, 0, 0]], attentionMask: [[1, 1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 0, 0, 0, 0]], decoderInputIds });
      expectAllClose(row(otherPads.logits, 1), row(alone, 0), { atol: 1e-5, label: 'longer padding, other ids under it' });
      expectAllClose(row(otherPads.logits, 0), row(padded.logits, 0), { atol: 1e-5, label: 'the unpadded row' });
      for (const cross of padded.crossAttentions!) expectAllClose(tf.slice(cross, [1, 0, 0, 4], [1, -1, -1, 2]), tf.zeros([1, 2, 5, 2]), { atol: 0 });
    }));
  });

  it('the decoder is causal: a later target token changes no earlier position’s logits', async () => {
    await expectNoLeaks(() => tf.tidy(() => {
      const a = model.forward({ inputIds, attentionMask, decoderInputIds }).logits;
      for (const k of [1, 3, 4]) {
        const changed = decoderInputIds.map((r) => r.map((id, t) => (t === k ? (id + 7) % 20 : id)));
        const b = model.forward({ inputIds, attentionMask, decoderInputIds: changed }).logits;
        expectAllClose(tf.slice(b, [0, 0, 0], [2, k, -1]), tf.slice(a, [0, 0, 0], [2, k, -1]), { atol: 1e-6, label: `positions before ${k}` });
        const after = tf.max(tf.abs(tf.sub(tf.slice(b, [0, k, 0], [2, 1, -1]), tf.slice(a, [0, k, 0], [2, 1, -1])))).dataSync()[0]!;
        expect(after, `position ${k} reads the changed token`).toBeGreaterThan(1e-3);
      }
    }));
  });

  it('labels: decoder inputs are the labels shifted right behind decoder_start_token_id; the loss is the mean cross-entropy over labelled positions', async () => {
    await expectNoLeaks(() => tf.tidy(() => {
      const out = model.forward({ inputIds, attentionMask, labels });
      const explicit = model.forward({ inputIds, attentionMask, decoderInputIds });
      expectAllClose(out.logits, explicit.logits, { atol: 0 });
      const logp = tf.logSoftmax(out.logits).arraySync() as number[][][];
      const picked = labels.flatMap((r, b) => r.flatMap((id, t) => (id === -100 ? [] : [-logp[b]![t]![id]!])));
      expect(picked).toHaveLength(8);
      expect(out.loss!.dataSync()[0]).toBeCloseTo(picked.reduce((a, v) => a + v) / picked.length, 5);
      expect(() => model.forward({ inputIds, attentionMask, labels: [[1, 2], [3, 4]], decoderInputIds })).toThrow(ShapeError);
    }));
  });

  it('every trainable weight gets a gradient from the loss (both stacks, tied table, no leaks)', async () => {
    await expectNoLeaks(() => {
      const { value, grads } = tf.variableGrads(() => model.forward({ inputIds, attentionMask, labels }).loss!, model.trainableVariables());
      const byName = new Map(model.namedParameters().map(([n, p]) => [p.variable.name, n]));
      const norms = Object.entries(grads).map(([v, g]) => [byName.get(v), tf.tidy(() => tf.norm(g).dataSync()[0]!)] as const);
      expect(norms).toHaveLength(model.trainableVariables().length);
      expect(norms.filter(([, n]) => !(n > 0)).map(([name]) => name)).toEqual([]);
      expect(model.trainableVariables().length).toBe(model.namedParameters().length - 1); // all but final_logits_bias
      tf.dispose([value, ...Object.values(grads)]);
    }, 'gradients');
  });

  it('inputs are checked: ids outside either vocabulary, masks of another shape, positions past max_position_embeddings', () => {
    expect(() => model.forward({ inputIds: [[3, 20]], decoderInputIds: [[1]] })).toThrow(/inputIds\[0\]\[1\] = 20 is outside the vocabulary \[0, 20\)/);
    expect(() => model.forward({ inputIds: [[3, 4]], attentionMask: [[1, 1, 1]], decoderInputIds: [[1]] })).toThrow(InputError);
    expect(() => model.forward({ inputIds: [[3, 4]], labels: [[3, 25]] })).toThrow(/labels\[0\]\[1\] = 25 is outside the vocabulary \[0, 20\) \(decoder_vocab_size\)/);
    expect(() => model.forward({ inputIds: [Array(33).fill(3)], decoderInputIds: [[1]] })).toThrow(/33 positions exceed max_position_embeddings 32/);
    expect(() => model.forward({ inputIds: [[3]] })).toThrow(/pass decoderInputIds or labels/);
  });
});

describe('Transformer with separate source and target vocabularies', () => {
  it('two token tables and an untied projection to the 13 target tokens; source ids above the target vocabulary are fine', async () => {
    const model = new Transformer(SEPARATE_VOCABULARIES, { seed: 4 });
    expect(model.config.shareEncoderDecoderEmbeddings).toBe(false);
    expect(model.model.shared).toBeNull();
    expect(model.model.encoder.embed_tokens.weight.shape).toEqual([20, 16]);
    expect(model.model.decoder.embed_tokens.weight.shape).toEqual([13, 16]);
    expect(model.lm_head.weight).not.toBe(model.model.decoder.embed_tokens.weight);
    await expectNoLeaks(() => tf.tidy(() => {
      const out = model.forward({ inputIds, attentionMask, labels });
      expect(out.logits.shape).toEqual([2, 5, 13]);
      expect(Number.isFinite(out.loss!.dataSync()[0])).toBe(true);
    }));
    expect(() => model.forward({ inputIds, attentionMask, decoderInputIds: [[1, 15]] })).toThrow(/decoderInputIds\[0\]\[1\] = 15 is outside the vocabulary \[0, 13\) \(decoder_vocab_size\)/);
    const tied = new Transformer({ ...SEPARATE_VOCABULARIES, tieWordEmbeddings: true });
    expect(tied.lm_head.weight).toBe(tied.model.decoder.embed_tokens.weight);
    model.dispose();
    tied.dispose();
  });
});
