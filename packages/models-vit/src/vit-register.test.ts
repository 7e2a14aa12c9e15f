import * as tf from '@tensorflow/tfjs-core';
import { AutoModel, createRegistry, RegistryError } from '@tfkit/core-tensor';
import { expectNoLeaks, fixturePath } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import type { ViTForImageClassification } from './vit-heads.js';
import { ViTImageProcessor, type RawImage } from './vit-image-processor.js';
import { ViTModel } from './vit-modeling.js';
import { ImageClassificationPipeline, loadImageClassificationPipeline } from './vit-pipeline.js';
import { registerViT } from './vit-register.js';

const FIXTURE = fixturePath('models', 'vit-image-classification');

/** A 40×30 RGBA gradient. */
function image(seed: number): RawImage {
  const data = new Uint8ClampedArray(40 * 30 * 4);
  for (let i = 0; i < 40 * 30; i++) data.set([(i * 7 + seed * 50) % 256, (i * 3) % 256, (seed * 90 + (i % 40) * 5) % 256, 255], i * 4);
  return { width: 40, height: 30, data };
}

describe('registerViT', () => {
  it('registers model_type vit with both architectures and the image-classification task; duplicates need override', async () => {
    const registry = registerViT(createRegistry());
    const family = registry.model.get('vit');
    expect(Object.keys(family.architectures).sort()).toEqual(['ViTForImageClassification', 'ViTModel']);
    expect(family.defaultArchitecture).toBe('ViTModel');
    expect(registry.task.get('image-classification').modelTypes).toEqual(['vit']);
    expect(() => registerViT(registry)).toThrow(RegistryError);
    expect(() => registerViT(registry, { override: true })).not.toThrow();

    const base = await AutoModel.fromPretrained<ViTModel>(FIXTURE, { registry, architecture: 'ViTModel' });
    expect(base).toBeInstanceOf(ViTModel);
    expect(base.modelType).toBe('vit');
    base.dispose();
    await expect(AutoModel.fromPretrained(FIXTURE, { registry, architecture: 'ViTForMaskedImageModeling' })).rejects.toThrow(/Known: ViTModel, ViTForImageClassification/);
    await expect(AutoModel.fromPretrained(FIXTURE, { registry: createRegistry() })).rejects.toThrow(/model_type "vit" is not registered/);
  });
});

describe('image-classification pipeline', () => {
  it('preprocesses raw images, classifies them and ranks labels by softmax score', async () => {
    const registry = registerViT(createRegistry());
    const pipe = await loadImageClassificationPipeline(FIXTURE, { registry });
    expect(pipe).toBeInstanceOf(ImageClassificationPipeline);
    expect(pipe.processor.config.size).toEqual({ height: 32, width: 32 });
    const model = pipe.model as ViTForImageClassification;
    await expectNoLeaks(async () => {
      const [first, second] = await pipe.call([image(0), image(1)], { topK: null });
      const one = await pipe.call(image(0), { topK: 2 });
      expect(one).toEqual(first!.slice(0, 2));
      const probs = tf.tidy(() => {
        const pixelValues = new ViTImageProcessor({ size: { height: 32, width: 32 } }).preprocess([image(0), image(1)]);
        return tf.softmax(model.forward({ pixelValues }).logits).arraySync() as number[][];
      });
      for (const [row, result] of [[probs[0]!, first!], [probs[1]!, second!]] as const) {
        expect(result.map((r) => r.label).sort()).toEqual(['LABEL_0', 'LABEL_1', 'LABEL_2']);
        expect(result.map((r) => r.score)).toEqual([...result.map((r) => r.score)].sort((a, b) => b - a));
        for (const { label, score } of result) expect(score).toBeCloseTo(row[Number(label.slice(6))]!, 5);
      }
    }, 'pipeline');
    expect(() => registry.task.get('image-classification').create({})).toThrow(/needs a loaded model/);
    expect(() => registry.task.get('image-classification').create({ model: { modelType: 'vit' } })).toThrow(/needs a loaded image classification model/);
    expect(() => registry.task.get('image-classification').create({ model, processor: {} })).toThrow(/processor must be a ViTImageProcessor/);
    const viaRegistry = registry.task.get('image-classification').create({ model }) as ImageClassificationPipeline;
    expect(viaRegistry.processor.config.size).toEqual({ height: 32, width: 32 });
    pipe.dispose();
  });
});
