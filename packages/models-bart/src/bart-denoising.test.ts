import { ConfigError, Random } from '@tfkit/core-tensor';
import { describe, expect, it } from 'vitest';
import {
  DataCollatorForBartDenoising, documentRotation, samplePoisson, sampleSpanLengths, sentencePermutation, splitSentences,
  textInfilling, tokenDeletion, tokenMasking,
} from './bart-denoising.js';

const MASK = 3;
/** A document of distinct ids 10, 11, …, so every output token says where it came from. */
const doc = (n: number) => Array.from({ length: n }, (_, i) => 10 + i);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** True when `sub` is `full` with some elements removed (order kept). */
function isSubsequence(sub: readonly number[], full: readonly number[]): boolean {
  let j = 0;
  for (const x of full) if (j < sub.length && sub[j] === x) j++;
  return j === sub.length;
}

describe('samplePoisson', () => {
  it('has mean λ, variance λ and P(0) = e^−λ over many draws', () => {
    const rng = new Random(1);
    const draws = Array.from({ length: 20000 }, () => samplePoisson(3, rng));
    const m = mean(draws);
    const variance = mean(draws.map((x) => (x - m) ** 2));
    expect(m).toBeGreaterThan(2.95); // sd of the mean ≈ 0.012
    expect(m).toBeLessThan(3.05);
    expect(variance).toBeGreaterThan(2.85);
    expect(variance).toBeLessThan(3.15);
    expect(draws.filter((x) => x === 0).length / draws.length).toBeCloseTo(Math.exp(-3), 2);
    expect(() => samplePoisson(0, rng)).toThrow(ConfigError);
  });

  it('span lengths cover exactly the requested tokens, zero-length spans included', () => {
    const rng = new Random(2);
    for (let i = 0; i < 200; i++) {
      const lengths = sampleSpanLengths(30, 3, rng);
      expect(lengths.reduce((a, b) => a + b, 0)).toBe(30);
      expect(lengths.every((l) => Number.isInteger(l) && l >= 0)).toBe(true);
    }
    expect(sampleSpanLengths(0, 3, rng)).toEqual([]);
  });
});

describe('token masking', () => {
  it('masks round(p·n) tokens in place, each position equally often', () => {
    const rng = new Random(3);
    const counts = new Array<number>(20).fill(0);
    const trials = 4000;
    let wellFormed = 0;
    for (let t = 0; t < trials; t++) {
      const out = tokenMasking(doc(20), { maskTokenId: MASK, probability: 0.25, rng });
      out.forEach((x, i) => x === MASK && counts[i]!++);
      if (out.length === 20 && out.filter((x) => x === MASK).length === 5 && out.every((x, i) => x === MASK || x === 10 + i)) wellFormed++;
    }
    expect(wellFormed).toBe(trials);
    for (const c of counts) expect(Math.abs(c / trials - 0.25)).toBeLessThan(0.03); // binomial sd ≈ 0.007
  });
});

describe('token deletion', () => {
  it('removes round(p·n) tokens, keeps the rest in order, and deletes each position equally often', () => {
    const rng = new Random(4);
    const counts = new Array<number>(20).fill(0);
    const trials = 4000;
    let wellFormed = 0;
    for (let t = 0; t < trials; t++) {
      const out = tokenDeletion(doc(20), { probability: 0.15, rng });
      for (const id of doc(20)) if (!out.includes(id)) counts[id - 10]!++;
      if (out.length === 17 && isSubsequence(out, doc(20))) wellFormed++;
    }
    expect(wellFormed).toBe(trials);
    for (const c of counts) expect(Math.abs(c / trials - 0.15)).toBeLessThan(0.03);
  });
});

