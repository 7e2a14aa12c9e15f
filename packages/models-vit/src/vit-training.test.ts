import * as tf from '@tensorflow/tfjs-core';
import { Random, ShapeError } from '@tfkit/core-tensor';
import { expectAllClose, expectDirectionalGradients, expectNoLeaks, fixturePath, numericGradient, withBackend } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { ViTForImageClassification } from './vit-heads.js';
import type { ViTConfigInput } from './vit-config.js';

const tiny: ViTConfigInput = {
  hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 32, imageSize: 8, patchSize: 4, numChannels: 3,
  numLabels: 3, initializerRange: 0.2,
};

/** Images whose class is the channel that is brighter than the others, under noise: `[n, 3, 8, 8]`, labels `[n]`. */
function brightestChannelTask(n: number, seed: number): { pixels: number[][][][]; labels: number[] } {
  const rng = new Random(seed);
  const labels = Array.from({ length: n }, (_, i) => i % 3);
  const pixels = labels.map((k) => Array.from({ length: 3 }, (_, c) =>
    Array.from({ length: 8 }, () => Array.from({ length: 8 }, () => rng.normal(0, 0.5) + (c === k ? 0.8 : 0)))));
  return { pixels, labels };
}

/** Gradients of `loss` for every trainable variable, keyed by parameter name. */
function gradsByName(model: ViTForImageClassification, loss: () => tf.Scalar) {
  const named = model.namedParameters({ trainableOnly: true });
  const { value, grads } = tf.variableGrads(loss, named.map(([, p]) => p.variable));
  return { value, grads: new Map(named.map(([n, p]) => [n, grads[p.variable.name] as tf.Tensor])) };
}

describe.each(['cpu', 'wasm'])('ViT training on %s', (backend) => {
  it('gradients reach every parameter (patch projection and [CLS] included) and Adam drives the loss down', async () => {
    await withBackend(backend, async () => {
      const model = new ViTForImageClassification({ ...tiny, hiddenDropoutProb: 0.1, attentionProbsDropoutProb: 0.1 }, { seed: 1 });
      const { pixels, labels } = brightestChannelTask(12, 2);
      const pixelValues = tf.tensor4d(pixels);
      const evalLoss = () => tf.tidy(() => model.eval().forward({ pixelValues, labels }).loss!.dataSync()[0]!);
      await expectNoLeaks(async () => {
        const initial = evalLoss();
        expect(initial).toBeGreaterThan(0.7); // ≈ ln 3 for an untrained head
        model.train();
        const { value, grads } = gradsByName(model, () => model.forward({ pixelValues, labels }).loss!);
        expect(grads.size).toBe(model.namedParameters().length);
        for (const [name, g] of grads) {
          const norm = tf.tidy(() => tf.norm(g).dataSync()[0]!);
          expect(Number.isFinite(norm) && norm > 0, `gradient of ${name}`).toBe(true);
        }
        expect(grads.get('vit.embeddings.patch_embeddings.projection.weight')!.shape).toEqual([48, 16]);
        expect(grads.get('vit.embeddings.cls_token')!.shape).toEqual([1, 1, 16]);
        tf.dispose([value, ...grads.values()]);

        const optimizer = tf.train.adam(0.01);
        for (let step = 0; step < 25; step++) {
          const loss = optimizer.minimize(() => model.forward({ pixelValues, labels }).loss!, true, model.trainableVariables())!;
          loss.dispose();
        }
        optimizer.dispose();
        expect(evalLoss()).toBeLessThan(initial * 0.3);
      }, 'training');
      pixelValues.dispose();
      model.dispose();
    });
  });

  it('analytic gradients match finite differences: every parameter along a random direction, and the pixels', async () => {
    await withBackend(backend, async () => {
      const model = new ViTForImageClassification({ ...tiny, hiddenSize: 8, intermediateSize: 16, hiddenAct: 'gelu' }, { seed: 4 });
      const { pixels, labels } = brightestChannelTask(3, 5);
      const pixelValues = tf.tensor4d(pixels);
      const loss = (px: tf.Tensor = pixelValues) => model.forward({ pixelValues: px, labels }).loss!;
      await expectNoLeaks(() => {
        const { value, grads } = gradsByName(model, () => loss());
        const eps = 1e-2;
        expectDirectionalGradients(model.namedParameters(), () => loss(), (name) => grads.get(name)!, { rng: new Random(6), eps, atol: 2e-3, rtol: 2e-2 });
        tf.dispose([value, ...grads.values()]);

        const dPixels = tf.grad((px: tf.Tensor) => loss(px))(pixelValues);
        const sample = tf.slice(pixelValues, [0, 0, 0, 0], [1, 3, 8, 8]);
        const rest = tf.slice(pixelValues, [1, 0, 0, 0], [2, 3, 8, 8]);
        const numeric = numericGradient((first) => loss(tf.concat([first, rest], 0)), sample, eps);
        const analytic = tf.tidy(() => tf.slice(dPixels, [0, 0, 0, 0], [1, 3, 8, 8]).dataSync());
        expectAllClose(analytic, numeric, { atol: 2e-3, rtol: 2e-2, label: 'd loss / d pixels' });
        tf.dispose([dPixels, sample, rest]);
      }, 'gradient check');
      pixelValues.dispose();
      model.dispose();
    });
  });
});

