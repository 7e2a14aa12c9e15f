import { describe, expect, it } from 'vitest';
import { LruCache } from './lru.js';

describe('LruCache', () => {
  it('stays within its capacity and keeps what is used', () => {
    const cache = new LruCache<string, number>(100);
    cache.set('hot', 0);
    for (let i = 0; i < 10_000; i++) {
      cache.set(`k${i}`, i);
      expect(cache.get('hot')).toBe(0);
      expect(cache.size).toBeLessThanOrEqual(100);
    }
    expect(cache.get('k0')).toBeUndefined();
    expect(cache.get('k9999')).toBe(9999);
    cache.clear();
    expect(cache.size).toBe(0);
  });
});
