import { Random } from '@tfkit/core-tensor/lite';
import { describe, expect, it } from 'vitest';
import { GPT2_SPLIT_PATTERN } from './gpt2-pattern.js';
import { splitGpt2 } from './gpt2-split.js';
import { randomCodePoints, randomText, randomUnits } from './test-random.js';

const regex = new RegExp(GPT2_SPLIT_PATTERN, 'gu');
const viaRegex = (text: string) => [...text.matchAll(regex)].map((m) => m[0]);
function viaScanner(text: string): string[] {
  const out: string[] = [];
  splitGpt2(text, 0, text.length, (s, e) => out.push(text.slice(s, e)));
  return out;
}

describe('splitGpt2', () => {
  it('splits exactly like the GPT-2 regex', () => {
    for (const text of ["I'm here, you're   there'll  \n\n x 'S '' 123abc!!? ", "\t\t a", '  ', ' ', "'", "'re", 'a\u00a0 b\u3000\u3000c', '\u0085x']) {
      expect(viaScanner(text), JSON.stringify(text)).toEqual(viaRegex(text));
    }
  });

  it('agrees with the regex on random Unicode, lone surrogates included', () => {
    const rng = new Random(12);
    for (let k = 0; k < 600; k++) {
      const text = k % 3 === 0 ? randomText(rng, 30) : k % 3 === 1 ? randomUnits(rng, 80) : randomCodePoints(rng, 80);
      expect(viaScanner(text), JSON.stringify(text)).toEqual(viaRegex(text));
    }
  });
});