describe('ViT input checks', () => {
  it('wrong channel count, image size, patch grid or rank are typed errors that say what to do', async () => {
    const model = await ViTForImageClassification.fromPretrained(fixturePath('models', 'vit-image-classification'));
    await expectNoLeaks(() => tf.tidy(() => {
      const run = (shape: number[], options: { dataFormat?: 'channelsLast'; interpolatePosEncoding?: boolean } = {}) => () => model.forward({ pixelValues: tf.zeros(shape), ...options });
      expect(run([1, 1, 32, 32])).toThrow(ShapeError);
      expect(run([1, 1, 32, 32])).toThrow(/1 channels, the model takes 3 \(num_channels\)/);
      expect(run([1, 32, 32, 3])).toThrow(/dataFormat: "channelsLast"/);
      expect(run([1, 32, 32, 4], { dataFormat: 'channelsLast' })).toThrow(/4 channels/);
      expect(run([1, 3, 64, 64])).toThrow(/image 64×64 does not match the model's image_size 32×32.*interpolatePosEncoding/);
      expect(run([1, 3, 36, 36], { interpolatePosEncoding: true })).toThrow(/not a multiple of the patch size 8/);
      expect(run([3, 32, 32])).toThrow(/must be \[batch, channels, height, width\]/);
      expect(() => model.forward({ pixelValues: tf.zeros([2, 3, 32, 32]), labels: [0, 1, 2] })).toThrow(/labels is \[3\], expected \[2\]/);
    }));
    model.dispose();
  });

  it('interpolatePosEncoding runs other image sizes and changes nothing at the trained size', async () => {
    const model = await ViTForImageClassification.fromPretrained(fixturePath('models', 'vit-image-classification'));
    await expectNoLeaks(() => tf.tidy(() => {
      const px = tf.randomNormal([2, 3, 32, 32], 0, 1, 'float32', 7);
      expectAllClose(model.forward({ pixelValues: px, interpolatePosEncoding: true }).logits, model.forward({ pixelValues: px }).logits, { atol: 0 });
      const out = model.forward({ pixelValues: tf.randomNormal([2, 3, 48, 40], 0, 1, 'float32', 8), interpolatePosEncoding: true, outputAttentions: true });
      expect(out.lastHiddenState.shape).toEqual([2, 1 + 6 * 5, 32]);
      expect(out.attentions![0]!.shape).toEqual([2, 4, 31, 31]);
      expect(out.logits.shape).toEqual([2, 3]);
    }));
    model.dispose();
  });
});
