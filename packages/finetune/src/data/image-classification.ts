/**
 * Image classification: examples holding an image — encoded PNG/JPEG bytes, or pixels (RGBA, RGB or
 * gray, a canvas `ImageData`) — and a label → `pixelValues` from the model family's image processor
 * (passed in, e.g. `ViTImageProcessor`) and `labels`, as Hugging Face's image-classification
 * examples build them with `transforms` + `default_data_collator`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { loadImageDecoder, type ImageDecoder } from '@tfkit/core-tensor';
import { FinetuneError } from '../errors.js';
import type { Batch, Collator } from './collator.js';
import type { Example } from './dataset.js';
import { labelResolver, type LabelToId } from './labels.js';

/** 8-bit pixels row by row, channels interleaved (`ImageData`, a decoded PNG, sharp's raw output). */
export interface PixelImage {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray | ArrayLike<number>;
  /** 4 (RGBA), 3 (RGB) or 1 (gray); inferred from the data length when absent. */
  channels?: 1 | 3 | 4;
}

/** An image as an example may hold it: encoded PNG/JPEG bytes (a Node `Buffer` is a `Uint8Array`) or pixels. */
export type ImageInput = Uint8Array | ArrayBuffer | PixelImage;

/** What the collator needs from a family's image processor; `ViTImageProcessor` fits. */
export interface ImageProcessorLike {
  /** Images → `pixelValues` (a new tensor the caller disposes). */
  preprocess(images: readonly PixelImage[]): tf.Tensor;
}

export interface ImageCollatorOptions<T> {
  processor: ImageProcessorLike;
  /** Field holding the image (default `image`). */
  imageColumn?: string;
  /** Field holding the label (default `label`); absent in every example: no `labels` tensor. */
  labelColumn?: string;
  /** Label names or a mapping (see `LabelToId`); integer labels need none. */
  labelToId?: LabelToId<T>;
  /** Decodes PNG/JPEG bytes; `DataCollatorForImageClassification.create` loads the default one. */
  decoder?: ImageDecoder;
  /** Refuse encoded images with more pixels than this (default 100 million). */
  maxPixels?: number;
}

export class DataCollatorForImageClassification<T extends Example = Example> {
  private readonly o: ImageCollatorOptions<T>;
  private readonly toId: (label: unknown, example: T) => number;

  /** Without `decoder`, the collator takes pixels only; `create` also decodes PNG and JPEG bytes. */
  constructor(options: ImageCollatorOptions<T>) {
    this.o = options;
    this.toId = labelResolver(options.labelToId, 'DataCollatorForImageClassification');
  }

  /** A collator that decodes PNG and JPEG bytes too (the decoders load once, here). */
  static async create<T extends Example = Example>(options: ImageCollatorOptions<T>): Promise<DataCollatorForImageClassification<T>> {
    return new DataCollatorForImageClassification({ ...options, decoder: options.decoder ?? (await loadImageDecoder()) });
  }

  /** Use as a `Collator`: `collator: c.collate`. */
  readonly collate: Collator<T> = (examples) => {
    if (examples.length === 0) throw new FinetuneError('DataCollatorForImageClassification: no examples to collate');
    const imageCol = this.o.imageColumn ?? 'image';
    const labelCol = this.o.labelColumn ?? 'label';
    const images = examples.map((ex, i) => this.toPixels(ex[imageCol], `example ${i} "${imageCol}"`));
    const withLabels = examples.every((ex) => ex[labelCol] !== undefined);
    const labels = withLabels ? examples.map((ex) => this.toId(ex[labelCol], ex)) : null;
    const batch: Batch = { pixelValues: this.o.processor.preprocess(images) };
    if (labels) batch['labels'] = tf.tensor1d(labels, 'int32');
    return batch;
  };

  /** One image as pixels: decoded when it is PNG/JPEG bytes, as it is when it already is pixels. */
  toPixels(value: unknown, where = 'image'): PixelImage {
    if (value instanceof Uint8Array || value instanceof ArrayBuffer) {
      if (!this.o.decoder) {
        throw new FinetuneError(`DataCollatorForImageClassification: ${where} holds encoded bytes; build the collator with \`await DataCollatorForImageClassification.create(options)\` to decode PNG and JPEG`);
      }
      return this.o.decoder.decode(value, { where: `DataCollatorForImageClassification: ${where}`, ...(this.o.maxPixels === undefined ? {} : { maxPixels: this.o.maxPixels }) });
    }
    const image = value as Partial<PixelImage> | null;
    if (image && typeof image === 'object' && typeof image.width === 'number' && typeof image.height === 'number' && image.data && typeof image.data.length === 'number') {
      return image as PixelImage;
    }
    throw new FinetuneError(`DataCollatorForImageClassification: ${where} is neither PNG/JPEG bytes nor pixels ({ data, width, height }); got ${describe(value)}`);
  }
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)} (read files into bytes first)`;
  if (typeof value === 'object') return `an object with fields ${Object.keys(value).join(', ') || '(none)'}`;
  return typeof value;
}
