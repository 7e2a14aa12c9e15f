/**
 * Embedding table lookup whose gradient runs on every backend (see core-tensor's embeddingLookup).
 */
import * as tf from '@tensorflow/tfjs-core';
import { embeddingLookup, normalizePaddingIdx, type Random } from '@tfkit/core-tensor';
import { defaultRng, normal, PlaceholderInit } from './init.js';
import { Module, Parameter } from './module.js';

export interface EmbeddingOptions {
  /**
   * PyTorch's `padding_idx`: this row is zero at init and the lookup never passes it a gradient, so
   * training leaves it as it is. Negative counts from the end.
   */
  paddingIdx?: number;
  /** Standard deviation of the N(0, std²) init (default 1, as PyTorch; HF models use initializer_range). */
  initStd?: number;
  rng?: Random;
}

export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  /** The row that receives no gradient (normalised to `[0, numEmbeddings)`), if any. */
  readonly paddingIdx: number | undefined;
  weight: Parameter;

  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingOptions = {}) {
    super();
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    const pad = options.paddingIdx == null ? undefined : normalizePaddingIdx(options.paddingIdx, numEmbeddings, 'Embedding');
    this.paddingIdx = pad;
    const rng = defaultRng(options.rng);
    const w = tf.tidy(() => {
      const init = normal([numEmbeddings, embeddingDim], options.initStd ?? 1, rng);
      // A placeholder (a model about to receive a checkpoint) is zeros already: no masked copy.
      if (pad === undefined || rng instanceof PlaceholderInit) return init;
      const keep = tf.reshape(tf.notEqual(tf.range(0, numEmbeddings, 1, 'int32'), pad), [numEmbeddings, 1]);
      return tf.mul(init, tf.cast(keep, 'float32'));
    });
    this.weight = new Parameter(w);
    w.dispose();
  }

  /** int ids of any shape → `[...ids.shape, embeddingDim]`. */
  forward(ids: tf.Tensor): tf.Tensor {
    return embeddingLookup(this.weight.value, ids, { paddingIdx: this.paddingIdx });
  }
}
