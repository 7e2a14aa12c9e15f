/**
 * `image-classification`: images → labels from `id2label` with scores, as Hugging Face's pipeline
 * (softmax for single-label models, sigmoid for multi-label ones and single-logit models).
 */
import * as tf from '@tensorflow/tfjs-core';
import { pipeline, type FromPretrainedOptions } from '@tfkit/core-tensor';
import type { ViTConfig } from './vit-config.js';
import { ViTImageProcessor, type RawImage } from './vit-image-processor.js';
import type { PixelInput } from './vit-modeling.js';

export interface LabelScore {
  label: string;
  score: number;
}

/** A model the pipeline can drive: pixel values in, `logits` `[batch, labels]` out. */
export interface ImageClassificationModel {
  readonly config: Pick<ViTConfig, 'id2label' | 'problemType' | 'imageSize'>;
  forward(inputs: { pixelValues: PixelInput }): { logits: tf.Tensor };
  dispose?(): void;
}

export interface ImageClassificationPipelineOptions {
  model: ImageClassificationModel;
  /** Default: `ViTImageProcessor.forModel(model.config)`. */
  processor?: ViTImageProcessor;
}

export interface ImageClassificationCallOptions {
  /** Labels per image, best first (default 5, as Hugging Face); `null` returns every label. */
  topK?: number | null;
  /** Overrides what `problem_type` implies. */
  functionToApply?: 'softmax' | 'sigmoid' | 'none';
}

function softmax(row: readonly number[]): number[] {
  const max = Math.max(...row);
  const exps = row.map((z) => Math.exp(z - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

export class ImageClassificationPipeline {
  readonly task = 'image-classification';
  readonly model: ImageClassificationModel;
  readonly processor: ViTImageProcessor;

  constructor(options: ImageClassificationPipelineOptions) {
    this.model = options.model;
    this.processor = options.processor ?? ViTImageProcessor.forModel(options.model.config);
  }

  async call(image: RawImage, options?: ImageClassificationCallOptions): Promise<LabelScore[]>;
  async call(images: RawImage[], options?: ImageClassificationCallOptions): Promise<LabelScore[][]>;
  async call(input: RawImage | RawImage[], options: ImageClassificationCallOptions = {}): Promise<LabelScore[] | LabelScore[][]> {
    const single = !Array.isArray(input);
    const pixelValues = this.processor.preprocess(single ? [input] : input);
    const logits = tf.tidy(() => this.model.forward({ pixelValues }).logits);
    pixelValues.dispose();
    const rows = (await logits.array()) as number[][];
    logits.dispose();
    const { config } = this.model;
    const fn = options.functionToApply
      ?? (config.problemType === 'regression' ? 'none' : config.problemType === 'multi_label_classification' || Object.keys(config.id2label).length === 1 ? 'sigmoid' : 'softmax');
    const topK = options.topK === null ? Infinity : (options.topK ?? 5);
    const results = rows.map((row) => (fn === 'softmax' ? softmax(row) : fn === 'sigmoid' ? row.map(sigmoid) : row)
      .map((score, i) => ({ label: config.id2label[i] ?? `LABEL_${i}`, score }))
      .sort((a, b) => b.score - a.score)
      .slice(0, topK));
    return single ? (results[0] as LabelScore[]) : results;
  }

  dispose(): void {
    this.model.dispose?.();
  }
}

/**
 * Loads a checkpoint as ViTForImageClassification and its `preprocessor_config.json` (or, when it
 * has none, a processor for the model's `image_size`), and builds the `image-classification`
 * pipeline: the same as `pipeline('image-classification', source, options)`.
 */
export async function loadImageClassificationPipeline(source: string, options: Omit<FromPretrainedOptions, 'architecture'>): Promise<ImageClassificationPipeline> {
  return (await pipeline('image-classification', source, options)) as ImageClassificationPipeline;
}
