/**
 * `feature-extraction`: the encoder's hidden states as plain arrays: per token, or pooled per text
 * by the mean over real tokens or the `[CLS]` vector, optionally L2-normalised (sentence embeddings).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '@tfkit/core-tensor';
import { batchInputs, maxInputLength, outputTensor, Pipeline } from './common.js';

export type Pooling = 'none' | 'mean' | 'cls';

export interface FeatureExtractionOptions {
  /** `none`: `[tokens][hidden]` per text (default); `mean`/`cls`: one `[hidden]` vector per text. */
  pooling?: Pooling;
  /** Scale pooled vectors to unit length. */
  normalize?: boolean;
}

export class FeatureExtractionPipeline extends Pipeline {
  readonly task = 'feature-extraction';

  async call(text: string, options: FeatureExtractionOptions & { pooling: 'mean' | 'cls' }): Promise<number[]>;
  async call(texts: string[], options: FeatureExtractionOptions & { pooling: 'mean' | 'cls' }): Promise<number[][]>;
  async call(text: string, options?: FeatureExtractionOptions): Promise<number[][]>;
  async call(texts: string[], options?: FeatureExtractionOptions): Promise<number[][][]>;
  async call(input: string | string[], options: FeatureExtractionOptions = {}): Promise<number[] | number[][] | number[][][]> {
    const pooling = options.pooling ?? 'none';
    if (!['none', 'mean', 'cls'].includes(pooling)) throw new ConfigError(`feature-extraction: unknown pooling "${pooling}"; use none, mean or cls`);
    if (options.normalize && pooling === 'none') throw new ConfigError('feature-extraction: normalize needs pooling "mean" or "cls"');
    const texts = typeof input === 'string' ? [input] : input;
    const encodings = this.tokenizer.encodeBatch(texts, { padding: 'longest', truncation: true, maxLength: maxInputLength(this) });
    const features = tf.tidy(() => {
      const inputs = batchInputs(encodings);
      const hidden = outputTensor(this.model.forward(inputs), 'lastHiddenState', this.task); // [B, T, C]
      if (pooling === 'none') return hidden;
      let pooled: tf.Tensor;
      if (pooling === 'cls') {
        const [b, , c] = hidden.shape as [number, number, number];
        pooled = tf.reshape(tf.slice(hidden, [0, 0, 0], [b, 1, c]), [b, c]);
      } else {
        const mask = tf.expandDims(tf.tensor2d(inputs.attentionMask, undefined, 'float32'), 2); // [B, T, 1]
        pooled = tf.div(tf.sum(tf.mul(hidden, mask), 1), tf.maximum(tf.sum(mask, 1), 1e-9));
      }
      return options.normalize ? tf.div(pooled, tf.maximum(tf.norm(pooled, 2, 1, true), 1e-12)) : pooled;
    });
    const values = (await features.array()) as number[][] | number[][][];
    features.dispose();
    if (pooling === 'none') {
      // Padding rows belong to no text: drop them.
      const perText = (values as number[][][]).map((rows, b) => rows.filter((_, t) => encodings[b]?.attentionMask[t] === 1));
      return typeof input === 'string' ? (perText[0] as number[][]) : perText;
    }
    return typeof input === 'string' ? ((values as number[][])[0] as number[]) : (values as number[][]);
  }
}
