/**
 * Keys and values of earlier positions, kept across decoding steps so each new token attends to
 * them without recomputing their projections. Tensors are `[batch, heads, length, headDim]`
 * (Hugging Face's `past_key_values` layout).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '@tfkit/core-tensor';

export class KVCache {
  private k: tf.Tensor | null = null;
  private v: tf.Tensor | null = null;

  /** Starts from given keys/values (e.g. `past_key_values` from a checkpoint's reference run); the cache takes ownership. */
  constructor(initial?: { key: tf.Tensor; value: tf.Tensor }) {
    if (initial) {
      this.k = tf.keep(initial.key);
      this.v = tf.keep(initial.value);
    }
  }

  /** Number of cached positions (0 when empty). */
  get length(): number {
    return this.k ? (this.k.shape[2] as number) : 0;
  }

  get key(): tf.Tensor | null {
    return this.k;
  }

  get value(): tf.Tensor | null {
    return this.v;
  }

  /**
   * Appends `key`/`value` (`[b, h, t, d]`) along the length axis and returns the full keys and
   * values. The cache keeps its own copies (`tf.keep`), so this may run inside `tf.tidy`.
   */
  append(key: tf.Tensor, value: tf.Tensor): { key: tf.Tensor; value: tf.Tensor } {
    if (this.k && this.v) {
      if (key.shape[0] !== this.k.shape[0] || key.shape[1] !== this.k.shape[1] || key.shape[3] !== this.k.shape[3]) {
        throw new ShapeError(`KVCache.append: new keys [${key.shape}] do not fit cached [${this.k.shape}] (batch, heads and head size must match)`);
      }
      const k = tf.keep(tf.concat([this.k, key], 2));
      const v = tf.keep(tf.concat([this.v, value], 2));
      this.k.dispose();
      this.v.dispose();
      this.k = k;
      this.v = v;
    } else {
      this.k = tf.keep(tf.clone(key));
      this.v = tf.keep(tf.clone(value));
    }
    return { key: this.k, value: this.v };
  }

  /** Replaces the contents (used for cross-attention, whose keys/values are computed once). */
  set(key: tf.Tensor, value: tf.Tensor): void {
    this.dispose();
    this.k = tf.keep(tf.clone(key));
    this.v = tf.keep(tf.clone(value));
  }

  /** Keeps only the batch rows in `indices` (beam search reorders beams each step). */
  reorder(indices: number[] | tf.Tensor1D): void {
    if (!this.k || !this.v) return;
    const idx = Array.isArray(indices) ? tf.tensor1d(indices, 'int32') : indices;
    const k = tf.keep(tf.gather(this.k, idx));
    const v = tf.keep(tf.gather(this.v, idx));
    if (idx !== indices) idx.dispose();
    this.dispose();
    this.k = k;
    this.v = v;
  }

  dispose(): void {
    this.k?.dispose();
    this.v?.dispose();
    this.k = null;
    this.v = null;
  }
}
