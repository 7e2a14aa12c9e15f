import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { loadCorpus } from '@tfkit/corpus';
import { Tokenizer } from '@tfkit/tokenizers';
import { afterAll, describe, expect, it } from 'vitest';
import { runTfkit } from '../testing.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-cli-tok-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const fixtures = process.env['TFKIT_FIXTURES'] ?? path.resolve(import.meta.dirname, '../../../../../shared/fixtures');
const bert = path.join(fixtures, 'tokenizers', 'bert-base-uncased');

const tfkit = (...argv: string[]) => runTfkit(argv, tmp);

describe('tfkit tokenize', () => {
  it('prints tokens, ids and offsets', async () => {
    const r = await tfkit('tokenize', '--tokenizer', bert, 'Hello, world!');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^#\s+id\s+token\s+offsets\s+text/);
    expect(r.stdout).toMatch(/1\s+7592\s+hello\s+\[0, 5\)\s+Hello/);
    expect(r.stdout).toContain('ids: [101, 7592, 1010, 2088, 999, 102]');
  });

  it('prints JSON for a pair', async () => {
    const r = await tfkit('tokenize', '--tokenizer', bert, '--pair', 'Paris.', '--json', 'Capital?');
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as { tokens: string[]; typeIds: number[]; offsets: number[][] };
    expect(json.tokens).toEqual(['[CLS]', 'capital', '?', '[SEP]', 'paris', '.', '[SEP]']);
    expect(json.typeIds).toEqual([0, 0, 0, 0, 1, 1, 1]);
    expect(json.offsets[4]).toEqual([0, 5]);
  });

  it('reports usage errors with exit code 2', async () => {
    expect((await tfkit('tokenize', '--tokenizer', bert)).code).toBe(2);
    expect((await tfkit('tokenize', '--max-length', '0', 'x')).code).toBe(2);
  });
});

describe('tfkit tokenizer train', () => {
  it('trains, shows progress and saves a tokenizer that loads and round-trips', async () => {
    fs.writeFileSync(path.join(tmp, 'a.txt'), loadCorpus({ books: ['austen-persuasion'], maxChars: 150_000 }));
    fs.writeFileSync(path.join(tmp, 'b.txt'), loadCorpus({ books: ['chesterton-brown'], maxChars: 100_000 }));
    const r = await tfkit('tokenizer', 'train', '--model', 'bpe', '--vocab-size', '800', '--out', 'bpe', 'a.txt', 'b.txt');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/reading .*100%/);
    expect(r.stderr).toMatch(/merging .*100%/);
    expect(r.stdout).toMatch(/byte-level BPE tokenizer with 800 tokens/);
    const tok = await Tokenizer.fromPretrained(path.join(tmp, 'bpe'));
    expect(tok.vocabSize).toBe(800);
    expect(tok.decode(tok.encode('Anne Elliot, naïve 東京').ids)).toBe('Anne Elliot, naïve 東京');
  });

  it('reads .txt.gz files as their text: the same tokenizer as from the plain file', async () => {
    const text = loadCorpus({ books: ['austen-persuasion'], maxChars: 60_000 });
    fs.writeFileSync(path.join(tmp, 'plain.txt'), text);
    fs.writeFileSync(path.join(tmp, 'packed.txt.gz'), zlib.gzipSync(text));
    const plain = await tfkit('tokenizer', 'train', '--model', 'bpe', '--vocab-size', '400', '--out', 'from-plain', 'plain.txt');
    const packed = await tfkit('tokenizer', 'train', '--model', 'bpe', '--vocab-size', '400', '--out', 'from-gz', '--json', 'packed.txt.gz');
    expect(plain.code, plain.stderr).toBe(0);
    expect(packed.code, packed.stderr).toBe(0);
    expect(JSON.parse(packed.stdout)).toMatchObject({ model: 'bpe', vocabSize: 400, bytes: fs.statSync(path.join(tmp, 'packed.txt.gz')).size, saved: path.join(tmp, 'from-gz', 'tokenizer.json') });
    expect(packed.stderr).toMatch(/reading .*100%/);
    expect(fs.readFileSync(path.join(tmp, 'from-gz', 'tokenizer.json'), 'utf8')).toBe(fs.readFileSync(path.join(tmp, 'from-plain', 'tokenizer.json'), 'utf8'));
    fs.writeFileSync(path.join(tmp, 'fake.txt.gz'), text.slice(0, 1000));
    const fake = await tfkit('tokenizer', 'train', '--model', 'bpe', '--vocab-size', '400', '--out', 'from-fake', 'fake.txt.gz');
    expect(fake.code).toBe(1);
    expect(fake.stderr).toMatch(/^tfkit tokenizer train: fake\.txt\.gz: not a valid gzip file \(.*\)\n$/);
  });

  it('trains WordPiece', async () => {
    fs.writeFileSync(path.join(tmp, 'c.txt'), loadCorpus({ books: ['austen-persuasion'], maxChars: 150_000 }));
    const r = await tfkit('tokenizer', 'train', '--model', 'wordpiece', '--vocab-size', '700', '--out', 'wp', 'c.txt');
    expect(r.code, r.stderr).toBe(0);
    const tok = await Tokenizer.fromPretrained(path.join(tmp, 'wp'));
    expect(tok.encode('Persuasion').tokens[0]).toBe('[CLS]');
    expect(tok.vocabSize).toBe(700);
  });

  it('rejects a missing model', async () => {
    const r = await tfkit('tokenizer', 'train', '--vocab-size', '100', '--out', 'x', 'a.txt');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--model must be bpe or wordpiece');
  });
});
