/**
 * ViTImageProcessor: 8-bit RGB(A) images → the float32 `pixelValues` a ViT takes, as Hugging Face's
 * ViTImageProcessor does it: resize to `size` (PIL's resampling, reproduced exactly: separable
 * filter widened when shrinking, 8-bit fixed-point coefficients, rounding after each pass), rescale
 * by 1/255, normalise with `imageMean` / `imageStd`, channels first. `preprocessor_config.json` is
 * read and written with Hugging Face's keys (the only place they appear).
 */
import * as tf from '@tensorflow/tfjs-core';
import { importNodeBuiltin, CheckpointError, openSource, ShapeError, writeFileAtomic, type FileSource, type HfConfig, type SourceOptions } from '@tfkit/core-tensor';
import { ViTConfigError, type ViTConfig } from './vit-config.js';
import type { DataFormat } from './vit-modeling.js';

/** An image as 8-bit pixels, row by row, channels interleaved (canvas `ImageData`, a decoded PNG/JPEG, sharp's raw output). */
export interface RawImage {
  width: number;
  height: number;
  /** `width·height·channels` values in 0…255. */
  data: Uint8Array | Uint8ClampedArray | ArrayLike<number>;
  /** 4 (RGBA, alpha dropped), 3 (RGB) or 1 (gray, copied to R, G and B); inferred from the data length when absent. */
  channels?: 1 | 3 | 4;
}

/** PIL's resampling filters that Hugging Face image processors use for ViTs (PIL codes 2 and 3). */
export type Resample = 'bilinear' | 'bicubic';

export interface ViTImageProcessorConfig {
  doResize: boolean;
  size: { height: number; width: number };
  resample: Resample;
  doRescale: boolean;
  rescaleFactor: number;
  doNormalize: boolean;
  /** Per channel (R, G, B). */
  imageMean: [number, number, number];
  imageStd: [number, number, number];
}

/** Hugging Face's ViTImageProcessor defaults. */
export const VIT_IMAGE_PROCESSOR_DEFAULTS: ViTImageProcessorConfig = {
  doResize: true,
  size: { height: 224, width: 224 },
  resample: 'bilinear',
  doRescale: true,
  rescaleFactor: 1 / 255,
  doNormalize: true,
  imageMean: [0.5, 0.5, 0.5],
  imageStd: [0.5, 0.5, 0.5],
};

const PREPROCESSOR_CONFIG = 'preprocessor_config.json';
const PIL_CODES: Record<number, Resample> = { 2: 'bilinear', 3: 'bicubic' };

interface Filter {
  support: number;
  at(x: number): number;
}

const FILTERS: Record<Resample, Filter> = {
  bilinear: { support: 1, at: (x) => Math.max(0, 1 - Math.abs(x)) },
  // PIL's bicubic (Keys, a = −0.5).
  bicubic: {
    support: 2,
    at: (x) => {
      const a = -0.5;
      const t = Math.abs(x);
      if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
      if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
      return 0;
    },
  },
};

/** PIL's fixed-point precision for 8-bit images: coefficients are integers scaled by 2²². */
const PRECISION = 2 ** 22;

/** For each output pixel: the first input pixel, how many it reads, and their fixed-point weights. */
function coefficients(inSize: number, outSize: number, filter: Filter): { start: Int32Array; count: Int32Array; weights: Float64Array; ksize: number } {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1); // shrinking widens the filter (antialiasing)
  const support = filter.support * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * ksize);
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const n = Math.min(Math.trunc(center + support + 0.5), inSize) - lo;
    const w = Array.from({ length: n }, (_, i) => filter.at((i + lo - center + 0.5) / filterScale));
    const total = w.reduce((a, b) => a + b, 0);
    for (let i = 0; i < n; i++) {
      const normalized = total !== 0 ? (w[i] as number) / total : 0;
      weights[o * ksize + i] = Math.trunc(normalized * PRECISION + (normalized < 0 ? -0.5 : 0.5));
    }
    start[o] = lo;
    count[o] = n;
  }
  return { start, count, weights, ksize };
}

