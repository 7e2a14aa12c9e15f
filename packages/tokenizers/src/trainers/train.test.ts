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

describe('Tokenizer.train — postProcessor', () => {
  const lines = corpus.split('\n').slice(0, 3000);
  const bartSpecials = ['<s>', '<pad>', '</s>', '<unk>', '<mask>'];

  /** Saves, reloads in tfkit and in Hugging Face tokenizers: same JSON, same ids and type ids for texts and pairs. */
  async function roundTrip(tok: Tokenizer, inputs: [string, string?][]): Promise<void> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-train-post-'));
    await tok.savePretrained(dir);
    const loaded = await Tokenizer.fromPretrained(dir);
    expect(JSON.stringify(loaded.toJSON())).toBe(JSON.stringify(tok.toJSON()));
    const theirs = hf.Tokenizer.fromFile(path.join(dir, 'tokenizer.json'));
    for (const [a, b] of inputs) {
      const ours = tok.encode(a, b === undefined ? {} : { textPair: b });
      expect(loaded.encode(a, b === undefined ? {} : { textPair: b })).toEqual(ours);
      const ref = await theirs.encode(a, b ?? null);
      expect([ours.ids, ours.typeIds], JSON.stringify([a, b])).toEqual([ref.getIds(), ref.getTypeIds()]);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }

  it("a byte-level BPE with BART's <s> $A </s> template (a string template, pair derived)", async () => {
    const tok = await Tokenizer.train({ model: 'bpe', vocabSize: 600, specialTokens: bartSpecials, postProcessor: { type: 'TemplateProcessing', single: '<s> $A </s>' } }, lines);
    const plain = tok.encode('Anne Elliot', { addSpecialTokens: false });
    const enc = tok.encode('Anne Elliot');
    expect(enc.ids).toEqual([0, ...plain.ids, 2]);
    expect(enc.tokens.at(0)).toBe('<s>');
    expect(enc.specialTokensMask).toEqual([1, ...plain.ids.map(() => 0), 1]);
    // Derived pair: <s> $A </s> $B:1 </s>:1.
    const pair = tok.encode('Anne', { textPair: 'Elliot' });
    const [a, b] = [tok.encode('Anne', { addSpecialTokens: false }).ids, tok.encode('Elliot', { addSpecialTokens: false }).ids];
    expect(pair.ids).toEqual([0, ...a, 2, ...b, 2]);
    expect(pair.typeIds).toEqual([0, ...a.map(() => 0), 0, ...b.map(() => 1), 1]);
    await roundTrip(tok, [['Anne Elliot'], ['Anne', 'Elliot'], ['', 'x'], ['Captain Wentworth <mask> Bath.']]);
  });

  it("'roberta': <s> A </s></s> B </s> with type ids 0, as RoBERTa and BART", async () => {
    const tok = await Tokenizer.train({ model: 'bpe', vocabSize: 600, specialTokens: bartSpecials, postProcessor: 'roberta' }, lines);
    expect(tok.toJSON().post_processor).toMatchObject({ type: 'RobertaProcessing', cls: ['<s>', 0], sep: ['</s>', 2] });
    const [a, b] = [tok.encode('Anne', { addSpecialTokens: false }).ids, tok.encode('Bath', { addSpecialTokens: false }).ids];
    const pair = tok.encode('Anne', { textPair: 'Bath' });
    expect(pair.ids).toEqual([0, ...a, 2, 2, ...b, 2]);
    expect(new Set(pair.typeIds)).toEqual(new Set([0]));
    await roundTrip(tok, [['Anne Elliot'], ['Anne', 'Bath'], [' spaced  out ']]);
  });

  it("WordPiece: an explicit pair template with type ids, 'none', and 'bert' (the default)", async () => {
    const custom = await Tokenizer.train({ model: 'wordpiece', vocabSize: 700, postProcessor: { type: 'TemplateProcessing', single: '[CLS] $A [SEP]', pair: '[CLS] $A [SEP] [SEP]:1 $B:1 [SEP]:1' } }, lines);
    const [a, b] = [custom.encode('anne', { addSpecialTokens: false }).ids, custom.encode('bath', { addSpecialTokens: false }).ids];
    expect(custom.encode('anne', { textPair: 'bath' }).ids).toEqual([2, ...a, 3, 3, ...b, 3]);
    expect(custom.encode('anne', { textPair: 'bath' }).typeIds).toEqual([0, ...a.map(() => 0), 0, 1, ...b.map(() => 1), 1]);
    await roundTrip(custom, [['anne elliot'], ['anne', 'bath']]);
    const none = await Tokenizer.train({ model: 'wordpiece', vocabSize: 700, postProcessor: 'none' }, lines);
    expect(none.toJSON().post_processor).toBeNull();
    expect(none.encode('anne').ids).toEqual(a);
    const bert = await Tokenizer.train({ model: 'wordpiece', vocabSize: 700, postProcessor: 'bert' }, lines);
    const byDefault = await Tokenizer.train({ model: 'wordpiece', vocabSize: 700 }, lines);
    expect(bert.toJSON()).toEqual(byDefault.toJSON());
  });

  it('names a template token that is not a special token, before training', async () => {
    const huge: Iterable<string> = {
      [Symbol.iterator]: () => {
        throw new Error('the corpus must not be read');
      },
    };
    await expect(Tokenizer.train({ model: 'bpe', specialTokens: ['<|endoftext|>'], postProcessor: { type: 'TemplateProcessing', single: '<s> $A </s>' } }, huge)).rejects.toThrow(
      /postProcessor template uses "<s>", which is not among specialTokens \("<\|endoftext\|>"\); add it to specialTokens/,
    );
    await expect(Tokenizer.train({ model: 'bpe', postProcessor: 'roberta' }, huge)).rejects.toThrow(/postProcessor 'roberta' uses "<\/s>"/);
    await expect(Tokenizer.train({ model: 'bpe', postProcessor: 'gpt' as never }, huge)).rejects.toThrow(/postProcessor must be 'bert', 'roberta', 'none' or/);
  });
});
