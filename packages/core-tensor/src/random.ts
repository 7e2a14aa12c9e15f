/**
 * Seeded pseudo-random numbers, used wherever tfkit needs randomness (masking, dropout, shuffling,
 * sampling, initialisation) so that a run can be reproduced from its seed.
 *
 * The generator is xoshiro128** (Blackman & Vigna), seeded through splitmix32; its state is four
 * 32-bit words (plus the second normal of a Box–Muller pair when one is pending), which
 * `getState`/`setState` expose so training checkpoints can resume exactly.
 */
export type RngState = readonly [number, number, number, number, number?];

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/**
 * The uniform floats of `new Random(seed).random()`, as a bare function: the same stream, without
 * the class and its other methods, for code that needs only uniforms and counts bytes (BPE-dropout
 * in a tokenizer page bundles this instead of the whole class).
 */
export function uniformStream(seed = 42): () => number {
  const next = splitmix32(seed);
  let s0 = next();
  let s1 = next();
  let s2 = next();
  let s3 = next();
  const u32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    s2 = (s2 ^ s0) >>> 0;
    s3 = (s3 ^ s1) >>> 0;
    s1 = (s1 ^ s2) >>> 0;
    s0 = (s0 ^ s3) >>> 0;
    s2 = (s2 ^ t) >>> 0;
    s3 = rotl(s3, 11);
    return result;
  };
  // As Random.random: 27 high bits, then 26 low bits.
  return () => ((u32() >>> 5) * 67108864 + (u32() >>> 6)) / 9007199254740992;
}

export class Random {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spareNormal: number | undefined;

  constructor(seed = 42) {
    const next = splitmix32(seed);
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** Next uniformly distributed 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform float in [0, 1) with 53 bits of randomness. */
  random(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform float in [low, high). */
  uniform(low = 0, high = 1): number {
    return low + (high - low) * this.random();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`Random.int: n must be a positive integer, got ${n}`);
    return Math.floor(this.random() * n);
  }

  /** Standard normal sample (Box–Muller, both values used). */
  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== undefined) {
      const z = this.spareNormal;
      this.spareNormal = undefined;
      return mean + std * z;
    }
    let u = 0;
    while (u === 0) u = this.random();
    const v = this.random();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }

  /** Samples an index from unnormalised non-negative weights. */
  categorical(weights: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) total += weights[i] as number;
    if (!(total > 0)) throw new RangeError('Random.categorical: weights must have a positive sum');
    let r = this.random() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i] as number;
      if (r < 0) return i;
    }
    return weights.length - 1;
  }

  /** A new generator seeded from this one (for independent streams, e.g. per worker). */
  fork(): Random {
    return new Random(this.nextUint32());
  }

  getState(): RngState {
    const words = [this.s0, this.s1, this.s2, this.s3] as const;
    return this.spareNormal === undefined ? words : [...words, this.spareNormal];
  }

  setState(state: RngState): void {
    const words = state.slice(0, 4);
    if (words.length !== 4 || state.length > 5 || !state.every((x) => typeof x === 'number' && Number.isFinite(x)) || words.every((x) => (x as number) >>> 0 === 0)) {
      throw new RangeError(`Random.setState: expected four 32-bit words, not all zero, and an optional pending normal; got [${state.join(', ')}]`);
    }
    [this.s0, this.s1, this.s2, this.s3] = words.map((x) => (x as number) >>> 0) as [number, number, number, number];
    this.spareNormal = state[4];
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