/** One resampling pass along an axis of an interleaved 8-bit image (`stride` apart along it, `lines` lines). */
function resamplePass(src: Uint8Array, dst: Uint8Array, inSize: number, outSize: number, filter: Filter, layout: { lines: number; lineStride: number; step: number; outLineStride: number; outStep: number }): void {
  const { start, count, weights, ksize } = coefficients(inSize, outSize, filter);
  for (let line = 0; line < layout.lines; line++) {
    for (let o = 0; o < outSize; o++) {
      const k = o * ksize;
      for (let c = 0; c < 3; c++) {
        let sum = PRECISION / 2;
        let at = line * layout.lineStride + (start[o] as number) * layout.step + c;
        for (let i = 0; i < (count[o] as number); i++, at += layout.step) sum += (src[at] as number) * (weights[k + i] as number);
        dst[line * layout.outLineStride + o * layout.outStep + c] = Math.min(255, Math.max(0, Math.floor(sum / PRECISION)));
      }
    }
  }
}

/**
 * Resizes an interleaved 8-bit RGB image as PIL's `Image.resize` does (what Hugging Face image
 * processors call): horizontal pass first, then vertical, each rounded to 8 bits; an unchanged
 * axis is not resampled.
 */
export function resizeRgb(rgb: Uint8Array, width: number, height: number, outWidth: number, outHeight: number, resample: Resample = 'bilinear'): Uint8Array {
  const filter = FILTERS[resample];
  let img = rgb;
  let w = width;
  if (outWidth !== width) {
    const out = new Uint8Array(outWidth * height * 3);
    resamplePass(img, out, width, outWidth, filter, { lines: height, lineStride: width * 3, step: 3, outLineStride: outWidth * 3, outStep: 3 });
    img = out;
    w = outWidth;
  }
  if (outHeight !== height) {
    const out = new Uint8Array(w * outHeight * 3);
    // Columns are the lines; one step down a column is one row of the image.
    resamplePass(img, out, height, outHeight, filter, { lines: w, lineStride: 3, step: w * 3, outLineStride: 3, outStep: w * 3 });
    img = out;
  }
  return img === rgb ? rgb.slice() : img;
}

/** The image as interleaved 8-bit RGB: alpha dropped, gray copied to every channel (PIL's `convert('RGB')`). */
export function toRgb(image: RawImage, where = 'image'): Uint8Array {
  const { width, height, data } = image;
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw new ShapeError(`${where}: width and height must be positive integers, got ${width}×${height}`);
  }
  const pixels = width * height;
  const channels = image.channels ?? data.length / pixels;
  if (![1, 3, 4].includes(channels) || data.length !== pixels * channels) {
    throw new ShapeError(`${where}: ${data.length} values for ${width}×${height} pixels; expected ${pixels * 4} (RGBA), ${pixels * 3} (RGB) or ${pixels} (gray)` +
      (image.channels ? `, here ${pixels * image.channels} for channels: ${image.channels}` : ''));
  }
  if (channels === 3 && data instanceof Uint8Array) return data;
  const rgb = new Uint8Array(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    for (let c = 0; c < 3; c++) rgb[i * 3 + c] = data[channels === 1 ? i : i * channels + c] as number;
  }
  return rgb;
}

export interface PreprocessOptions {
  /** `channelsLast` returns `[batch, height, width, 3]` (default `channelsFirst`: `[batch, 3, height, width]`, Hugging Face's layout). */
  dataFormat?: DataFormat;
}

export class ViTImageProcessor {
  readonly config: ViTImageProcessorConfig;
  /** The loaded `preprocessor_config.json` (or `{}`): keys tfkit does not read are written back on save. */
  readonly hfConfig: HfConfig;

  constructor(config: Partial<ViTImageProcessorConfig> = {}, options: { hfConfig?: HfConfig } = {}) {
    this.config = { ...VIT_IMAGE_PROCESSOR_DEFAULTS, ...config };
    this.hfConfig = options.hfConfig ?? {};
    validate(this.config);
  }

