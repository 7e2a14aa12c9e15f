/**
 * Embedding lookup with a gradient every backend can run. tfjs's gather gradient needs the
 * UnsortedSegmentSum kernel, which tfjs-backend-wasm lacks; the gradient here scatters the
 * upstream gradient rows into the table's shape with ScatterNd, which sums rows of repeated ids.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../errors.js';

/** Rows of `table` ([vocab, dim]) at `ids` (any shape, int32) → `[...ids.shape, dim]`. */
export function embeddingLookup(table: tf.Tensor, ids: tf.Tensor): tf.Tensor {
  if (table.rank !== 2) throw new ShapeError(`embeddingLookup: table must be 2-D [vocab, dim], got [${table.shape}]`);
  return tf.tidy(() => {
    const [vocab, dim] = table.shape as [number, number];
    const flat = tf.reshape(ids.dtype === 'int32' ? ids : tf.cast(ids, 'int32'), [-1]);
    // Tensors the gradient needs must go through `save`: closures over them would be disposed by
    // the surrounding tidy before the backward pass runs.
    const lookup = tf.customGrad(((t: tf.Tensor, save: tf.GradSaveFunc) => {
      save([flat]);
      return {
        value: tf.gather(t, flat),
        gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
          tf.scatterND(tf.reshape(saved[0] as tf.Tensor, [-1, 1]), tf.reshape(dy as tf.Tensor, [-1, dim]), [vocab, dim]),
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return tf.reshape(lookup(table) as tf.Tensor, [...ids.shape, dim]);
  });
}