describe('text infilling', () => {
  it('replaces spans covering round(p·n) tokens with one mask each (zero-length spans insert one), keeping the rest in order', () => {
    for (let seed = 0; seed < 50; seed++) {
      const lengths = sampleSpanLengths(Math.round(0.3 * 100), 3, new Random(seed));
      const out = textInfilling(doc(100), { maskTokenId: MASK, probability: 0.3, poissonLambda: 3, rng: new Random(seed) });
      const kept = out.filter((x) => x !== MASK);
      expect(kept).toHaveLength(70);
      expect(isSubsequence(kept, doc(100))).toBe(true);
      expect(out.filter((x) => x === MASK)).toHaveLength(lengths.length);
    }
  });

  it('over many documents masks hide λ = 3 tokens on average and about e^−3 of them hide none', () => {
    const rng = new Random(7);
    let hidden = 0;
    let masks = 0;
    let empty = 0;
    for (let t = 0; t < 300; t++) {
      const out = textInfilling(doc(400), { maskTokenId: MASK, probability: 0.3, rng });
      hidden += 400 - out.filter((x) => x !== MASK).length;
      // A mask between two kept neighbours that are adjacent in the document hides nothing.
      out.forEach((x, i) => {
        if (x !== MASK) return;
        masks++;
        const before = i === 0 ? 9 : out[i - 1]!;
        const after = i === out.length - 1 ? 410 : out[i + 1]!;
        if (before !== MASK && after !== MASK && after === before + 1) empty++;
      });
    }
    expect(hidden).toBe(300 * 120);
    expect(hidden / masks).toBeGreaterThan(2.85); // Poisson mean 3 (the last span of each document is cut to fit)
    expect(hidden / masks).toBeLessThan(3.1);
    // Isolated empty spans only (two adjacent masks are ambiguous), so a lower bound near e^−3 ≈ 0.050.
    expect(empty / masks).toBeGreaterThan(0.03);
    expect(empty / masks).toBeLessThan(0.06);
  });

  it('probability 0 leaves the document as it is; 1 turns it into masks', () => {
    expect(textInfilling(doc(10), { maskTokenId: MASK, probability: 0, rng: new Random(1) })).toEqual(doc(10));
    expect(new Set(textInfilling(doc(10), { maskTokenId: MASK, probability: 1, rng: new Random(1) }))).toEqual(new Set([MASK]));
    expect(() => textInfilling(doc(10), { maskTokenId: MASK, probability: 1.5, rng: new Random(1) })).toThrow(/probability must be in \[0, 1\]/);
  });
});

