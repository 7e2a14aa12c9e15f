/** Property tests over random Unicode: robustness, round trips, offsets, overflow windows. */
import { Random } from '@tfkit/core-tensor/lite';
import { beforeAll, describe, expect, it } from 'vitest';
import { Tokenizer, type Encoding } from './index.js';
import { tokenizerFixture } from './test-fixtures.js';
import { randomCodePoints, randomText, randomUnits } from './test-random.js';

let gpt2: Tokenizer;
let bert: Tokenizer;
beforeAll(async () => {
  gpt2 = await Tokenizer.fromPretrained(tokenizerFixture('gpt2'));
  bert = await Tokenizer.fromPretrained(tokenizerFixture('bert-base-uncased'));
});

function inputs(seed: number, n: number): string[] {
  const rng = new Random(seed);
  const out: string[] = [];
  for (let k = 0; k < n; k++) {
    const kind = k % 3;
    out.push(kind === 0 ? randomText(rng, 1 + rng.int(40), ['<|endoftext|>', '[MASK]']) : kind === 1 ? randomUnits(rng, rng.int(200)) : randomCodePoints(rng, rng.int(200)));
  }
  return out;
}

function isWellFormed(s: string): boolean {
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);
}

/** Offsets inside the text, `[0, 0]` for special tokens, starts never decreasing within a sequence. */
function checkOffsets(enc: Encoding, text: string, pair?: string): void {
  let problem = '';
  let lastStart = 0;
  for (let i = 0; i < enc.length && !problem; i++) {
    const [s, e] = enc.offsets[i]!;
    const seq = enc.sequenceIds[i];
    if (seq === null) {
      if (s !== 0 || e !== 0) problem = `special token ${i} has offsets [${s}, ${e}]`;
      continue;
    }
    const source = seq === 1 ? pair! : text;
    if (!(s >= 0 && s <= e && e <= source.length)) problem = `token ${i} offsets [${s}, ${e}] outside [0, ${source.length}]`;
    else if (i > 0 && enc.sequenceIds[i - 1] === seq && s < lastStart) problem = `token ${i} starts at ${s}, before ${lastStart}`;
    lastStart = s;
  }
  expect(problem, JSON.stringify([text.slice(0, 200), pair?.slice(0, 200)])).toBe('');
}

describe('random Unicode', () => {
  it('never throws; offsets stay inside the text and never go backwards', () => {
    for (const tok of [gpt2, bert]) {
      const texts = inputs(1, 300);
      for (let k = 0; k < texts.length; k++) {
        const text = texts[k]!;
        const pair = k % 4 === 0 ? texts[(k + 1) % texts.length] : undefined;
        const enc = tok.encode(text, { textPair: pair });
        expect(enc.ids.length).toBe(enc.offsets.length);
        checkOffsets(enc, text, pair);
        expect(() => tok.decode(enc.ids, { skipSpecialTokens: k % 2 === 0 })).not.toThrow();
      }
    }
  });

  it('byte-level BPE: decode(encode(x)) === x for every well-formed string', () => {
    let checked = 0;
    for (const text of inputs(2, 600)) {
      if (!isWellFormed(text)) continue;
      expect(gpt2.decode(gpt2.encode(text).ids)).toBe(text);
      checked++;
    }
    expect(checked).toBeGreaterThan(350);
  });

  it('handles emoji ZWJ sequences, combining marks, RTL, CJK and control characters', () => {
    const text = 'I 👩‍👩‍👧‍👦 🏳️‍🌈 Z\u0324\u0354\u0367 e\u0301 مرحبا שלום \u202e 東京タワー 한국어 \u0000\u0007\u001b\u007f\u00ad\ufeff';
    expect(gpt2.decode(gpt2.encode(text).ids)).toBe(text);
    const enc = bert.encode(text);
    checkOffsets(enc, text);
    expect(enc.tokens).toContain('東');
    expect(enc.tokens).toContain('[UNK]');
  });

  it('lone surrogates encode without throwing (as U+FFFD bytes for byte-level BPE)', () => {
    const text = 'a\ud800b\udc00c';
    const enc = gpt2.encode(text);
    checkOffsets(enc, text);
    expect(gpt2.decode(enc.ids)).toBe('a\ufffdb\ufffdc');
    expect(() => bert.encode(text)).not.toThrow();
  });

  it('very long words and 1 MB inputs', () => {
    const word = 'a'.repeat(300_000);
    const enc = gpt2.encode(word);
    expect(gpt2.decode(enc.ids)).toBe(word);
    expect(enc.offsets.at(-1)![1]).toBe(word.length);
    expect(bert.encode(word).tokens).toEqual(['[CLS]', '[UNK]', '[SEP]']);

    const rng = new Random(9);
    let big = '';
    while (big.length < 1_000_000) big += randomText(rng, 50) + randomUnits(rng, 50);
    for (const tok of [gpt2, bert]) {
      const e = tok.encode(big);
      expect(e.length).toBeGreaterThan(100_000);
      checkOffsets(e, big);
    }
    // ~6 s on a quiet 2-core machine; a loaded CI machine has taken more than 60 s.
  }, 300_000);
});

describe('truncation with stride', () => {
  it('overflowing windows cover the whole input with `stride` tokens of overlap', () => {
    const rng = new Random(3);
    for (const tok of [gpt2, bert]) {
      for (let k = 0; k < 60; k++) {
        const text = randomText(rng, 5 + rng.int(60));
        const full = tok.encode(text, { addSpecialTokens: false }).ids;
        const maxLength = 6 + rng.int(20);
        const stride = rng.int(Math.min(4, maxLength - 3));
        const side = k % 2 === 0 ? 'right' : 'left';
        const enc = tok.encode(text, { truncation: true, maxLength, stride, truncationSide: side });
        const windows = [enc, ...(enc.overflowing ?? [])].map((w) => w.ids.filter((_, i) => w.specialTokensMask[i] === 0));
        for (const w of [enc, ...(enc.overflowing ?? [])]) expect(w.length).toBeLessThanOrEqual(maxLength);
        if (full.length + (enc.length - windows[0]!.length) <= maxLength) {
          expect(windows).toEqual([full]);
          continue;
        }
        // Stitch the windows back together, dropping each window's overlap with the previous one.
        const ordered = side === 'right' ? windows : windows.slice().reverse();
        const stitched = [...ordered[0]!];
        for (let w = 1; w < ordered.length; w++) {
          const overlap = stitched.slice(stitched.length - stride);
          expect(ordered[w]!.slice(0, stride)).toEqual(overlap);
          stitched.push(...ordered[w]!.slice(stride));
        }
        expect(stitched).toEqual(full);
      }
    }
  });
});
