import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectAllClose, expectNoLeaks, withBackend } from '@tfkit/test-utils';
import { Random } from '@tfkit/core-tensor';
import { ImageEmbeddings, PatchEmbedding, bicubicMatrix, interpolatePositionEmbeddings } from './patch-embedding.js';

describe('PatchEmbedding', () => {
  it('equals a stride-p Conv2d loaded from a PyTorch [out, C, p, p] weight', async () => {
    const pe = new PatchEmbedding({ imageSize: [8, 12], patchSize: 4, numChannels: 3, hiddenSize: 5 });
    const convWeight = tf.randomNormal([5, 3, 4, 4], 0, 1, 'float32', 1);
    const bias = tf.randomNormal([5], 0, 1, 'float32', 2);
    pe.loadStateDict(new Map([['projection.weight', convWeight], ['projection.bias', bias]]));
    await expectNoLeaks(() => tf.tidy(() => {
      const pixels = tf.randomNormal([2, 3, 8, 12], 0, 1, 'float32', 3); // NCHW, like HF pixel_values
      const conv = tf.conv2d(tf.transpose(pixels, [0, 2, 3, 1]) as tf.Tensor4D, tf.transpose(convWeight, [2, 3, 1, 0]) as tf.Tensor4D, 4, 'valid');
      const expected = tf.reshape(tf.add(conv, bias), [2, 6, 5]);
      expectAllClose(pe.forward(pixels), expected, { atol: 1e-4 });
      const saved = pe.stateDict().get('projection.weight') as tf.Tensor;
      expectAllClose(saved, convWeight, { atol: 0 });
    }));
    expect(() => tf.tidy(() => pe.forward(tf.zeros([1, 3, 10, 12])))).toThrow(/multiple of the patch size/);
    tf.dispose([convWeight, bias]);
    pe.dispose();
  });

  it('initStd draws the projection from N(0, std²) with a zero bias (Hugging Face ViT init)', async () => {
    const pe = new PatchEmbedding({ imageSize: 16, patchSize: 8, numChannels: 3, hiddenSize: 64, initStd: 0.3, rng: new Random(9) });
    await expectNoLeaks(() => tf.tidy(() => {
      const { mean, variance } = tf.moments(pe.projection.weight.value);
      expect(Math.abs(mean.dataSync()[0]!)).toBeLessThan(0.02);
      expect(Math.sqrt(variance.dataSync()[0]!)).toBeCloseTo(0.3, 1);
      expectAllClose(pe.projection.bias!.value, tf.zeros([64]), { atol: 0 });
    }));
    pe.dispose();
  });

  it.each(['cpu', 'wasm'] as const)('has gradients on %s (no Conv2DBackpropFilter needed)', async (backend) => {
    await withBackend(backend, async () => {
      const emb = new ImageEmbeddings({ imageSize: 8, patchSize: 4, numChannels: 2, hiddenSize: 3, rng: new Random(4) });
      const pixels = tf.randomNormal([2, 2, 8, 8], 0, 1, 'float32', 5);
      await expectNoLeaks(() => {
        const out = emb.forward(pixels);
        expect(out.shape).toEqual([2, 5, 3]);
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(emb.forward(pixels))) as tf.Scalar, emb.trainableVariables());
        expect(Object.keys(grads)).toHaveLength(4);
        tf.dispose([out, value, ...Object.values(grads)]);
      });
      expect(emb.namedParameters().map(([n]) => n)).toEqual(['cls_token', 'position_embeddings', 'patch_embeddings.projection.weight', 'patch_embeddings.projection.bias']);
      pixels.dispose();
      emb.dispose();
    });
  });
});

describe('position interpolation', () => {
  it('follows PyTorch bicubic (A = −0.75, align_corners=False): a hand-computed 2 → 4 resize', async () => {
    await expectNoLeaks(() => tf.tidy(() => {
      // Output 0 samples source −0.25: all taps clamp to index 0 except x = 1 at distance 1.25,
      // whose weight is ((A·1.25 − 5A)·1.25 + 8A)·1.25 − 4A = −0.10546875.
      const m = bicubicMatrix(2, 4).arraySync();
      expect(m[0]![1]).toBeCloseTo(-0.10546875, 7);
      expect(m[0]![0]).toBeCloseTo(1.10546875, 7);
      // Output 1 samples 0.25: index 1 gets the taps at distances 0.75 and 1.75: 0.26171875 − 0.03515625.
      expect(m[1]![1]).toBeCloseTo(0.2265625, 7);
      for (const row of bicubicMatrix(5, 9).arraySync()) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
      // Same size, scale 1: the identity.
      const grid = tf.randomNormal([6, 2], 0, 1, 'float32', 6);
      expectAllClose(interpolatePositionEmbeddings(grid, [2, 3], [2, 3]), grid, { atol: 1e-6 });
      // Separable: resizing rows only equals the 1-D matrix applied per column.
      const rowsOnly = interpolatePositionEmbeddings(grid, [2, 3], [4, 3]);
      const byHand = tf.reshape(tf.matMul(bicubicMatrix(2, 4), tf.reshape(grid, [2, 6])), [12, 2]);
      expectAllClose(rowsOnly, byHand, { atol: 1e-6 });
    }));
  });

  it('ImageEmbeddings interpolates position embeddings for other image sizes when asked', async () => {
    const emb = new ImageEmbeddings({ imageSize: 8, patchSize: 4, numChannels: 1, hiddenSize: 3, rng: new Random(7) });
    await expectNoLeaks(() => tf.tidy(() => {
      const big = tf.randomNormal([1, 1, 12, 16], 0, 1, 'float32', 8);
      expect(() => emb.forward(big)).toThrow(/interpolatePosEncoding/);
      const out = emb.forward(big, { interpolatePosEncoding: true });
      expect(out.shape).toEqual([1, 1 + 12, 3]);
      // The [CLS] row keeps its own position vector.
      const patches = emb.patch_embeddings.forward(big);
      expectAllClose(tf.slice(out, [0, 0, 0], [1, 1, 3]), tf.add(emb.cls_token.value, tf.slice(emb.position_embeddings.value, [0, 0, 0], [1, 1, 3])), { atol: 1e-6 });
      expect(tf.slice(out, [0, 1, 0], [1, 12, 3]).shape).toEqual(patches.shape);
    }));
    emb.dispose();
  });
});
