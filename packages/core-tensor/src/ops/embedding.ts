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
    const flat = (ids.dtype === 'int32' ? ids : tf.cast(ids, 'int32')).reshape([-1]);
    const lookup = tf.customGrad((t: tf.Tensor) => ({
      value: tf.gather(t, flat),
      gradFunc: (dy: tf.Tensor | tf.Tensor[]) =>
        tf.scatterND(flat.reshape([-1, 1]), (dy as tf.Tensor).reshape([-1, dim]), [vocab, dim]),
    }));
    return (lookup(table) as tf.Tensor).reshape([...ids.shape, dim]);
  });
}
