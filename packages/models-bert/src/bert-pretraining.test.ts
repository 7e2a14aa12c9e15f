import { Random } from '@tfkit/core-tensor';
import { describe, expect, it } from 'vitest';
import { buildNspPairs, DataCollatorForLanguageModeling } from './bert-pretraining.js';

const PAD = 0;
const CLS = 2;
const SEP = 3;
const MASK = 4;
const SPECIAL = [PAD, 1, CLS, SEP, MASK];

/** Rows `[CLS] w… [SEP] w… [SEP] [PAD]…` with random words in [5, vocab). */
function randomBatch(rng: Random, rows: number, vocab: number): number[][] {
  return Array.from({ length: rows }, () => {
    const n = 5 + rng.int(60);
    const words = Array.from({ length: n }, () => 5 + rng.int(vocab - 5));
    const cut = 1 + rng.int(n - 1);
    const row = [CLS, ...words.slice(0, cut), SEP, ...words.slice(cut), SEP];
    return [...row, ...new Array<number>(70 - row.length).fill(PAD)];
  });
}

describe('DataCollatorForLanguageModeling', () => {
  it('chooses 15% of real tokens, then 80% [MASK] / 10% random / 10% kept, within ±1% over 10⁵+ tokens', () => {
    const collator = new DataCollatorForLanguageModeling({ maskTokenId: MASK, vocabSize: 1000, specialTokenIds: SPECIAL, seed: 123 });
    const data = new Random(7);
    let eligible = 0;
    let chosen = 0;
    let masked = 0;
    let random = 0;
    let kept = 0;
    while (eligible < 150_000) {
      const ids = randomBatch(data, 32, 1000);
      const out = collator.maskTokens(ids);
      ids.forEach((row, r) =>
        row.forEach((id, i) => {
          const label = out.labels[r]![i]!;
          const now = out.inputIds[r]![i]!;
          if (SPECIAL.includes(id)) {
            expect(label).toBe(-100);
            expect(now).toBe(id);
            return;
          }
          eligible++;
          if (label === -100) {
            expect(now).toBe(id);
            return;
          }
          expect(label).toBe(id);
          chosen++;
          if (now === MASK) masked++;
          else if (now === id) kept++;
          else {
            random++;
            expect(SPECIAL).not.toContain(now);
          }
        }),
      );
    }
    expect(Math.abs(chosen / eligible - 0.15)).toBeLessThan(0.01);
    expect(Math.abs(masked / chosen - 0.8)).toBeLessThan(0.01);
    expect(Math.abs(random / chosen - 0.1)).toBeLessThan(0.01);
    expect(Math.abs(kept / chosen - 0.1)).toBeLessThan(0.01);
  });

  it('is reproducible from its seed and differs across seeds', () => {
    const ids = randomBatch(new Random(1), 8, 100);
    const run = (seed: number) => new DataCollatorForLanguageModeling({ maskTokenId: MASK, vocabSize: 100, specialTokenIds: SPECIAL, seed }).maskTokens(ids);
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
  });

  it('collate pads to the longest example, masks only real tokens and carries NSP labels', () => {
    const collator = new DataCollatorForLanguageModeling({ maskTokenId: MASK, vocabSize: 50, specialTokenIds: SPECIAL, mlmProbability: 1, seed: 1 });
    const batch = collator.collate([
      { inputIds: [CLS, 10, 11, SEP, 12, SEP], tokenTypeIds: [0, 0, 0, 0, 1, 1], nextSentenceLabel: 1 },
      { inputIds: [CLS, 20, SEP, 21, SEP], tokenTypeIds: [0, 0, 0, 1, 1], nextSentenceLabel: 0 },
    ]);
    expect(batch.attentionMask).toEqual([[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0]]);
    expect(batch.tokenTypeIds).toEqual([[0, 0, 0, 0, 1, 1], [0, 0, 0, 1, 1, 0]]);
    expect(batch.labels).toEqual([[-100, 10, 11, -100, 12, -100], [-100, 20, -100, 21, -100, -100]]);
    expect(batch.inputIds[1]![5]).toBe(PAD);
    expect(batch.nextSentenceLabel).toEqual([1, 0]);
    expect(collator.collate([[CLS, 9, SEP]]).nextSentenceLabel).toBeUndefined();
  });

  it('rejects impossible probabilities', () => {
    expect(() => new DataCollatorForLanguageModeling({ maskTokenId: MASK, vocabSize: 50, specialTokenIds: SPECIAL, mlmProbability: 1.5 })).toThrow(/mlmProbability/);
    expect(() => new DataCollatorForLanguageModeling({ maskTokenId: MASK, vocabSize: 50, specialTokenIds: SPECIAL, maskReplaceProbability: 0.9, randomReplaceProbability: 0.2 })).toThrow(/exceed 1/);
  });
});

describe('buildNspPairs', () => {
  const docs = Array.from({ length: 40 }, (_, d) => Array.from({ length: 6 }, (_, s) => Array.from({ length: 3 + ((d + s) % 5) }, (_, w) => 1000 * d + 10 * s + w)));
  const options = { maxLength: 12, clsTokenId: CLS, sepTokenId: SEP, seed: 3 };

  it('builds [CLS] A [SEP] B [SEP] with segments, truncated to maxLength; B follows A half of the time', () => {
    const pairs = buildNspPairs(docs, options);
    expect(pairs).toHaveLength(40 * 5);
    let next = 0;
    for (const p of pairs) {
      expect(p.inputIds.length).toBeLessThanOrEqual(12);
      expect(p.inputIds[0]).toBe(CLS);
      expect(p.inputIds.at(-1)).toBe(SEP);
      const sep = p.inputIds.indexOf(SEP);
      const a = p.inputIds.slice(1, sep);
      const b = p.inputIds.slice(sep + 1, -1);
      expect(p.tokenTypeIds).toEqual([...a.map(() => 0), 0, 0, ...b.map(() => 1), 1]);
      const [docA, sentA] = [Math.floor(a[0]! / 1000), Math.floor((a[0]! % 1000) / 10)];
      const [docB, sentB] = [Math.floor(b[0]! / 1000), Math.floor((b[0]! % 1000) / 10)];
      if (p.nextSentenceLabel === 0) {
        expect([docB, sentB]).toEqual([docA, sentA + 1]);
        next++;
      } else {
        expect(docB).not.toBe(docA);
      }
    }
    expect(Math.abs(next / pairs.length - 0.5)).toBeLessThan(0.1);
    expect(buildNspPairs(docs, options)).toEqual(pairs);
  });

  it('tokenizes text documents and needs two documents for random sentences', () => {
    const tokenize = (s: string) => s.split(' ').map((w) => w.length + 10);
    const pairs = buildNspPairs([['a bb', 'ccc d'], ['ee f g']], { ...options, tokenize, nextSentenceProbability: 1 });
    expect(pairs).toEqual([{ inputIds: [CLS, 11, 12, SEP, 13, 11, SEP], tokenTypeIds: [0, 0, 0, 0, 1, 1, 1], nextSentenceLabel: 0 }]);
    expect(() => buildNspPairs([['a', 'b']], { ...options, tokenize })).toThrow(/two non-empty documents/);
    expect(() => buildNspPairs([['a', 'b']], options)).toThrow(/tokenize/);
  });
});
