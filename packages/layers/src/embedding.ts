/**
 * Embedding table lookup whose gradient runs on every backend (see core-tensor's embeddingLookup).
 */
import * as tf from '@tensorflow/tfjs-core';
import { embeddingLookup, type Random } from '@tfkit/core-tensor';
import { defaultRng, normal } from './init.js';
import { Module, Parameter } from './module.js';

export interface EmbeddingOptions {
  /** Row whose output is zero at init (PyTorch `padding_idx`). */
  paddingIdx?: number;
  /** Standard deviation of the N(0, std²) init (default 1, as PyTorch; HF models use initializer_range). */
  initStd?: number;
  rng?: Random;
}

export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  weight: Parameter;

  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingOptions = {}) {
    super();
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    const w = tf.tidy(() => {
      const init = normal([numEmbeddings, embeddingDim], options.initStd ?? 1, defaultRng(options.rng));
      if (options.paddingIdx === undefined) return init;
      const keep = tf.reshape(tf.notEqual(tf.range(0, numEmbeddings, 1, 'int32'), options.paddingIdx), [numEmbeddings, 1]);
      return tf.mul(init, tf.cast(keep, 'float32'));
    });
    this.weight = new Parameter(w);
    w.dispose();
  }

  /** int ids of any shape → `[...ids.shape, embeddingDim]`. */
  forward(ids: tf.Tensor): tf.Tensor {
    return embeddingLookup(this.weight.value, ids);
  }
}
