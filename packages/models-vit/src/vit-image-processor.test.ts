import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '@tfkit/core-tensor';
import { expectAllClose, expectNoLeaks } from '@tfkit/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { ViTConfigError } from './vit-config.js';
import { resizeRgb, ViTImageProcessor } from './vit-image-processor.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-vit-proc-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A one-row RGB image whose three channels all hold `values`. */
const grayRow = (values: number[]) => new Uint8Array(values.flatMap((v) => [v, v, v]));
const channel0 = (rgb: Uint8Array) => Array.from(rgb.filter((_, i) => i % 3 === 0));

describe('resizeRgb (PIL resampling)', () => {
  it('bilinear upsampling by hand: pixel centres at (i + 0.5)/2 − 0.5, halves rounded up', () => {
    // Output x = 0.25 and 1.75 fall outside the centres (edge copies); 0.75 → 0.75·a + 0.25·b.
    expect(channel0(resizeRgb(grayRow([0, 200]), 2, 1, 4, 1))).toEqual([0, 50, 150, 200]);
    // 12.5 → 13 and 17.5 → 18 (PIL adds one half before truncating its fixed-point sum).
    expect(channel0(resizeRgb(grayRow([10, 20]), 2, 1, 4, 1))).toEqual([10, 13, 18, 20]);
  });

  it('bilinear downsampling by hand: the triangle widens to the scale (antialiasing), not a box average', () => {
    // Output 0 (centre 1.0) weighs inputs 0, 1, 2 by 0.75, 0.75, 0.25 (÷ 1.75): (0·3 + 70·3 + 140) / 7 = 50;
    // output 1 (centre 3.0) weighs 1, 2, 3 by 0.25, 0.75, 0.75: (70 + 140·3 + 210·3) / 7 = 160.
    expect(channel0(resizeRgb(grayRow([0, 70, 140, 210]), 4, 1, 2, 1))).toEqual([50, 160]);
    // The vertical pass is the same filter down columns.
    const column = resizeRgb(grayRow([0, 70, 140, 210]), 1, 4, 1, 2);
    expect(channel0(column)).toEqual([50, 160]);
  });

  it('matches PIL 9.4 Image.resize byte for byte (reference values computed with PIL)', () => {
    // A random 6×5 RGB image (numpy default_rng(11)) and PIL's outputs for 4×4 bilinear and 3×7 bicubic.
    const image = new Uint8Array([78, 204, 64, 34, 16, 250, 233, 32, 103, 122, 13, 204, 138, 172, 208, 127, 124, 100, 12, 151, 222, 203, 251, 153, 211, 235, 80, 182, 176, 41, 88, 7, 141, 241, 73, 124, 223, 123, 222, 37, 84, 55, 200, 102, 211, 60, 159, 237, 53, 138, 57, 140, 55, 21, 7, 18, 118, 67, 241, 138, 148, 221, 56, 33, 89, 208, 34, 193, 76, 167, 197, 242, 177, 243, 188, 250, 92, 195, 51, 159, 144, 36, 75, 222, 86, 85, 118, 94, 59, 57]);
    expect(Array.from(resizeRgb(image, 6, 5, 4, 4, 'bilinear'))).toEqual([68, 148, 150, 167, 77, 147, 144, 83, 165, 144, 119, 138, 113, 155, 181, 174, 179, 126, 120, 134, 119, 152, 64, 90, 81, 105, 140, 117, 167, 126, 57, 141, 158, 113, 150, 120, 161, 165, 175, 114, 149, 153, 52, 101, 171, 98, 101, 105]);
    expect(Array.from(resizeRgb(image, 6, 5, 3, 7, 'bicubic'))).toEqual([71, 97, 146, 160, 19, 181, 127, 143, 163, 96, 169, 169, 183, 126, 109, 154, 83, 144, 129, 189, 176, 173, 190, 96, 148, 52, 101, 142, 101, 145, 108, 129, 194, 89, 104, 56, 63, 126, 118, 87, 164, 140, 89, 172, 145, 111, 157, 146, 73, 147, 144, 88, 137, 146, 211, 173, 190, 64, 104, 184, 83, 62, 96]);
    expect(Array.from(resizeRgb(image, 6, 5, 6, 5))).toEqual(Array.from(image));
  });
});

