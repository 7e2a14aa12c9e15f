import { describe, expect, it } from 'vitest';
import { Tokenizer } from './index.js';
import { readCases, tokenizerFixture } from './test-fixtures.js';

for (const name of ['gpt2', 'bert-base-uncased']) {
  for (const format of ['tokenizer.json', 'vocab'] as const) {
    describe(`${name} fixtures from ${format === 'vocab' ? 'plain vocab files' : 'tokenizer.json'}`, async () => {
      const tok = await Tokenizer.fromPretrained(tokenizerFixture(name), { format });
      for (const c of readCases(name)) {
        it(JSON.stringify(c.text_pair === undefined ? c.text : [c.text, c.text_pair]).slice(0, 70), () => {
          const enc = tok.encode(c.text, { textPair: c.text_pair });
          expect(enc.ids).toEqual(c.ids);
          expect(enc.offsets).toEqual(c.offsets);
          if (c.tokens) expect(enc.tokens).toEqual(c.tokens);
          if (c.token_type_ids) expect(enc.typeIds).toEqual(c.token_type_ids);
          if (c.sequence_ids) expect(enc.sequenceIds).toEqual(c.sequence_ids);
          // Offsets point at the text each token came from.
          enc.offsets.forEach(([s, e], i) => {
            const source = enc.sequenceIds[i] === 1 ? c.text_pair! : c.text;
            expect(s).toBeGreaterThanOrEqual(0);
            expect(e).toBeLessThanOrEqual(source.length);
          });
        });
      }
    });
  }
}
