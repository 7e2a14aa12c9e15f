// `@tfkit/tokenizers/core`: the lean entry loads only the component types a tokenizer.json names,
// and builds the same tokenizer as the main entry. This file imports the main entry (which
// registers every type) only in its last tests, after the registry's contents were checked.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BUILTIN_TYPES } from './components.js';
import { componentTypes, loadComponents, loadTokenizer, loadTokenizerFromUrl, registeredComponents, Tokenizer, TokenizerError, type ComponentFamily } from './core.js';
import { readCases, tokenizerFixture } from './test-fixtures.js';

const readJson = (name: string, file: string): unknown => JSON.parse(fs.readFileSync(path.join(tokenizerFixture(name), file), 'utf8'));
const gpt2 = { json: readJson('gpt2', 'tokenizer.json'), config: readJson('gpt2', 'tokenizer_config.json') };
const bert = { json: readJson('bert-base-uncased', 'tokenizer.json'), config: readJson('bert-base-uncased', 'tokenizer_config.json') };
const sorted = (r: Record<string, string[]>): Record<string, string[]> => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, [...v].sort()]));

/** Every case of the reference file: ids, offsets, tokens, type ids as Hugging Face gives them, and the round trip through decode. */
function expectReference(tok: Tokenizer, name: string): void {
  for (const c of readCases(name)) {
    const enc = tok.encode(c.text, { textPair: c.text_pair });
    expect(enc.ids).toEqual(c.ids);
    expect(enc.offsets).toEqual(c.offsets);
    if (c.tokens) expect(enc.tokens).toEqual(c.tokens);
    if (c.token_type_ids) expect(enc.typeIds).toEqual(c.token_type_ids);
  }
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('@tfkit/tokenizers/core', () => {
  it('has no component type before a tokenizer is loaded, and fromJSON says what to do', () => {
    expect(registeredComponents()).toEqual({ normalizer: [], pre_tokenizer: [], model: [], post_processor: [], decoder: [] });
    expect(() => Tokenizer.fromJSON(gpt2.json)).toThrow(TokenizerError);
    expect(() => Tokenizer.fromJSON(gpt2.json)).toThrow(/tokenizer\.json: model\.type: model type "BPE" is not loaded\. .*loadTokenizer\(json\)/);
  });

  it("NormalizedString's edit methods come with the normalizers: before any is loaded they say so with a TokenizerError (BERT's test below: then they work)", async () => {
    const { NormalizedString } = await import('./normalized-string.js');
    const s = new NormalizedString('ABC');
    expect(s.originalRange(0, 2)).toEqual([0, 2]);
    expect(() => s.lowercase()).toThrow(TokenizerError);
    expect(() => s.lowercase()).toThrow(/NormalizedString\.lowercase: the edit methods load with the normalizers.*import '@tfkit\/tokenizers'/);
  });

  it('names the component types of a file, Sequence steps included', () => {
    expect(componentTypes(gpt2.json)).toEqual({ normalizer: [], pre_tokenizer: ['ByteLevel'], model: ['BPE'], post_processor: ['ByteLevel'], decoder: ['ByteLevel'] });
    const nested = { model: { vocab: {}, merges: [] }, decoder: { type: 'Sequence', decoders: [{ type: 'Replace' }, { type: 'Sequence', decoders: [{ type: 'Fuse' }] }] } };
    expect(componentTypes(nested)).toEqual({ normalizer: [], pre_tokenizer: [], model: ['BPE'], post_processor: [], decoder: ['Sequence', 'Replace', 'Fuse'] });
  });

  it('GPT-2: loads the byte-level pre-tokenizer, post-processor and decoder and BPE, nothing else, and encodes as Hugging Face', async () => {
    const tok = await loadTokenizer(gpt2.json, gpt2.config);
    expect(registeredComponents()).toEqual({ normalizer: [], pre_tokenizer: ['ByteLevel'], model: ['BPE'], post_processor: ['ByteLevel'], decoder: ['ByteLevel'] });
    expectReference(tok, 'gpt2');
    const text = 'Hello, world! Ünïcödé 🤗 text  with   spaces';
    expect(tok.decode(tok.encode(text).ids)).toBe(text);
  });

  it('BERT: adds the normalizers, the other pre-tokenizers, post-processors and decoders and WordPiece, and encodes as Hugging Face', async () => {
    const tok = await loadTokenizer(bert.json, bert.config);
    const loaded = sorted(registeredComponents());
    expect(loaded['model']).toEqual(['BPE', 'WordPiece']);
    expect(loaded['pre_tokenizer']).toContain('BertPreTokenizer');
    expect(loaded['post_processor']).toContain('TemplateProcessing');
    expect(loaded['decoder']).toContain('WordPiece');
    expect(loaded['normalizer']).toContain('BertNormalizer');
    expect(loaded['model']).not.toContain('WordLevel');
    expectReference(tok, 'bert-base-uncased');
    expect(tok.decode(tok.encode('Hello, world!').ids, { skipSpecialTokens: true })).toBe('hello, world!');
    // With a normalizer loaded, NormalizedString's edit methods work.
    const { NormalizedString } = await import('./normalized-string.js');
    const s = new NormalizedString('ÀBC');
    s.lowercase();
    expect(s.text).toBe('àbc');
  });

  it('rejects an unknown component type with a TokenizerError naming the type and where it sits', async () => {
    const json = gpt2.json as Record<string, unknown>;
    await expect(loadTokenizer({ ...json, pre_tokenizer: { type: 'Nope' } })).rejects.toThrow(TokenizerError);
    await expect(loadTokenizer({ ...json, pre_tokenizer: { type: 'Nope' } })).rejects.toThrow(/^tokenizer\.json: pre_tokenizer\.type: pre_tokenizer type "Nope" is not supported\. Supported: ByteLevel, /);
    const decoder = { type: 'Sequence', decoders: [{ type: 'ByteLevel' }, { type: 'Sequence', decoders: [{ type: 'Unheard' }] }] };
    await expect(loadTokenizer({ ...json, decoder }, undefined, { file: 'my/tokenizer.json' })).rejects.toThrow(
      /^my\/tokenizer\.json: decoder\.decoders\[1\]\.decoders\[0\]\.type: decoder type "Unheard" is not supported/,
    );
    await expect(loadTokenizer({ ...json, model: { type: 'Unigram', vocab: [] } })).rejects.toThrow(/model\.type: model type "Unigram" is not supported\. Supported: BPE, WordPiece, WordLevel\./);
  });

  it('loadTokenizerFromUrl fetches tokenizer.json and tokenizer_config.json with fetch, and says which URL failed', async () => {
    const served = new Map([
      ['https://example.test/gpt2/tokenizer.json', JSON.stringify(gpt2.json)],
      ['https://example.test/gpt2/tokenizer_config.json', JSON.stringify(gpt2.config)],
      ['https://example.test/bare/tokenizer.json', JSON.stringify(gpt2.json)],
    ]);
    const requested: string[] = [];
    vi.stubGlobal('fetch', async (url: string) => {
      requested.push(url);
      const body = served.get(url);
      return body === undefined ? new Response('not here', { status: 404, statusText: 'Not Found' }) : new Response(body);
    });
    const tok = await loadTokenizerFromUrl('https://example.test/gpt2/');
    expect(requested.sort()).toEqual(['https://example.test/gpt2/tokenizer.json', 'https://example.test/gpt2/tokenizer_config.json']);
    expect(tok.config['model_max_length']).toBe((gpt2.config as Record<string, unknown>)['model_max_length']);
    expectReference(tok, 'gpt2');
    // No tokenizer_config.json: optional. A file URL is fetched as given.
    expect((await loadTokenizerFromUrl('https://example.test/bare')).encode('Hello').ids).toEqual(tok.encode('Hello').ids);
    expect((await loadTokenizerFromUrl('https://example.test/gpt2/tokenizer.json')).encode('Hello').ids).toEqual(tok.encode('Hello').ids);
    await expect(loadTokenizerFromUrl('https://example.test/missing')).rejects.toThrow(/^https:\/\/example\.test\/missing\/tokenizer\.json: HTTP 404 Not Found/);
    served.set('https://example.test/broken/tokenizer.json', '{"model": ');
    await expect(loadTokenizerFromUrl('https://example.test/broken')).rejects.toThrow(TokenizerError);
  });

  it('loads every built-in type from the module that builds it (the lazy map and the modules agree)', async () => {
    for (const [family, types] of Object.entries(BUILTIN_TYPES) as [ComponentFamily, readonly string[]][]) {
      for (const type of types) {
        await loadComponents({ [family]: { type } });
        expect(registeredComponents()[family], `${family} ${type}`).toContain(type);
      }
    }
    expect(sorted(registeredComponents())).toEqual(sorted(Object.fromEntries(Object.entries(BUILTIN_TYPES).map(([k, v]) => [k, [...v]]))));
  });

  it('builds exactly what the main entry builds: same ids, offsets and decodes for every reference case', async () => {
    const lean = { gpt2: await loadTokenizer(gpt2.json, gpt2.config), bert: await loadTokenizer(bert.json, bert.config) };
    const main = await import('./index.js');
    expect(main.Tokenizer).toBe(Tokenizer);
    expect(sorted(registeredComponents())['decoder']).toContain('ByteFallback'); // the main entry registered every type
    const full = { gpt2: main.Tokenizer.fromJSON(gpt2.json, gpt2.config), bert: main.Tokenizer.fromJSON(bert.json, bert.config) };
    for (const name of ['gpt2', 'bert'] as const) {
      const cases = readCases(name === 'gpt2' ? 'gpt2' : 'bert-base-uncased');
      for (const c of cases) {
        const a = lean[name].encode(c.text, { textPair: c.text_pair });
        const b = full[name].encode(c.text, { textPair: c.text_pair });
        expect(a.ids).toEqual(b.ids);
        expect(a.offsets).toEqual(b.offsets);
        expect(lean[name].decode(a.ids)).toBe(full[name].decode(b.ids));
        expect(lean[name].decode(a.ids, { skipSpecialTokens: true })).toBe(full[name].decode(b.ids, { skipSpecialTokens: true }));
      }
      expect(lean[name].toJSON()).toEqual(full[name].toJSON());
    }
  });
});
