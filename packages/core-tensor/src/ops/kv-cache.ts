/**
 * A decoder's key/value cache held in preallocated buffers, one `[batch, heads, capacity, headDim]`
 * key and value per layer, of which the first `length` positions are filled. A decoding step
 * writes its one new position in place (`cachedAttentionInPlace`, where the backend has the
 * kernel) instead of concatenating the whole past into new tensors every step; the capacity
 * grows geometrically (doubling, up to `maxLength`), so the past is copied O(log n) times over a
 * generation rather than once per token. The cache owns its buffers: nothing else may hold them
 * (they change in place), and `dispose` frees them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../errors.js';

/** One layer's buffers, `[batch, heads, capacity, headDim]` each. */
export interface KvCacheLayer {
  key: tf.Tensor4D;
  value: tf.Tensor4D;
}

export interface KvCacheOptions {
  /** Layers (one key and one value buffer each). */
  numLayers: number;
  /**
   * The most positions the cache will be asked to hold (a model's position table): growth stops
   * there, so no buffer is larger than needed. A longer request still fits (exactly).
   */
  maxLength?: number;
  /** Smallest capacity allocated (default 16). */
  minCapacity?: number;
}

export class KvCache {
  readonly numLayers: number;
  readonly maxLength: number;
  private readonly minCapacity: number;
  private readonly layers: (KvCacheLayer | null)[];
  private filled = 0;
  private cap = 0;
  private disposed = false;

  constructor(options: KvCacheOptions) {
    const { numLayers, maxLength = Infinity, minCapacity = 16 } = options;
    if (!Number.isInteger(numLayers) || numLayers < 1) throw new ShapeError(`KvCache: numLayers must be a positive integer, got ${numLayers}`);
    if (!(maxLength >= 1)) throw new ShapeError(`KvCache: maxLength must be at least 1, got ${maxLength}`);
    this.numLayers = numLayers;
    this.maxLength = maxLength;
    this.minCapacity = Math.max(1, minCapacity);
    this.layers = Array.from({ length: numLayers }, () => null);
  }

  /** Positions filled (the past a next step attends to). */
  get length(): number {
    return this.filled;
  }

  /** Positions the buffers hold room for (0 before the first write). */
  get capacity(): number {
    return this.cap;
  }

  /** Layer `i`'s buffers (`[B, H, capacity, d]`, of which the first `length` positions count), or null before its first write. */
  layer(i: number): KvCacheLayer | null {
    this.check();
    return this.layers[i] ?? null;
  }

  /**
   * Makes room for `n` more positions: when `length + n` exceeds the capacity, every buffer is
   * copied into one of twice the needed size (at most `maxLength`, at least `length + n`).
   * Call before writing in place. Safe inside `tf.tidy` (the new buffers are kept).
   */
  reserve(n: number): void {
    this.check();
    const need = this.filled + n;
    if (need <= this.cap) return;
    const grown = Math.max(need, Math.min(this.maxLength, Math.max(2 * need, this.minCapacity)));
    this.cap = grown;
    this.layers.forEach((kv, i) => {
      if (!kv) return;
      this.layers[i] = { key: this.padded(kv.key, grown), value: this.padded(kv.value, grown) };
      tf.dispose([kv.key, kv.value]);
    });
  }

  /**
   * Layer `i`'s past as `[B, H, length, d]` tensors (new tensors: the caller disposes them, or an
   * enclosing `tf.tidy` does), or null while the cache is empty.
   */
  past(i: number): KvCacheLayer | null {
    const kv = this.layer(i);
    if (!kv || this.filled === 0) return null;
    const [b, h, , d] = kv.key.shape;
    // Copies (never views sharing the buffer, which changes in place).
    return { key: tf.slice(kv.key, [0, 0, 0, 0], [b, h, this.filled, d]), value: tf.slice(kv.value, [0, 0, 0, 0], [b, h, this.filled, d]) };
  }

  /**
   * Stores layer `i`'s keys and values of all positions so far (`[B, H, length + n, d]`, the past
   * followed by `n` new positions; `advance(n)` once every layer is written) as copies in buffers
   * of the reserved capacity. `key` and `value` stay the caller's. The copying path, for a prompt
   * or where the in-place kernel is missing.
   */
  write(i: number, key: tf.Tensor4D, value: tf.Tensor4D): void {
    this.check();
    const len = key.shape[2];
    if (key.shape.join() !== value.shape.join()) throw new ShapeError(`KvCache.write: layer ${i}'s key is [${key.shape}] and value [${value.shape}]; they must match`);
    if (len < this.filled) throw new ShapeError(`KvCache.write: layer ${i} gets ${len} positions, fewer than the ${this.filled} cached; pass the past and the new positions together`);
    this.reserve(len - this.filled);
    const old = this.layers[i];
    this.layers[i] = { key: this.padded(key, this.cap), value: this.padded(value, this.cap) };
    if (old) tf.dispose([old.key, old.value]);
  }

  /** Counts `n` more positions as filled (after every layer wrote them, in place or by `write`). */
  advance(n: number): void {
    this.check();
    if (this.filled + n > this.cap) throw new ShapeError(`KvCache.advance: ${this.filled} + ${n} positions exceed the capacity ${this.cap}; reserve first`);
    this.filled += n;
  }

  /** Rearranges batch rows: new row `j` is old row `rows[j]` (rows may repeat: beam search). */
  selectRows(rows: readonly number[]): void {
    this.check();
    const index = tf.tensor1d(rows as number[], 'int32');
    try {
      this.layers.forEach((kv, i) => {
        if (!kv) return;
        this.layers[i] = tf.tidy(() => ({ key: tf.gather(kv.key, index) as tf.Tensor4D, value: tf.gather(kv.value, index) as tf.Tensor4D }));
        tf.dispose([kv.key, kv.value]);
      });
    } finally {
      index.dispose();
    }
  }

  /** Frees the buffers; the cache cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const kv of this.layers) if (kv) tf.dispose([kv.key, kv.value]);
    this.layers.fill(null);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  private check(): void {
    if (this.disposed) throw new ShapeError('KvCache: the cache was disposed; start a new one');
  }

  /** `x` `[B, H, n, d]` copied into a new buffer of `capacity` positions (zeros after n), kept from any enclosing tidy. */
  private padded(x: tf.Tensor4D, capacity: number): tf.Tensor4D {
    const n = x.shape[2];
    // A new tensor in every case (never x's own buffer: the cache writes into it).
    return tf.keep(tf.tidy(() => tf.pad(x, [[0, 0], [0, 0], [0, capacity - n], [0, 0]]) as tf.Tensor4D));
  }
}