  /** The processor matching a model config: resize to its `imageSize`, Hugging Face defaults otherwise. */
  static forModel(config: Pick<ViTConfig, 'imageSize'>, overrides: Partial<ViTImageProcessorConfig> = {}): ViTImageProcessor {
    return new ViTImageProcessor({ size: { height: config.imageSize, width: config.imageSize }, ...overrides });
  }

  /** Reads a Hugging Face `preprocessor_config.json` (keys it omits take the defaults). */
  static fromJSON(json: HfConfig, where = PREPROCESSOR_CONFIG): ViTImageProcessor {
    return new ViTImageProcessor(processorConfigFromHf(json, where), { hfConfig: json });
  }

  /** Loads `preprocessor_config.json` from a directory, URL or hub id. */
  static async fromPretrained(source: string | FileSource, options: SourceOptions = {}): Promise<ViTImageProcessor> {
    const files = await openSource(source, options);
    if (!(await files.exists(PREPROCESSOR_CONFIG))) {
      throw new CheckpointError(`${files.description}: no ${PREPROCESSOR_CONFIG}; build the processor with ViTImageProcessor.forModel(model.config) instead`);
    }
    return ViTImageProcessor.fromJSON(await files.readJson<HfConfig>(PREPROCESSOR_CONFIG), `${files.description}/${PREPROCESSOR_CONFIG}`);
  }

  /** `preprocessor_config.json` as Hugging Face writes it. */
  toJSON(): HfConfig {
    const c = this.config;
    const resample = Number(Object.entries(PIL_CODES).find(([, r]) => r === c.resample)?.[0]);
    const out: HfConfig = {
      ...this.hfConfig,
      do_normalize: c.doNormalize, do_rescale: c.doRescale, do_resize: c.doResize,
      image_mean: [...c.imageMean], image_processor_type: 'ViTImageProcessor', image_std: [...c.imageStd],
      resample, rescale_factor: c.rescaleFactor, size: { ...c.size },
    };
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
  }

  /** Writes `preprocessor_config.json` into `dir` (created if needed). */
  async savePretrained(dir: string): Promise<void> {
    const [fs, path] = await Promise.all([importNodeBuiltin('node:fs/promises'), importNodeBuiltin('node:path')]);
    await fs.mkdir(dir, { recursive: true });
    await writeFileAtomic(path.join(dir, PREPROCESSOR_CONFIG), `${JSON.stringify(this.toJSON(), null, 2)}\n`);
  }

  /** Images → float32 pixel values and their shape, without TensorFlow.js. */
  preprocessToArray(images: RawImage | readonly RawImage[], options: PreprocessOptions = {}): { data: Float32Array; shape: [number, number, number, number] } {
    const list = Array.isArray(images) ? (images as readonly RawImage[]) : [images as RawImage];
    if (list.length === 0) throw new ShapeError('ViTImageProcessor: no images given');
    const c = this.config;
    const prepared = list.map((image, i) => {
      const rgb = toRgb(image, `ViTImageProcessor image ${i}`);
      if (!c.doResize) return { rgb, width: image.width, height: image.height };
      return { rgb: resizeRgb(rgb, image.width, image.height, c.size.width, c.size.height, c.resample), width: c.size.width, height: c.size.height };
    });
    const { width, height } = prepared[0] as { width: number; height: number };
    if (prepared.some((p) => p.width !== width || p.height !== height)) {
      throw new ShapeError(`ViTImageProcessor: images of different sizes (${prepared.map((p) => `${p.width}×${p.height}`).join(', ')}) cannot be batched without doResize`);
    }
    const plane = width * height;
    const data = new Float32Array(list.length * plane * 3);
    const last = options.dataFormat === 'channelsLast';
    // Float32 at every step, as Hugging Face: rescaled in float64 then cast, normalised in float32.
    const mean = c.imageMean.map(Math.fround);
    const std = c.imageStd.map(Math.fround);
    prepared.forEach(({ rgb }, b) => {
      for (let i = 0; i < plane; i++) {
        for (let ch = 0; ch < 3; ch++) {
          let v = Math.fround(c.doRescale ? (rgb[i * 3 + ch] as number) * c.rescaleFactor : (rgb[i * 3 + ch] as number));
          if (c.doNormalize) v = Math.fround(Math.fround(v - (mean[ch] as number)) / (std[ch] as number));
          data[last ? (b * plane + i) * 3 + ch : (b * 3 + ch) * plane + i] = v;
        }
      }
    });
    return { data, shape: last ? [list.length, height, width, 3] : [list.length, 3, height, width] };
  }

