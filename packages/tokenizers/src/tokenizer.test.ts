import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRegistry } from '@tfkit/core-tensor/lite';
import * as hf from 'tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerTokenizers, Tokenizer, TokenizerError, WordLevel } from './index.js';
import { tokenizerFixture } from './test-fixtures.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-tok-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let gpt2: Tokenizer;
let bert: Tokenizer;
beforeAll(async () => {
  gpt2 = await Tokenizer.fromPretrained(tokenizerFixture('gpt2'));
  bert = await Tokenizer.fromPretrained(tokenizerFixture('bert-base-uncased'));
});

describe('loading and saving', () => {
  it('savePretrained writes files that tfkit and Hugging Face tokenizers both load with identical encodings', async () => {
    const texts = ['Hello, world! naïve café 東京 👍', 'the [MASK] sat<|endoftext|>on the mat', '  spaces\tand\nnewlines  '];
    for (const [name, tok] of [['gpt2', gpt2], ['bert', bert]] as const) {
      const dir = path.join(tmp, `saved-${name}`);
      await tok.savePretrained(dir);
      const again = await Tokenizer.fromPretrained(dir);
      const theirs = hf.Tokenizer.fromFile(path.join(dir, 'tokenizer.json'));
      for (const t of texts) {
        expect(again.encode(t)).toEqual(tok.encode(t));
        expect((await theirs.encode(t)).getIds()).toEqual(tok.encode(t).ids);
      }
      expect(again.specialTokens).toEqual(tok.specialTokens);
      expect(again.modelMaxLength).toBe(tok.modelMaxLength);
    }
  });

  it('plain vocab files give the same tokenizer as tokenizer.json', async () => {
    const fromVocab = await Tokenizer.fromPretrained(tokenizerFixture('bert-base-uncased'), { format: 'vocab' });
    expect(fromVocab.toJSON().normalizer).toEqual(bert.toJSON().normalizer);
    expect(fromVocab.vocabSize).toBe(bert.vocabSize);
    expect(fromVocab.allSpecialTokens.sort()).toEqual(bert.allSpecialTokens.sort());
  });

  it('says which files it looked for', async () => {
    fs.mkdirSync(path.join(tmp, 'empty'), { recursive: true });
    await expect(Tokenizer.fromPretrained(path.join(tmp, 'empty'))).rejects.toThrow(/tokenizer\.json, or vocab\.json \+ merges\.txt .* or vocab\.txt/);
  });

  it('names unsupported components', () => {
    const json = bert.toJSON();
    expect(() => Tokenizer.fromJSON({ ...json, normalizer: { type: 'Precompiled' } })).toThrow(TokenizerError);
    expect(() => Tokenizer.fromJSON({ ...json, model: { type: 'Unigram', vocab: [] } })).toThrow(/model type "Unigram" is not supported/);
  });

  it('builds models through a registry when given one', () => {
    const registry = createRegistry();
    registerTokenizers(registry);
    expect(registry.tokenizer.keys()).toEqual(['BPE', 'WordPiece', 'WordLevel']);
    let built = 0;
    registry.tokenizer.register('WordLevel', { fromJSON: (j) => (built++, WordLevel.fromJSON(j as never)) }, { override: true });
    const tok = Tokenizer.fromJSON({ model: { type: 'WordLevel', vocab: { hello: 0, '<unk>': 1 }, unk_token: '<unk>' }, pre_tokenizer: { type: 'Whitespace' } }, {}, { registry });
    expect(built).toBe(1);
    expect(tok.encode('hello there').ids).toEqual([0, 1]);
  });
});