describe('sentence permutation', () => {
  const STOP = 5;
  const text = [10, 11, STOP, 20, STOP, 30, 31, 32, STOP, 40];

  it('splits after full stops (a trailing fragment is a sentence) and keeps the multiset of sentences', () => {
    expect(splitSentences(text, [STOP])).toEqual([[10, 11, STOP], [20, STOP], [30, 31, 32, STOP], [40]]);
    const key = (s: number[]) => s.join(',');
    const rng = new Random(8);
    for (let t = 0; t < 50; t++) {
      const out = sentencePermutation(text, { fullStopIds: [STOP], rng });
      expect(out).toHaveLength(text.length);
      // Re-split by the original sentences' contents: the same sentences, in some order.
      const sentences = splitSentences(text, [STOP]).map(key);
      let rest = out;
      const seen: string[] = [];
      while (rest.length) {
        const next = sentences.find((s) => key(rest.slice(0, s.split(',').length)) === s && !seen.includes(s));
        expect(next).toBeDefined();
        seen.push(next!);
        rest = rest.slice(next!.split(',').length);
      }
      expect(seen.sort()).toEqual([...sentences].sort());
    }
  });

  it('draws every order equally often', () => {
    const rng = new Random(9);
    const counts = new Map<string, number>();
    const trials = 6000;
    for (let t = 0; t < trials; t++) {
      const key = sentencePermutation([1, STOP, 2, STOP, 3, STOP], { fullStopIds: [STOP], rng }).filter((x) => x !== STOP).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(['123', '132', '213', '231', '312', '321']);
    for (const c of counts.values()) expect(Math.abs(c / trials - 1 / 6)).toBeLessThan(0.025);
  });
});

describe('document rotation', () => {
  it('keeps the cyclic order and starts at each token equally often', () => {
    const rng = new Random(10);
    const counts = new Array<number>(8).fill(0);
    const trials = 4000;
    let rotations = 0;
    for (let t = 0; t < trials; t++) {
      const out = documentRotation(doc(8), { rng });
      const start = out[0]! - 10;
      counts[start]!++;
      if (out.join() === [...doc(8).slice(start), ...doc(8).slice(0, start)].join()) rotations++;
    }
    expect(rotations).toBe(trials);
    for (const c of counts) expect(Math.abs(c / trials - 1 / 8)).toBeLessThan(0.025);
    expect(documentRotation([], { rng })).toEqual([]);
  });
});

describe('DataCollatorForBartDenoising', () => {
  it('noisy inputs, clean labels (−100 padding) and decoder inputs shifted behind the start token', () => {
    const collator = new DataCollatorForBartDenoising({ maskTokenId: MASK, seed: 11 });
    const batch = collator.collate([doc(20), doc(6)]);
    expect(batch.labels).toEqual([[0, ...doc(20), 2], [0, ...doc(6), 2, ...new Array<number>(14).fill(-100)]]);
    expect(batch.decoderInputIds).toEqual([[2, 0, ...doc(20)], [2, 0, ...doc(6), 2, ...new Array<number>(13).fill(1)]]);
    const width = batch.inputIds[0]!.length;
    expect(batch.inputIds.every((r) => r.length === width) && batch.attentionMask.every((r) => r.length === width)).toBe(true);
    batch.inputIds.forEach((row, r) => {
      const real = row.filter((_, i) => batch.attentionMask[r]![i] === 1);
      expect(real[0]).toBe(0);
      expect(real[real.length - 1]).toBe(2);
      expect(row.slice(real.length).every((x) => x === 1)).toBe(true);
      expect(real).toContain(MASK); // 30% text infilling by default
    });
    // Same seed, same batch; the generator moves on between batches.
    const again = new DataCollatorForBartDenoising({ maskTokenId: MASK, seed: 11 });
    expect(again.collate([doc(20), doc(6)])).toEqual(batch);
    expect(again.collate([doc(20), doc(6)]).inputIds).not.toEqual(batch.inputIds);
  });

  it('composes the configured transforms; maxLength cuts documents; bos may be absent', () => {
    const collator = new DataCollatorForBartDenoising({
      maskTokenId: MASK, bosTokenId: null, maxLength: 12, seed: 12,
      noise: { sentencePermutation: { fullStopIds: [5] }, tokenDeletion: { probability: 0.2 }, documentRotation: true },
    });
    const text = [10, 11, 5, 20, 21, 5, 30, 31, 5, 40, 41, 5, 50, 51, 5];
    const batch = collator.collate([text]);
    expect(batch.labels).toEqual([[...text.slice(0, 11), 2]]);
    const input = batch.inputIds[0]!;
    expect(input[input.length - 1]).toBe(2);
    expect(input).toHaveLength(1 + 11 - Math.round(0.2 * 11));
    expect(input).not.toContain(MASK);
    for (const id of input.slice(0, -1)) expect(text.slice(0, 11)).toContain(id);
  });

  it('bad options are ConfigErrors that name them', () => {
    expect(() => new DataCollatorForBartDenoising({ maskTokenId: -1 })).toThrow(/maskTokenId must be a token id/);
    expect(() => new DataCollatorForBartDenoising({ maskTokenId: MASK, noise: { tokenMasking: { probability: 2 } } })).toThrow(/noise\.tokenMasking\.probability must be in \[0, 1\]/);
    expect(() => new DataCollatorForBartDenoising({ maskTokenId: MASK, noise: { textInfilling: { poissonLambda: 0 } } })).toThrow(/poissonLambda/);
    expect(() => new DataCollatorForBartDenoising({ maskTokenId: MASK, maxLength: 2 })).toThrow(ConfigError);
  });
});