  /** Images → `pixelValues` `[batch, 3, height, width]` float32 (a new tensor the caller disposes). */
  preprocess(images: RawImage | readonly RawImage[], options: PreprocessOptions = {}): tf.Tensor4D {
    const { data, shape } = this.preprocessToArray(images, options);
    return tf.tensor4d(data, shape, 'float32');
  }
}

function validate(c: ViTImageProcessorConfig): void {
  const where = 'ViTImageProcessor';
  const { height, width } = c.size ?? {};
  if (!(Number.isInteger(height) && height > 0 && Number.isInteger(width) && width > 0)) {
    throw new ViTConfigError(where, 'size', `must be { height, width } in whole pixels, got ${JSON.stringify(c.size)}`);
  }
  if (!(c.resample in FILTERS)) throw new ViTConfigError(where, 'resample', `"${String(c.resample)}" is not supported; use bilinear (PIL 2) or bicubic (PIL 3)`);
  if (!(typeof c.rescaleFactor === 'number' && Number.isFinite(c.rescaleFactor))) throw new ViTConfigError(where, 'rescale_factor', `must be a number, got ${JSON.stringify(c.rescaleFactor)}`);
  for (const [key, values] of [['image_mean', c.imageMean], ['image_std', c.imageStd]] as const) {
    if (!(Array.isArray(values) && values.length === 3 && values.every((v) => typeof v === 'number' && Number.isFinite(v)))) {
      throw new ViTConfigError(where, key, `must be three numbers (R, G, B), got ${JSON.stringify(values)}`);
    }
  }
  if (c.imageStd.some((s) => s === 0)) throw new ViTConfigError(where, 'image_std', 'must not contain 0');
}

function processorConfigFromHf(json: HfConfig, where: string): Partial<ViTImageProcessorConfig> {
  const out: Partial<ViTImageProcessorConfig> = {};
  const bool = (key: string): boolean | undefined => {
    const v = json[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') throw new ViTConfigError(where, key, `must be true or false, got ${JSON.stringify(v)}`);
    return v;
  };
  const setIf = <K extends keyof ViTImageProcessorConfig>(key: K, v: ViTImageProcessorConfig[K] | undefined) => {
    if (v !== undefined) out[key] = v;
  };
  setIf('doResize', bool('do_resize'));
  setIf('doRescale', bool('do_rescale'));
  setIf('doNormalize', bool('do_normalize'));
  const size = json['size'];
  if (typeof size === 'number') out.size = { height: size, width: size };
  else if (size !== undefined) {
    const s = size as Record<string, unknown>;
    if (s['height'] === undefined || s['width'] === undefined) {
      throw new ViTConfigError(where, 'size', `must be { "height", "width" } (or one number) for ViTImageProcessor, got ${JSON.stringify(size)}`);
    }
    out.size = { height: s['height'] as number, width: s['width'] as number };
  }
  const resample = json['resample'];
  if (resample !== undefined) {
    const name = typeof resample === 'number' ? PIL_CODES[resample] : undefined;
    if (!name) throw new ViTConfigError(where, 'resample', `${JSON.stringify(resample)} is not supported; use 2 (bilinear) or 3 (bicubic)`);
    out.resample = name;
  }
  setIf('rescaleFactor', json['rescale_factor'] as number | undefined);
  const triple = (v: unknown) => (typeof v === 'number' ? [v, v, v] : v) as [number, number, number] | undefined;
  setIf('imageMean', triple(json['image_mean']));
  setIf('imageStd', triple(json['image_std']));
  return out;
}