describe('encode options', () => {
  it('pads a batch of pairs to the longest, to a multiple, on either side', () => {
    const batch = bert.encodeBatch([['Who?', 'Me.'], 'A much longer sentence than the first.'], { padding: 'longest', padToMultipleOf: 8 });
    expect(batch.map((e) => e.length)).toEqual([16, 16]);
    expect(batch[0]!.ids.slice(0, 7)).toEqual([101, 2040, 1029, 102, 2033, 1012, 102]);
    expect(batch[0]!.attentionMask).toEqual([...Array(7).fill(1), ...Array(9).fill(0)]);
    expect(batch[0]!.typeIds.slice(0, 8)).toEqual([0, 0, 0, 0, 1, 1, 1, 0]);
    const left = bert.encode('Hi', { padding: 'max_length', maxLength: 6, paddingSide: 'left' });
    expect(left.ids).toEqual([0, 0, 0, 101, 7632, 102]);
    expect(left.wordIds).toEqual([null, null, null, null, 0, null]);
  });

  it('asks for a pad token when there is none', () => {
    expect(() => gpt2.encodeBatch(['a', 'b c'], { padding: 'longest' })).toThrow(/padding needs a pad token/);
    expect(gpt2.encodeBatch(['a', 'b c'], { padding: 'longest', padTokenId: gpt2.eosTokenId })[0]!.ids).toEqual([64, 50256]);
  });

  it('truncates to model_max_length by default and rejects an impossible request', () => {
    expect(bert.encode('word '.repeat(600), { truncation: true }).length).toBe(512);
    expect(() => bert.encode('a b c d', { truncation: true, maxLength: 1 })).toThrow(/leaves no room/);
    expect(() => bert.encode('a b c d e f', { truncation: 'only_second', maxLength: 4, textPair: 'x' })).toThrow(/cannot remove/);
  });

  it('maps between characters, tokens and words', () => {
    const enc = bert.encode('Hello unaffable world');
    const t = enc.charToToken(10)!;
    expect(enc.tokens[t]).toBe('##ffa');
    expect(enc.tokenToWord(t)).toBe(1);
    expect(enc.wordToTokens(1)).toEqual([2, 5]);
    expect(enc.tokenToChars(0)).toBeNull();
  });
});

describe('decode, vocab and special tokens', () => {
  it('decodes with or without special tokens and clean-up', () => {
    const ids = bert.encode("Hello , world ! It ' s fine .").ids;
    // The WordPiece decoder cleans up token by token (as Hugging Face's does); transformers'
    // string-level clean-up also joins "it ' s".
    expect(bert.decode(ids)).toBe("[CLS] hello, world! it ' s fine. [SEP]");
    expect(bert.decode(ids, { skipSpecialTokens: true, cleanUpTokenizationSpaces: true })).toBe("hello, world! it's fine.");
    expect(gpt2.decode(gpt2.encode('a<|endoftext|>b').ids, { skipSpecialTokens: true })).toBe('ab');
    expect(gpt2.decode(gpt2.encode('Hello , world').ids, { cleanUpTokenizationSpaces: true })).toBe('Hello, world');
    expect(bert.decodeBatch([[101, 102], [7592]])).toEqual(['[CLS] [SEP]', 'hello']);
  });

  it('knows its special tokens and vocab', () => {
    expect(bert.specialTokens).toMatchObject({ clsToken: '[CLS]', sepToken: '[SEP]', padToken: '[PAD]', maskToken: '[MASK]', unkToken: '[UNK]' });
    expect([bert.clsTokenId, bert.sepTokenId, bert.padTokenId, bert.maskTokenId]).toEqual([101, 102, 0, 103]);
    expect(gpt2.specialTokens).toMatchObject({ bosToken: '<|endoftext|>', eosToken: '<|endoftext|>' });
    expect(gpt2.vocabSize).toBe(50257);
    expect(gpt2.tokenToId('Ġthe')).toBe(262);
    expect(gpt2.idToToken(262)).toBe('Ġthe');
    expect(gpt2.tokenToId('no such token')).toBeUndefined();
  });

  it('adds tokens that are never split', async () => {
    const tok = await Tokenizer.fromPretrained(tokenizerFixture('gpt2'));
    expect(tok.addTokens(['<tool>', 'Ġthe'], true)).toBe(1);
    expect(tok.vocabSize).toBe(50258);
    const enc = tok.encode('call<tool>now');
    expect(enc.ids).toEqual([13345, 50257, 2197]);
    expect(tok.decode(enc.ids, { skipSpecialTokens: true })).toBe('callnow');
  });
});

describe('remote sources', () => {
  it('loads from a URL prefix (a local HTTP server here) exactly as from the directory', async () => {
    const http = await import('node:http');
    const dir = tokenizerFixture('bert-base-uncased');
    const server = http.createServer((req, res) => {
      const file = path.join(dir, path.basename(req.url ?? ''));
      if (!fs.existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(fs.readFileSync(file));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      const remote = await Tokenizer.fromPretrained(`http://127.0.0.1:${port}/bert`);
      expect(remote.encode('Remote, but the same.')).toEqual(bert.encode('Remote, but the same.'));
      const plain = await Tokenizer.fromPretrained(`http://127.0.0.1:${port}/bert`, { format: 'vocab' });
      expect(plain.encode('Remote, but the same.').ids).toEqual(bert.encode('Remote, but the same.').ids);
    } finally {
      server.close();
    }
  });
});
