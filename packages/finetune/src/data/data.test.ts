import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expectNoLeaks } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { DataCollatorWithPadding, type TokenizerLike } from './collator.js';
import { parseCsv } from './csv.js';
import { Dataset } from './dataset.js';

describe('Dataset', () => {
  const ds = Dataset.fromArray(Array.from({ length: 10 }, (_, i) => ({ i })));

  it('shuffles by (seed, epoch): reproducible, different per epoch, a permutation', () => {
    const a = ds.batchIndices({ batchSize: 3, seed: 1, epoch: 0 });
    expect(ds.batchIndices({ batchSize: 3, seed: 1, epoch: 0 })).toEqual(a);
    expect(ds.batchIndices({ batchSize: 3, seed: 1, epoch: 1 })).not.toEqual(a);
    expect(a.map((b) => b.length)).toEqual([3, 3, 3, 1]);
    expect(a.flat().sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(ds.batchIndices({ batchSize: 4, shuffle: false, dropLast: true })).toEqual([[0, 1, 2, 3], [4, 5, 6, 7]]);
  });

  it('reads async iterables, JSONL and CSV files', async () => {
    async function* gen() {
      yield { x: 1 };
      yield { x: 2 };
    }
    expect((await Dataset.fromAsyncIterable(gen())).toArray()).toEqual([{ x: 1 }, { x: 2 }]);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tfkit-data-'));
    await fs.writeFile(path.join(dir, 'a.jsonl'), '{"text":"hi","label":1}\n\n{"text":"yo","label":0}\n');
    expect((await Dataset.fromJsonl(path.join(dir, 'a.jsonl'))).toArray()).toEqual([{ text: 'hi', label: 1 }, { text: 'yo', label: 0 }]);
    await fs.writeFile(path.join(dir, 'bad.jsonl'), '{"a":1}\n{oops}\n');
    await expect(Dataset.fromJsonl(path.join(dir, 'bad.jsonl'))).rejects.toThrow(/bad\.jsonl:2: not valid JSON/);
    await fs.writeFile(path.join(dir, 'a.csv'), 'text,label\r\n"a, ""quoted"" text",1\r\n"two\nlines",0\r\n');
    expect((await Dataset.fromCsv(path.join(dir, 'a.csv'))).toArray()).toEqual([{ text: 'a, "quoted" text', label: '1' }, { text: 'two\nlines', label: '0' }]);
    await fs.rm(dir, { recursive: true });
  });

  it('CSV: tab separator, explicit columns, ragged rows rejected', () => {
    expect(parseCsv('x\ty\n1\t2\n', { delimiter: '\t' })).toEqual([{ x: '1', y: '2' }]);
    expect(parseCsv('1,2\n', { columns: ['a', 'b'] })).toEqual([{ a: '1', b: '2' }]);
    expect(() => parseCsv('a,b\n1\n', { source: 'f.csv' })).toThrow(/f\.csv: row 2 has 1 fields but the header has 2/);
  });

  it('split is seeded and disjoint', () => {
    const [a, b] = ds.split(0.7, 3);
    expect(a.length).toBe(7);
    expect([...a.toArray(), ...b.toArray()].map((e) => e.i).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(ds.split(0.7, 3)[0].toArray()).toEqual(a.toArray());
  });
});

describe('DataCollatorWithPadding', () => {
  // A whitespace tokenizer with [CLS]=2 … [SEP]=3 and word ids from a small table.
  const vocab = new Map([['good', 5], ['bad', 6], ['very', 7], ['film', 8]]);
  const tokenizer: TokenizerLike = {
    encode(text, options) {
      const pair = options?.textPair;
      const a = text.split(' ').map((w) => vocab.get(w) ?? 1);
      const b = pair ? pair.split(' ').map((w) => vocab.get(w) ?? 1) : [];
      const ids = [2, ...a, 3, ...(pair ? [...b, 3] : [])];
      return { ids, typeIds: ids.map((_, i) => (i < a.length + 2 ? 0 : 1)) };
    },
  };

  it('pads each batch to its own longest sequence, with mask, segment ids and labels', async () => {
    const collate = new DataCollatorWithPadding({ tokenizer, padTokenId: 0, labelToId: (l) => (l === 'pos' ? 1 : 0) }).collate;
    await expectNoLeaks(() => {
      const batch = collate([{ text: 'good film', label: 'pos' }, { text: 'bad', label: 'neg' }]);
      expect(batch['inputIds']?.arraySync()).toEqual([[2, 5, 8, 3], [2, 6, 3, 0]]);
      expect(batch['attentionMask']?.arraySync()).toEqual([[1, 1, 1, 1], [1, 1, 1, 0]]);
      expect(batch['labels']?.arraySync()).toEqual([1, 0]);
      const short = collate([{ text: 'bad', label: 'neg' }]);
      expect(short['inputIds']?.shape).toEqual([1, 3]);
      [...Object.values(batch), ...Object.values(short)].forEach((t) => t.dispose());
    });
  });

  it('pairs, truncation, padding to a multiple, and unlabelled batches', () => {
    const collate = new DataCollatorWithPadding({ tokenizer, padTokenId: 0, textPairColumn: 'b', maxLength: 5, padToMultipleOf: 8 }).collate;
    const batch = collate([{ text: 'very good', b: 'film film' }]);
    expect(batch['inputIds']?.arraySync()).toEqual([[2, 7, 5, 3, 8, 0, 0, 0]]);
    expect(batch['tokenTypeIds']?.arraySync()).toEqual([[0, 0, 0, 0, 1, 0, 0, 0]]);
    expect(batch['labels']).toBeUndefined();
    Object.values(batch).forEach((t) => t.dispose());
    expect(() => collate([{ txt: 'x' }])).toThrow(/no string field "text"/);
  });
});
