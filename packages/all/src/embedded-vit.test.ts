/**
 * The embedded image-classification model (assets/tiny-vit-fashion, a ViT trained by tfkit on
 * Fashion-MNIST): the shipped file is the size and dtype its model card says, and `pipeline()` with
 * no model labels the shipped test-set images correctly on cpu and wasm, with no tensor left over.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { createRegistry, decodeImage } from '@tfkit/core-tensor';
import type { ImageClassificationPipeline, RawImage } from '@tfkit/models-vit';
import { expectAllClose, expectWeightsAsCarded, expectNoLeaks, modelCard, withBackend } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { pipeline } from './pipeline.js';
import { DEFAULT_MODELS, registerAll } from './register-all.js';

const dir = path.resolve(import.meta.dirname, '../assets/tiny-vit-fashion');
const card = modelCard(dir);
const registry = registerAll(createRegistry());
/** Scores per checked image (labels in a fixed order), per backend: wasm must agree with cpu. */
const scoresByBackend = new Map<string, number[][]>();

/** The images the card lists as checked: file, Fashion-MNIST label, index in the test set. */
const checked = [...card.matchAll(/^\| `examples\/([\w-]+\.png)` \| (.+?) \| (\d+) \|/gm)].map(([, file, label, index]) => ({ file: file!, label: label!, index: Number(index) }));

describe('embedded image-classification model (tiny-vit-fashion)', () => {
  it('is the image-classification default; model.safetensors is in the format and of the size the card states', () => {
    expect(DEFAULT_MODELS['image-classification']).toBe('tiny-vit-fashion');
    expectWeightsAsCarded(dir, { parameters: true });
  });

  it('the card lists the checked images, each a test-set image of its label', () => {
    expect(checked.map((c) => c.file).sort()).toEqual(fs.readdirSync(path.join(dir, 'examples')).filter((f) => f.endsWith('.png')).sort());
    expect(checked.map((c) => c.label)).toContain('Shirt');
  });

  it.each(['cpu', 'wasm'])('pipeline("image-classification") with no model labels the checked images on %s', async (backend) => {
    const images: RawImage[] = await Promise.all(checked.map(async (c) => decodeImage(fs.readFileSync(path.join(dir, 'examples', c.file)), { where: c.file })));
    const results = await withBackend(backend, () => expectNoLeaks(async () => {
      const classify = (await pipeline('image-classification', undefined, { registry })) as ImageClassificationPipeline;
      expect(classify.processor.config.size).toEqual({ height: 28, width: 28 });
      const out = await classify.call(images, { topK: null });
      classify.dispose();
      return out;
    }, `image-classification on ${backend}`));
    results.forEach((labels, i) => {
      expect(labels, checked[i]!.file).toHaveLength(10);
      expect(labels[0]!.label, checked[i]!.file).toBe(checked[i]!.label);
    });
    scoresByBackend.set(backend, results.map((labels) => [...labels].sort((a, b) => a.label.localeCompare(b.label)).map((l) => l.score)));
    if (scoresByBackend.size === 2) expectAllClose(scoresByBackend.get('wasm')!.flat(), scoresByBackend.get('cpu')!.flat(), { atol: 1e-4, label: 'wasm vs cpu scores' });
  });

  // Where Debian's dataset-fashion-mnist is installed: the PNGs are the test-set images the card names.
  const testImages = '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz';
  it.skipIf(!fs.existsSync(testImages))('the PNGs are the Fashion-MNIST test images the card names (pixel for pixel)', async () => {
    const idx = zlib.gunzipSync(fs.readFileSync(testImages));
    for (const c of checked) {
      const image = await decodeImage(fs.readFileSync(path.join(dir, 'examples', c.file)), { where: c.file });
      const gray = Array.from({ length: 784 }, (_, i) => image.data[i * (image.data.length / 784)]);
      expect(gray, c.file).toEqual(Array.from(idx.subarray(16 + c.index * 784, 16 + (c.index + 1) * 784)));
    }
  });
});
