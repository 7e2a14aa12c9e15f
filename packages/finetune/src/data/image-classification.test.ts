import { expectNoLeaks } from '@tfkit/test-utils';
import { ViTImageProcessor } from '@tfkit/models-vit';
import { encode as encodePng } from 'fast-png';
import { encode as encodeJpeg } from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { DataCollatorForImageClassification } from './image-classification.js';

// 4×4 images, no resize (the size already matches); ViT's defaults: rescale by 1/255 then
// normalise with mean 0.5, std 0.5, so a byte p becomes (p/255 − 0.5)/0.5: 0 → −1, 51 → −0.6, 255 → 1.
const processor = new ViTImageProcessor({ size: { height: 4, width: 4 } });
const value = (p: number) => (p / 255 - 0.5) / 0.5;

/** A 4×4 RGBA image whose pixel (x, y) is (51·x, 51·y, 255 − 51·x, alpha 200). */
function pattern(): Uint8Array {
  const data = new Uint8Array(4 * 4 * 4);
  for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) data.set([51 * x, 51 * y, 255 - 51 * x, 200], (y * 4 + x) * 4);
  return data;
}

describe('DataCollatorForImageClassification', () => {
  it('decodes PNG bytes and takes RGBA, RGB and ImageData-like pixels: the same pixel values', async () => {
    const collator = await DataCollatorForImageClassification.create({ processor, labelToId: ['cat', 'dog'] });
    const rgba = pattern();
    const rgb = new Uint8Array(4 * 4 * 3);
    for (let i = 0; i < 16; i++) rgb.set(rgba.subarray(i * 4, i * 4 + 3), i * 3);
    const png = Buffer.from(encodePng({ width: 4, height: 4, data: rgba, channels: 4, depth: 8 }));
    await expectNoLeaks(() => {
      const batch = collator.collate([
        { image: png, label: 'dog' },
        { image: { data: rgba, width: 4, height: 4 }, label: 'cat' },
        { image: { data: rgb, width: 4, height: 4, channels: 3 }, label: 1 },
        { image: { data: new Uint8ClampedArray(rgba), width: 4, height: 4, colorSpace: 'srgb' }, label: '0' },
      ]);
      expect(batch['pixelValues']?.shape).toEqual([4, 3, 4, 4]);
      expect(batch['labels']?.arraySync()).toEqual([1, 0, 1, 0]);
      const px = batch['pixelValues']?.arraySync() as number[][][][];
      // Pixel (x=1, y=2) of image 0 (decoded from the PNG): R = 51, G = 102, B = 204.
      [-0.6, -0.2, 0.6].forEach((v, c) => expect(px[0]?.[c]?.[2]?.[1]).toBeCloseTo(v, 6));
      expect(px[0]?.[0]?.[0]?.[0]).toBe(-1);
      expect(px[0]?.[2]?.[0]?.[0]).toBe(1);
      for (let b = 1; b < 4; b++) expect(px[b]).toEqual(px[0]);
      Object.values(batch).forEach((t) => t.dispose());
    });
  });

  it('decodes JPEG bytes (a flat 8×8 block keeps its colour within JPEG rounding)', async () => {
    const collator = await DataCollatorForImageClassification.create({ processor: new ViTImageProcessor({ size: { height: 8, width: 8 } }) });
    const data = new Uint8Array(8 * 8 * 4);
    for (let i = 0; i < 64; i++) data.set([200, 30, 40, 255], i * 4);
    const jpeg = new Uint8Array(encodeJpeg({ width: 8, height: 8, data }, 100).data);
    const batch = collator.collate([{ image: jpeg }]);
    expect(batch['labels']).toBeUndefined();
    const px = (await batch['pixelValues']!.data()) as Float32Array;
    [200, 30, 40].forEach((p, c) => {
      for (let i = 0; i < 64; i++) expect(Math.abs((px[c * 64 + i] as number) - value(p))).toBeLessThanOrEqual((2 / 255) * 2 + 1e-6);
    });
    Object.values(batch).forEach((t) => t.dispose());
  });

  it('errors: bytes without a decoder, strings, corrupt files, unknown labels', async () => {
    const plain = new DataCollatorForImageClassification({ processor });
    const png = encodePng({ width: 4, height: 4, data: pattern(), channels: 4, depth: 8 });
    expect(() => plain.collate([{ image: png }])).toThrow(/example 0 "image" holds encoded bytes; build the collator with `await DataCollatorForImageClassification.create/);
    expect(() => plain.collate([{ image: 'cat.png' }])).toThrow(/neither PNG\/JPEG bytes nor pixels .*the string "cat.png" \(read files into bytes first\)/);
    const decoding = await DataCollatorForImageClassification.create({ processor, labelToId: { cat: 0 } });
    expect(() => decoding.collate([{ image: png.subarray(0, 40) }])).toThrow(/example 0 "image": the PNG data is truncated or corrupt/);
    expect(() => decoding.collate([{ image: new Uint8Array([0x47, 0x49, 0x46, 0x38, 0x39, 0x61]) }])).toThrow(/GIF images are not supported/);
    expect(() => decoding.collate([{ image: png, label: 'dog' }])).toThrow(/label "dog" is not an integer class id \(known labels: cat\)/);
    const small = await DataCollatorForImageClassification.create({ processor, maxPixels: 15 });
    expect(() => small.collate([{ image: png }])).toThrow(/4×4 pixels, more than maxPixels \(15\)/);
  });
});
