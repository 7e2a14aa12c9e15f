import * as tf from '@tensorflow/tfjs-core';
import { InputError, StateDictError } from '@tfkit/layers';
import { expectNoLeaks, fixturePath, withBackend } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { ViTConfigError } from './vit-config.js';
import { ViTForImageClassification } from './vit-heads.js';
import { ViTModel, type ViTModelInputs } from './vit-modeling.js';

const tiny = { hiddenSize: 8, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 16, imageSize: 8, patchSize: 4, numChannels: 3 };

function errorOf(fn: () => unknown): (Error & { key?: string }) | undefined {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  return undefined;
}

describe('ViTModel.forward checks pixel values', () => {
  it('an empty batch is an InputError on cpu and wasm (it trapped wasm with "divide by zero")', async () => {
    const model = new ViTModel(tiny);
    for (const backend of ['cpu', 'wasm']) {
      await withBackend(backend, () => expectNoLeaks(() => {
        tf.tidy(() => {
          for (const pixelValues of [tf.zeros([0, 3, 8, 8]), [] as number[][][][], tf.zeros([1, 3, 0, 0])]) {
            const e = errorOf(() => model.forward({ pixelValues, interpolatePosEncoding: true }));
            expect(e, backend).toBeInstanceOf(InputError);
            expect(e?.message).toMatch(/^ViT: pixelValues is \[\d,3?,?\d*,?\d*,?\d*\]?: it has (no rows|a row without entries)/);
          }
          expect(model.forward({ pixelValues: tf.zeros([2, 3, 8, 8]) }).lastHiddenState.shape).toEqual([2, 5, 8]);
        });
      }, backend));
    }
    model.dispose();
  });

  it.each([
    ['a ragged image', [[[[1, 2], [3]]]], /pixelValues is ragged/],
    ['a string pixel', [[[['a']]]], /pixelValues\[0\]\[0\]\[0\]\[0\] is a string/],
    ['a 3-D tensor', tf.zeros([3, 8, 8]), /pixelValues must be \[batch, channels, height, width\]/],
    ['not an array', 42, /pixelValues must be a tensor or nested arrays of numbers/],
    ['too few channels', tf.zeros([1, 1, 8, 8]), /have 1 channels, the model takes 3 \(num_channels\)/],
  ])('%s is an InputError', async (_, pixelValues, message) => {
    const model = new ViTModel(tiny);
    await expectNoLeaks(() => {
      const e = errorOf(() => model.forward({ pixelValues } as ViTModelInputs));
      expect(e).toBeInstanceOf(InputError);
      expect(e?.message).toMatch(message);
    }, 'bad pixels');
    model.dispose();
  });
});

describe('ViT config against the checkpoint', () => {
  const dir = fixturePath('models', 'vit-image-classification');

  it('an image_size or a layer count the weights do not have fails before the model is built', async () => {
    await expectNoLeaks(async () => {
      const size = await ViTForImageClassification.fromPretrained(dir, { configOverrides: { image_size: 64 } }).then(() => undefined, (e: Error) => e);
      expect(size).toBeInstanceOf(StateDictError);
      expect(size?.message).toMatch(/vit\.embeddings\.position_embeddings \(expected \[1,65,32\], got \[1,17,32\]\)\. .* says image_size 65/);
      const layers = await ViTForImageClassification.fromPretrained(dir, { configOverrides: { num_hidden_layers: 5000 } }).then(() => undefined, (e: Error & { key?: string }) => e);
      expect(layers).toBeInstanceOf(ViTConfigError);
      expect(layers?.key).toBe('num_hidden_layers');
      const huge = await ViTForImageClassification.fromPretrained(dir, { configOverrides: { image_size: 2 ** 20, patch_size: 1 } }).then(() => undefined, (e: Error & { key?: string }) => e);
      expect(huge).toBeInstanceOf(ViTConfigError);
      expect(huge?.message).toMatch(/more than one weight can hold/);
      const eps = await ViTForImageClassification.fromPretrained(dir, { configOverrides: { layer_norm_eps: 'x' } }).then(() => undefined, (e: Error & { key?: string }) => e);
      expect(eps?.message).toBe(`${dir}/config.json: layer_norm_eps must be a positive number, got "x"`);
    }, 'config');
  });

  it('with ignoreMismatchedSizes a new head of another size loads, a huge one is refused', async () => {
    const ok = await ViTForImageClassification.fromPretrained(dir, { configOverrides: { num_labels: 7 }, ignoreMismatchedSizes: true });
    expect(ok.loadReport.mismatched.map((m) => m.name).sort()).toEqual(['classifier.bias', 'classifier.weight']);
    ok.dispose();
    // A position table for 16384² images: 4.2 M positions × 32 that the checkpoint does not back.
    const huge = await ViTForImageClassification.fromPretrained(dir, { configOverrides: { image_size: 16384 }, ignoreMismatchedSizes: true }).then(() => undefined, (e: Error & { key?: string }) => e);
    expect(huge).toBeInstanceOf(ViTConfigError);
    expect(huge?.key).toBe('image_size');
    expect(huge?.message).toMatch(/image_size × hidden_size: 134223936\), of which .* holds \d+; tfkit initialises at most 50000000/);
    const labels = await ViTForImageClassification.fromPretrained(dir, { configOverrides: { num_labels: 5_000_000 }, ignoreMismatchedSizes: true }).then(() => undefined, (e: Error & { key?: string }) => e);
    expect(labels?.message).toBe(`${dir}/config.json: num_labels must be a positive integer up to 1000000, got 5000000`);
  });
});
