import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectAllClose, expectNoLeaks, withBackend } from '@tfkit/test-utils';
import { Random, gelu } from '@tfkit/core-tensor';
import { KVCache } from './kv-cache.js';
import { TransformerDecoderLayer, TransformerEncoderLayer, type TransformerLayerOptions } from './transformer-layers.js';

const BACKENDS = ['cpu', 'wasm'] as const;
const config = (normFirst: boolean, seed: number): TransformerLayerOptions => ({ dModel: 8, numHeads: 2, ffnDim: 16, normFirst, initStd: 0.5, rng: new Random(seed) });

describe('TransformerEncoderLayer', () => {
  it.each([false, true])('normFirst=%s composes attention, FFN, residuals and LayerNorm in the documented order', async (normFirst) => {
    const layer = new TransformerEncoderLayer(config(normFirst, 1));
    await expectNoLeaks(() => tf.tidy(() => {
      const x = tf.randomNormal([2, 4, 8], 0, 1, 'float32', 2);
      const mask = tf.tensor2d([[1, 1, 1, 1], [1, 1, 1, 0]], undefined, 'int32');
      const attn = (y: tf.Tensor) => layer.self_attn.forward(y, { attentionMask: mask }).output;
      const ffn = (y: tf.Tensor) => layer.fc2.forward(gelu(layer.fc1.forward(y)));
      const ln1 = (y: tf.Tensor) => layer.self_attn_layer_norm.forward(y);
      const ln2 = (y: tf.Tensor) => layer.final_layer_norm.forward(y);
      let expected: tf.Tensor;
      if (normFirst) {
        const h = tf.add(x, attn(ln1(x)));
        expected = tf.add(h, ffn(ln2(h)));
      } else {
        const h = ln1(tf.add(x, attn(x)));
        expected = ln2(tf.add(h, ffn(h)));
      }
      const out = layer.forward(x, { attentionMask: mask, outputAttentions: true });
      expectAllClose(out.output, expected, { atol: 1e-5 });
      expect(out.attentions?.shape).toEqual([2, 2, 4, 4]);
    }));
    layer.dispose();
  });

  it('uses BART parameter names', () => {
    const layer = new TransformerEncoderLayer(config(false, 3));
    expect(layer.namedParameters().map(([n]) => n)).toEqual([
      'self_attn.q_proj.weight', 'self_attn.q_proj.bias', 'self_attn.k_proj.weight', 'self_attn.k_proj.bias',
      'self_attn.v_proj.weight', 'self_attn.v_proj.bias', 'self_attn.out_proj.weight', 'self_attn.out_proj.bias',
      'self_attn_layer_norm.weight', 'self_attn_layer_norm.bias', 'fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias',
      'final_layer_norm.weight', 'final_layer_norm.bias',
    ]);
    layer.dispose();
  });

  it.each(BACKENDS)('forward and backward leave no tensors; dropout only in training (%s)', async (backend) => {
    await withBackend(backend, async () => {
      const layer = new TransformerEncoderLayer({ ...config(false, 4), dropout: 0.5 });
      const x = tf.randomNormal([2, 4, 8], 0, 1, 'float32', 5);
      await expectNoLeaks(() => {
        const a = layer.forward(x);
        const b = layer.forward(x);
        expectAllClose(a.output, b.output, { atol: 0 }); // eval: deterministic
        layer.train();
        const c = layer.forward(x);
        expect(tf.tidy(() => tf.max(tf.abs(tf.sub(c.output, a.output))).dataSync()[0])).toBeGreaterThan(1e-3);
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(layer.forward(x).output)) as tf.Scalar, layer.trainableVariables());
        expect(Object.keys(grads)).toHaveLength(16);
        layer.eval();
        tf.dispose([a.output, b.output, c.output, value, ...Object.values(grads)]);
      });
      x.dispose();
      layer.dispose();
    });
  });
});

describe('TransformerDecoderLayer', () => {
  it.each(BACKENDS)('cached incremental decoding equals the full forward, position by position (%s)', async (backend) => {
    await withBackend(backend, async () => {
      for (const normFirst of [false, true]) {
        const layer = new TransformerDecoderLayer(config(normFirst, 6));
        await expectNoLeaks(() => {
          const cache = { self: new KVCache(), cross: new KVCache() };
          tf.tidy(() => {
            const y = tf.randomNormal([2, 5, 8], 0, 1, 'float32', 7);
            const enc = tf.randomNormal([2, 3, 8], 0, 1, 'float32', 8);
            const encMask = tf.tensor2d([[1, 1, 1], [1, 1, 0]], undefined, 'int32');
            const full = layer.forward(y, { encoderHiddenStates: enc, encoderAttentionMask: encMask, outputAttentions: true });
            expect(full.crossAttentions?.shape).toEqual([2, 2, 5, 3]);
            for (let t = 0; t < 5; t++) {
              const step = layer.forward(tf.slice(y, [0, t, 0], [2, 1, 8]), { encoderHiddenStates: enc, encoderAttentionMask: encMask, cache });
              expectAllClose(step.output, tf.slice(full.output, [0, t, 0], [2, 1, 8]), { atol: 1e-5, label: `normFirst=${normFirst} step ${t}` });
            }
            expect(cache.self.length).toBe(5);
            // Causal: changing the last decoder token leaves earlier positions unchanged.
            const changed = tf.concat([tf.slice(y, [0, 0, 0], [2, 4, 8]), tf.zeros([2, 1, 8])], 1);
            const again = layer.forward(changed, { encoderHiddenStates: enc, encoderAttentionMask: encMask });
            expectAllClose(tf.slice(again.output, [0, 0, 0], [2, 4, 8]), tf.slice(full.output, [0, 0, 0], [2, 4, 8]), { atol: 1e-6 });
            // Encoder padding changes nothing: row 1 with its padded encoder position altered.
            const enc2 = tf.concat([tf.slice(enc, [0, 0, 0], [2, 2, 8]), tf.fill([2, 1, 8], 9)], 1);
            const padded = layer.forward(y, { encoderHiddenStates: enc2, encoderAttentionMask: encMask });
            expectAllClose(tf.slice(padded.output, [1, 0, 0], [1, 5, 8]), tf.slice(full.output, [1, 0, 0], [1, 5, 8]), { atol: 1e-5 });
          });
          cache.self.dispose();
          cache.cross.dispose();
        });
        layer.dispose();
      }
    });
  });

  it('without cross-attention it is a GPT-style block', async () => {
    const layer = new TransformerDecoderLayer({ ...config(true, 9), crossAttention: false });
    expect(layer.namedParameters().some(([n]) => n.startsWith('encoder_attn'))).toBe(false);
    await expectNoLeaks(() => {
      const x = tf.randomNormal([1, 3, 8], 0, 1, 'float32', 10);
      const out = layer.forward(x, { outputAttentions: true });
      expect(out.output.shape).toEqual([1, 3, 8]);
      expect(out.crossAttentions).toBeUndefined();
      tf.dispose([x, out.output, out.attentions as tf.Tensor]);
    });
    layer.dispose();
  });
});
