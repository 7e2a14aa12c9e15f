import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeaks } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { ShapeError } from '../errors.js';
import { KvCache } from './kv-cache.js';

/** `[b, h, n, d]` with value 1000·row + 10·position + column, so any misplaced copy shows. */
function positions(b: number, h: number, n: number, d: number, from = 0): tf.Tensor4D {
  const data = new Float32Array(b * h * n * d);
  for (let r = 0; r < b * h; r++) for (let p = 0; p < n; p++) for (let i = 0; i < d; i++) data[(r * n + p) * d + i] = 1000 * r + 10 * (from + p) + i;
  return tf.tensor4d(data, [b, h, n, d]);
}

describe('KvCache', () => {
  it('stores copies in buffers grown geometrically (capped at maxLength), keeps the past when growing, and frees everything', async () => {
    await expectNoLeaks(() => {
      const cache = new KvCache({ numLayers: 2, maxLength: 40 });
      expect([cache.length, cache.capacity, cache.layer(0)]).toEqual([0, 0, null]);
      expect(cache.past(0)).toBeNull();
      const k = positions(1, 2, 5, 3);
      cache.reserve(5);
      for (const i of [0, 1]) cache.write(i, k, k);
      cache.advance(5);
      expect([cache.length, cache.capacity]).toEqual([5, 16]);
      expect(cache.layer(0)!.key.shape).toEqual([1, 2, 16, 3]);
      expect(cache.layer(0)!.key).not.toBe(k);
      k.dispose(); // the cache holds copies
      // 12 more positions: 17 needed → twice that, capped at 40.
      const longer = positions(1, 2, 17, 3);
      cache.reserve(12);
      expect(cache.capacity).toBe(34);
      for (const i of [0, 1]) cache.write(i, longer, longer);
      cache.advance(12);
      const held = cache.past(1)!;
      expect(Array.from(held.key.dataSync())).toEqual(Array.from(longer.dataSync()));
      tf.dispose([held.key, held.value, longer]);
      cache.reserve(18);
      expect(cache.capacity).toBe(40);
      const grown = cache.past(0)!;
      expect(grown.key.shape).toEqual([1, 2, 17, 3]);
      expect(grown.key.dataSync()[17 * 3 + 2]).toBe(1000 + 2); // row 1, position 0, column 2 after the copy
      tf.dispose([grown.key, grown.value]);
      // Past maxLength a request still fits, exactly.
      cache.reserve(30);
      expect(cache.capacity).toBe(47);
      cache.dispose();
      cache.dispose();
      expect(cache.isDisposed).toBe(true);
    }, 'KvCache');
  });

  it('selects rows (repeating some) in every layer', async () => {
    await expectNoLeaks(() => {
      const cache = new KvCache({ numLayers: 1 });
      const k = positions(2, 1, 3, 2);
      cache.write(0, k, k);
      cache.advance(3);
      cache.selectRows([1, 1, 0]);
      const held = cache.past(0)!;
      expect(held.key.shape).toEqual([3, 1, 3, 2]);
      expect(Array.from(held.key.dataSync()).filter((_, i) => i % 6 === 0)).toEqual([1000, 1000, 0]);
      tf.dispose([k, held.key, held.value]);
      cache.dispose();
    }, 'selectRows');
  });

  it('refuses misuse with ShapeErrors that say what to do', () => {
    expect(() => new KvCache({ numLayers: 0 })).toThrow(ShapeError);
    const cache = new KvCache({ numLayers: 1 });
    const k = positions(1, 1, 4, 2);
    cache.write(0, k, k);
    expect(() => cache.advance(17)).toThrow(/exceed the capacity 16; reserve first/);
    cache.advance(4);
    const short = positions(1, 1, 2, 2);
    expect(() => cache.write(0, short, short)).toThrow(/fewer than the 4 cached/);
    expect(() => cache.write(0, k, short)).toThrow(/must match/);
    cache.dispose();
    expect(() => cache.reserve(1)).toThrow(/disposed; start a new one/);
    tf.dispose([k, short]);
  });
});
