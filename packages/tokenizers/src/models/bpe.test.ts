import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Tokenizer, type TokenizerJson } from '../index.js';
import { tokenizerFixture } from '../test-fixtures.js';
import { BPE, parseMergesTxt } from './bpe.js';

const gpt2Json = JSON.parse(fs.readFileSync(`${tokenizerFixture('gpt2')}/tokenizer.json`, 'utf8')) as TokenizerJson;

describe('BPE', () => {
  const vocab = { a: 0, b: 1, c: 2, ab: 3, abc: 4, bc: 5, '<unk>': 6 };

  it('applies merges lowest rank first', () => {
    const bpe = new BPE(vocab, { merges: [['a', 'b'], ['ab', 'c'], ['b', 'c']] });
    expect(bpe.tokenize('abc')).toEqual({ ids: [4], starts: [0], ends: [3] });
    const other = new BPE(vocab, { merges: [['b', 'c'], ['a', 'b'], ['ab', 'c']] });
    expect(other.tokenize('abc').ids).toEqual([0, 5]);
  });

  it('reads merges as "a b" strings and as pairs (both hub formats) identically', () => {
    const asStrings = structuredClone(gpt2Json);
    asStrings.model.merges = (gpt2Json.model.merges as [string, string][]).map(([a, b]) => `${a} ${b}`);
    const fromPairs = Tokenizer.fromJSON(gpt2Json);
    const fromStrings = Tokenizer.fromJSON(asStrings);
    const text = 'Merges come in two formats; both must give the same ids — naïve 東京!';
    expect(fromStrings.encode(text).ids).toEqual(fromPairs.encode(text).ids);
    expect(parseMergesTxt('#version: 0.2\nĠ t\nh e\n')).toEqual([['Ġ', 't'], ['h', 'e']]);
  });

  it('maps unknown characters to unk, fusing runs when asked, or drops them without unk', () => {
    expect(new BPE(vocab, { merges: [], unkToken: '<unk>' }).tokenize('axyb').ids).toEqual([0, 6, 6, 1]);
    expect(new BPE(vocab, { merges: [], unkToken: '<unk>', fuseUnk: true }).tokenize('axyb')).toEqual({ ids: [0, 6, 1], starts: [0, 1, 3], ends: [1, 3, 4] });
    expect(new BPE(vocab, { merges: [] }).tokenize('axyb').ids).toEqual([0, 1]);
  });

  it('falls back to <0xXX> byte tokens', () => {
    const bytes = Object.fromEntries(Array.from({ length: 256 }, (_, b) => [`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, 10 + b]));
    const bpe = new BPE({ ...vocab, ...bytes }, { merges: [], byteFallback: true, unkToken: '<unk>' });
    expect(bpe.tokenize('aé').ids).toEqual([0, 10 + 0xc3, 10 + 0xa9]);
  });

  it('continuation prefix and end-of-word suffix', () => {
    const v = { h: 0, '##i': 1, 'hi</w>': 2, 'i</w>': 3, '##i</w>': 4, hi: 5 };
    expect(new BPE(v, { merges: [['h', '##i']], continuingSubwordPrefix: '##' }).tokenize('hi').ids).toEqual([5]);
    expect(new BPE(v, { merges: [['h', 'i</w>']], endOfWordSuffix: '</w>' }).tokenize('hi').ids).toEqual([2]);
  });

  it('BPE-dropout: seeded, reproducible, and splits more', () => {
    const json = structuredClone(gpt2Json);
    (json.model as Record<string, unknown>).dropout = 0.3;
    const text = 'Tokenization with dropout produces varied segmentations of the same words.';
    const a = Tokenizer.fromJSON(json).encode(text).ids;
    const b = Tokenizer.fromJSON(json).encode(text).ids;
    const plain = Tokenizer.fromJSON(gpt2Json);
    expect(a).toEqual(b);
    expect(a.length).toBeGreaterThan(plain.encode(text).ids.length);
    const dropped = Tokenizer.fromJSON(json);
    expect(dropped.decode(dropped.encode(text).ids)).toBe(text);
    (json.model as Record<string, unknown>).dropout = 1;
    expect(Tokenizer.fromJSON(json).encode('hello').ids).toHaveLength(5);
  });

  it('names the missing token when vocab and merges do not belong together', () => {
    expect(() => new BPE({ a: 0, b: 1 }, { merges: [['a', 'b']] })).toThrow(/merges\[0\]: merges "a" and "b" into "ab", but "ab" is not in the vocab/);
    expect(() => new BPE({ a: 0 }, { merges: ['a b c'] })).toThrow(/two tokens separated by one space/);
  });
});
