/**
 * Embedding lookup with a gradient every backend can run. tfjs's gather gradient needs the
 * UnsortedSegmentSum kernel, which tfjs-backend-wasm lacks; the gradient here scatters the
 * upstream gradient rows into the table's shape with ScatterNd, which sums rows of repeated ids.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../errors.js';
import { recordingGradients } from './fused-kernels.js';

export interface EmbeddingLookupOptions {
  /**
   * PyTorch's `padding_idx`: lookups of this row pass no gradient to it, so the lookup never
   * trains it (the forward value is the row as it is). Negative counts from the end, as in PyTorch.
   */
  paddingIdx?: number;
}

/** Rows of `table` ([vocab, dim]) at `ids` (any shape, int32) → `[...ids.shape, dim]`. */
export function embeddingLookup(table: tf.Tensor, ids: tf.Tensor, options: EmbeddingLookupOptions = {}): tf.Tensor {
  if (table.rank !== 2) throw new ShapeError(`embeddingLookup: table must be 2-D [vocab, dim], got [${table.shape}]`);
  const [vocab, dim] = table.shape as [number, number];
  const pad = options.paddingIdx == null ? undefined : normalizePaddingIdx(options.paddingIdx, vocab, 'embeddingLookup');
  return tf.tidy(() => {
    const index = ids.dtype === 'int32' ? ids : tf.cast(ids, 'int32');
    // Nothing recorded (inference, decoding): the gather alone, without the custom-gradient scope.
    if (!recordingGradients()) return tf.gather(table, index);
    // Tensors the gradient needs must go through `save`: closures over them would be disposed by
    // the surrounding tidy before the backward pass runs. The forward gathers with the ids' own
    // shape (no reshapes: a decoding step runs this for every token and position lookup).
    const lookup = tf.customGrad(((t: tf.Tensor, save: tf.GradSaveFunc) => {
      save([index]);
      return {
        value: tf.gather(t, index),
        gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
          const at = tf.reshape(saved[0] as tf.Tensor, [-1]);
          let rows = tf.reshape(dy as tf.Tensor, [-1, dim]);
          // Drop the upstream rows of padding positions before they are summed into the table.
          if (pad !== undefined) rows = tf.mul(rows, tf.reshape(tf.cast(tf.notEqual(at, pad), rows.dtype), [-1, 1]));
          return tf.scatterND(tf.reshape(at, [-1, 1]), rows, [vocab, dim]);
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return lookup(table) as tf.Tensor;
  });
}

/** A `padding_idx` checked against a table of `vocab` rows, negative counted from the end (as PyTorch). */
export function normalizePaddingIdx(paddingIdx: number, vocab: number, where: string): number {
  if (!Number.isInteger(paddingIdx) || paddingIdx >= vocab || paddingIdx < -vocab) {
    throw new ShapeError(`${where}: paddingIdx ${paddingIdx} is not a row of a table with ${vocab} rows; use an integer in [${-vocab}, ${vocab - 1}]`);
  }
  return paddingIdx < 0 ? paddingIdx + vocab : paddingIdx;
}
