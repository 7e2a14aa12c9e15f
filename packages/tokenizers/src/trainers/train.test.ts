import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadCorpus } from '@tfkit/corpus';
import { Random } from '@tfkit/core-tensor/lite';
import * as hf from 'tokenizers';
import { describe, expect, it } from 'vitest';
import { Tokenizer, type TrainProgress } from '../index.js';
import { randomText } from '../test-random.js';

const corpus = loadCorpus({ books: ['austen-persuasion'], maxChars: 300_000 });
const heldOut = loadCorpus({ books: ['carroll-alice'], maxChars: 20_000 });

async function hfIds(tok: Tokenizer, texts: string[]): Promise<number[][]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-train-'));
  await tok.savePretrained(dir);
  const theirs = hf.Tokenizer.fromFile(path.join(dir, 'tokenizer.json'));
  const out: number[][] = [];
  for (const t of texts) out.push((await theirs.encode(t)).getIds());
  fs.rmSync(dir, { recursive: true, force: true });
  return out;
}

describe('Tokenizer.train — byte-level BPE', () => {
  it('learns a vocab of the requested size with special tokens first, deterministically', async () => {
    const progress: TrainProgress[] = [];
    const a = await Tokenizer.train({ model: 'bpe', vocabSize: 1000, specialTokens: ['<|endoftext|>', '<pad>'] }, corpus.split('\n'), { onProgress: (p) => progress.push(p) });
    const b = await Tokenizer.train({ model: 'bpe', vocabSize: 1000, specialTokens: ['<|endoftext|>', '<pad>'] }, corpus.split('\n'));
    expect(a.vocabSize).toBe(1000);
    expect(a.tokenToId('<|endoftext|>')).toBe(0);
    expect(a.tokenToId('<pad>')).toBe(1);
    expect(a.tokenToId('Ġthe')).toBeGreaterThan(257);
    expect(JSON.stringify(a.toJSON())).toBe(JSON.stringify(b.toJSON()));
    expect(progress.some((p) => p.phase === 'count')).toBe(true);
    const merges = progress.filter((p) => p.phase === 'merge');
    expect(merges.at(-1)).toEqual({ phase: 'merge', done: 1000 - 258, total: 1000 - 258 });
    expect(a.specialTokens.eosToken).toBe('<|endoftext|>');
    expect(a.padTokenId).toBe(1);
  });

  it('compresses held-out text and round-trips it exactly', async () => {
    const tok = await Tokenizer.train({ model: 'bpe', vocabSize: 2000 }, corpus);
    const ids = tok.encode(heldOut).ids;
    // ~2.8 characters per token with 2k merges learned from 300 kB (bytes alone would be 1.0).
    expect(ids.length).toBeLessThan(heldOut.length / 2.5);
    expect(tok.decode(ids)).toBe(heldOut);
    const emoji = 'naïve 👩‍👩‍👧‍👦 東京 <|endoftext|>';
    expect(tok.decode(tok.encode(emoji).ids)).toBe(emoji);
  });

  it('respects minFrequency: rarer pairs are never merged', async () => {
    const text = 'aaab '.repeat(10) + 'xyz '.repeat(2);
    const tok = await Tokenizer.train({ model: 'bpe', vocabSize: 400, minFrequency: 3, specialTokens: [] }, text);
    const merges = tok.toJSON().model.merges as [string, string][];
    expect(merges.length).toBeGreaterThan(0);
    expect(merges.flat().join(' ')).not.toMatch(/[xyz]/);
    const all = await Tokenizer.train({ model: 'bpe', vocabSize: 400, minFrequency: 1, specialTokens: [] }, text);
    expect((all.toJSON().model.merges as unknown[]).length).toBeGreaterThan(merges.length);
  });

  it('accepts an async iterable corpus and gives the same tokenizer as an array', async () => {
    const lines = corpus.split('\n').slice(0, 2000);
    async function* gen() {
      for (const l of lines) yield l;
    }
    const a = await Tokenizer.train({ model: 'bpe', vocabSize: 600 }, gen());
    const b = await Tokenizer.train({ model: 'bpe', vocabSize: 600 }, lines);
    expect(a.toJSON()).toEqual(b.toJSON());
  });

  it('saves a tokenizer.json that Hugging Face tokenizers loads and encodes identically', async () => {
    const tok = await Tokenizer.train({ model: 'bpe', vocabSize: 1500, lowercase: true, specialTokens: ['<|endoftext|>'] }, corpus.split('\n'));
    const rng = new Random(3);
    const texts = [heldOut.slice(0, 3000), 'Hello<|endoftext|>World', ...Array.from({ length: 40 }, () => randomText(rng, 20, ['<|endoftext|>']))];
    const theirs = await hfIds(tok, texts);
    texts.forEach((t, k) => expect(tok.encode(t).ids, JSON.stringify(t)).toEqual(theirs[k]));
  });
});

describe('Tokenizer.train — WordPiece', () => {
  it('learns a BERT-style vocab with ## continuation pieces', async () => {
    const tok = await Tokenizer.train({ model: 'wordpiece', vocabSize: 1200 }, corpus.split('\n'));
    expect(tok.vocabSize).toBe(1200);
    expect(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map((t) => tok.tokenToId(t))).toEqual([0, 1, 2, 3, 4]);
    const enc = tok.encode('Persuasion, unpersuadable!', { textPair: 'Anne' });
    expect(enc.tokens[0]).toBe('[CLS]');
    expect(enc.tokens.some((t) => t.startsWith('##'))).toBe(true);
    expect(enc.typeIds.at(-1)).toBe(1);
    expect(tok.decode(enc.ids, { skipSpecialTokens: true })).toBe('persuasion, unpersuadable! anne');
  });

  it('is deterministic and reloads in Hugging Face tokenizers with identical ids', async () => {
    const a = await Tokenizer.train({ model: 'wordpiece', vocabSize: 900 }, corpus.split('\n'));
    const b = await Tokenizer.train({ model: 'wordpiece', vocabSize: 900 }, corpus.split('\n'));
    expect(JSON.stringify(a.toJSON())).toBe(JSON.stringify(b.toJSON()));
    const rng = new Random(4);
    const texts = [heldOut.slice(0, 3000), 'the [MASK] sat', ...Array.from({ length: 40 }, () => randomText(rng, 20, ['[MASK]', '[SEP]']))];
    const theirs = await hfIds(a, texts);
    texts.forEach((t, k) => expect(a.encode(t).ids, JSON.stringify(t)).toEqual(theirs[k]));
  });
});
