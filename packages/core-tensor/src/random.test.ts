import { describe, expect, it } from 'vitest';
import { Random, uniformStream } from './random.js';

const draw = (rng: Random, n: number, f: (r: Random) => number) => Array.from({ length: n }, () => f(rng));

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function variance(xs: number[]): number {
  const m = mean(xs);
  return xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length;
}

describe('Random', () => {
  it('uniformStream(seed) gives the floats of new Random(seed).random()', () => {
    for (const seed of [0, 1, 42, 123456789, 2 ** 32 - 1]) {
      const next = uniformStream(seed);
      expect(Array.from({ length: 500 }, next)).toEqual(draw(new Random(seed), 500, (r) => r.random()));
    }
    expect(uniformStream()()).toBe(new Random().random());
  });

  it('is deterministic per seed, and different seeds give different streams', () => {
    expect(draw(new Random(7), 20, (r) => r.nextUint32())).toEqual(draw(new Random(7), 20, (r) => r.nextUint32()));
    expect(draw(new Random(7), 20, (r) => r.nextUint32())).not.toEqual(draw(new Random(8), 20, (r) => r.nextUint32()));
    expect(draw(new Random(), 5, (r) => r.random())).toEqual(draw(new Random(42), 5, (r) => r.random()));
    const values = draw(new Random(1), 1000, (r) => r.nextUint32());
    expect(values.every((v) => Number.isInteger(v) && v >= 0 && v < 2 ** 32)).toBe(true);
    expect(new Set(values).size).toBe(1000);
  });

  it('implements xoshiro128** (checked against an independent BigInt implementation)', () => {
    // Reference: the published algorithm written with BigInt arithmetic modulo 2^32.
    const m = (x: bigint) => x & 0xffffffffn;
    const rotl = (x: bigint, k: bigint) => m((x << k) | (x >> (32n - k)));
    const rng = new Random(123);
    let [s0, s1, s2, s3] = rng.getState().slice(0, 4).map((x) => BigInt(x as number)) as [bigint, bigint, bigint, bigint];
    for (let i = 0; i < 100; i++) {
      const expected = m(rotl(m(s1 * 5n), 7n) * 9n);
      const t = m(s1 << 9n);
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = rotl(s3, 11n);
      expect(rng.nextUint32()).toBe(Number(expected));
    }
  });

  it('resumes exactly from a saved state, a pending Box–Muller normal included', () => {
    const rng = new Random(99);
    draw(rng, 3, (r) => r.normal()); // odd count: the pair's second value is pending
    const state = rng.getState();
    expect(state).toHaveLength(5);
    const expected = [...draw(rng, 5, (r) => r.normal()), ...draw(rng, 5, (r) => r.random()), rng.int(1000)];
    const resumed = new Random(0);
    resumed.setState(JSON.parse(JSON.stringify(state))); // survives a JSON round trip (training checkpoints)
    expect([...draw(resumed, 5, (r) => r.normal()), ...draw(resumed, 5, (r) => r.random()), resumed.int(1000)]).toEqual(expected);

    const plain = new Random(5);
    expect(plain.getState()).toHaveLength(4);
    const copy = new Random(6);
    copy.setState(plain.getState());
    expect(draw(copy, 10, (r) => r.normal())).toEqual(draw(plain, 10, (r) => r.normal()));
  });

  it('rejects a state that is not four words (or all zero, which would stick at zero)', () => {
    const rng = new Random(1);
    expect(() => rng.setState([1, 2, 3] as unknown as [number, number, number, number])).toThrow(RangeError);
    expect(() => rng.setState([0, 0, 0, 0])).toThrow(/not all zero/);
    expect(() => rng.setState([1, 2, NaN, 4])).toThrow(RangeError);
  });

  it('draws uniform floats in [0, 1) and integers in [0, n) without bias', () => {
    const rng = new Random(2024);
    const u = draw(rng, 50_000, (r) => r.random());
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(mean(u)).toBeCloseTo(0.5, 2); // sd of the mean ≈ 0.0013
    expect(variance(u)).toBeCloseTo(1 / 12, 2);
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 50_000; i++) counts[rng.int(10)]!++;
    // χ² with 9 degrees of freedom: 27.9 is the 0.999 quantile.
    const chi2 = counts.reduce((a, c) => a + (c - 5000) ** 2 / 5000, 0);
    expect(chi2).toBeLessThan(27.9);
    const w = draw(rng, 10_000, (r) => r.uniform(-2, 3));
    expect(Math.min(...w)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...w)).toBeLessThan(3);
    expect(() => rng.int(0)).toThrow(RangeError);
    expect(() => rng.int(2.5)).toThrow(RangeError);
  });

  it('draws normals with the requested mean and standard deviation', () => {
    const rng = new Random(11);
    const z = draw(rng, 50_000, (r) => r.normal(3, 0.5));
    expect(mean(z)).toBeCloseTo(3, 2);
    expect(Math.sqrt(variance(z))).toBeCloseTo(0.5, 2);
    // About 68.3% within one standard deviation, 95.4% within two.
    expect(z.filter((x) => Math.abs(x - 3) < 0.5).length / z.length).toBeCloseTo(0.683, 2);
    expect(z.filter((x) => Math.abs(x - 3) < 1).length / z.length).toBeCloseTo(0.954, 2);
  });

  it('shuffles into a permutation, samples categorically by weight, and forks independent streams', () => {
    const rng = new Random(3);
    const items = Array.from({ length: 50 }, (_, i) => i);
    const shuffled = rng.shuffle([...items]);
    expect([...shuffled].sort((a, b) => a - b)).toEqual(items);
    expect(shuffled).not.toEqual(items);
    // Every position equally likely for the first element.
    const first = new Array<number>(4).fill(0);
    for (let i = 0; i < 8000; i++) first[rng.shuffle([0, 1, 2, 3])[0]!]!++;
    for (const c of first) expect(Math.abs(c - 2000)).toBeLessThan(200);

    const counts = [0, 0, 0];
    for (let i = 0; i < 30_000; i++) counts[rng.categorical([1, 0, 3])]!++;
    expect(counts[1]).toBe(0);
    expect(counts[2]! / counts[0]!).toBeCloseTo(3, 0);
    expect(() => rng.categorical([0, 0])).toThrow(RangeError);

    const parent = new Random(8);
    const child = parent.fork();
    expect(draw(child, 5, (r) => r.nextUint32())).not.toEqual(draw(parent, 5, (r) => r.nextUint32()));
    const again = new Random(8).fork();
    expect(draw(again, 5, (r) => r.nextUint32())).toEqual(draw(new Random(8).fork(), 5, (r) => r.nextUint32()));
  });
});