describe('ViTImageProcessor', () => {
  it('rescales by 1/255 and normalises with mean 0.5 / std 0.5 into NCHW; RGBA drops alpha, gray fills R, G, B', async () => {
    const processor = new ViTImageProcessor({ size: { height: 1, width: 2 } });
    await expectNoLeaks(() => {
      // Two pixels, RGBA: (255, 0, 51, α) and (102, 204, 255, α). (v / 255 − 0.5) / 0.5: 255 → 1, 0 → −1, 51 → −0.6, 102 → −0.2, 204 → 0.6.
      const rgba = { width: 2, height: 1, data: new Uint8ClampedArray([255, 0, 51, 9, 102, 204, 255, 200]) };
      const gray = { width: 2, height: 1, data: [0, 255], channels: 1 as const };
      const pixels = processor.preprocess([rgba, gray]);
      expect(pixels.shape).toEqual([2, 3, 1, 2]);
      expectAllClose(pixels, [1, -0.2, -1, 0.6, -0.6, 1, /* gray */ -1, 1, -1, 1, -1, 1], { atol: 1e-6 });
      const nhwc = processor.preprocess(rgba, { dataFormat: 'channelsLast' });
      expect(nhwc.shape).toEqual([1, 1, 2, 3]);
      expectAllClose(nhwc, [1, -1, -0.6, -0.2, 0.6, 1], { atol: 1e-6 });
      tf.dispose([pixels, nhwc]);
    });
  });

  it('resizes with PIL bilinear then rescales and normalises in float32 exactly as Hugging Face (values from numpy)', () => {
    const image = { width: 6, height: 5, data: new Uint8Array([78, 204, 64, 34, 16, 250, 233, 32, 103, 122, 13, 204, 138, 172, 208, 127, 124, 100, 12, 151, 222, 203, 251, 153, 211, 235, 80, 182, 176, 41, 88, 7, 141, 241, 73, 124, 223, 123, 222, 37, 84, 55, 200, 102, 211, 60, 159, 237, 53, 138, 57, 140, 55, 21, 7, 18, 118, 67, 241, 138, 148, 221, 56, 33, 89, 208, 34, 193, 76, 167, 197, 242, 177, 243, 188, 250, 92, 195, 51, 159, 144, 36, 75, 222, 86, 85, 118, 94, 59, 57]) };
    const { data, shape } = ViTImageProcessor.forModel({ imageSize: 4 }).preprocessToArray(image);
    expect(shape).toEqual([1, 3, 4, 4]);
    // ((v · (1/255)) as float32 − 0.5) / 0.5 for the first six red values 68, 77, 165, 113, 179, 119... of the resized image.
    expect(Array.from(data.slice(0, 6))).toEqual([-0.46666663885116577, 0.30980396270751953, 0.12941181659698486, 0.12941181659698486, -0.11372548341751099, 0.3647059202194214]);
  });

  it('reads and writes preprocessor_config.json with Hugging Face keys', async () => {
    const json = {
      do_normalize: true, do_rescale: true, do_resize: true, image_mean: [0.485, 0.456, 0.406], image_processor_type: 'ViTImageProcessor',
      image_std: [0.229, 0.224, 0.225], resample: 3, rescale_factor: 0.00392156862745098, size: { height: 384, width: 384 }, do_convert_rgb: true,
    };
    const processor = ViTImageProcessor.fromJSON(json);
    expect(processor.config).toEqual({
      doResize: true, size: { height: 384, width: 384 }, resample: 'bicubic', doRescale: true, rescaleFactor: 0.00392156862745098,
      doNormalize: true, imageMean: [0.485, 0.456, 0.406], imageStd: [0.229, 0.224, 0.225],
    });
    expect(processor.toJSON()).toEqual(json);
    await processor.savePretrained(path.join(tmp, 'proc'));
    expect((await ViTImageProcessor.fromPretrained(path.join(tmp, 'proc'))).toJSON()).toEqual(json);
    expect(ViTImageProcessor.fromJSON({ size: 32 }).config.size).toEqual({ height: 32, width: 32 });
    await expect(ViTImageProcessor.fromPretrained(tmp)).rejects.toThrow(/no preprocessor_config\.json.*forModel/);
  });

  it('says what is wrong with an image or a setting', () => {
    const processor = new ViTImageProcessor({ size: { height: 4, width: 4 } });
    expect(() => processor.preprocess({ width: 3, height: 2, data: new Uint8Array(10) })).toThrow(ShapeError);
    expect(() => processor.preprocess({ width: 3, height: 2, data: new Uint8Array(10) })).toThrow(/10 values for 3×2 pixels; expected 24 \(RGBA\), 18 \(RGB\) or 6 \(gray\)/);
    expect(() => processor.preprocess([])).toThrow(/no images/);
    const noResize = new ViTImageProcessor({ doResize: false });
    expect(() => noResize.preprocessToArray([{ width: 1, height: 1, data: [1, 2, 3] }, { width: 2, height: 1, data: [1, 2, 3, 4, 5, 6] }])).toThrow(/different sizes \(1×1, 2×1\)/);
    expect(() => ViTImageProcessor.fromJSON({ resample: 1 })).toThrow(ViTConfigError);
    expect(() => ViTImageProcessor.fromJSON({ resample: 1 })).toThrow(/resample 1 is not supported; use 2 \(bilinear\) or 3 \(bicubic\)/);
    expect(() => ViTImageProcessor.fromJSON({ size: { shortest_edge: 224 } })).toThrow(/size must be \{ "height", "width" \}/);
    expect(() => new ViTImageProcessor({ imageStd: [0.5, 0, 0.5] })).toThrow(/image_std must not contain 0/);
  });
});
