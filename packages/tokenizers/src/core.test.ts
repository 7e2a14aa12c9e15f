// `@tfkit/tokenizers/core` (modular: `use(…)` adds component modules and features) and
// `@tfkit/tokenizers/lazy` (loaders that import what a file names). Both build the same tokenizer as
// the main entry. This file imports the main entry (which loads everything) only in its last
// tests, after the registry's contents were checked; the tests run in order and share the registry.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BUILTIN_TYPES } from './components.js';
import {
  bpe, byteLevel, fetchTokenizer, padding, postProcessors, registeredComponents, serialization, Tokenizer, TokenizerError, truncation, use, wordPiece,
  normalizers, preTokenizers, decoders, trimOffsets, bpeDropout,
} from './core.js';
import { componentTypes, loadComponents, loadFeatures, loadTokenizer, loadTokenizerFromUrl, pretrained, type ComponentFamily } from './lazy.js';
import { readCases, tokenizerFixture } from './test-fixtures.js';

const readJson = (name: string, file: string): unknown => JSON.parse(fs.readFileSync(path.join(tokenizerFixture(name), file), 'utf8'));
const gpt2 = { json: readJson('gpt2', 'tokenizer.json') as Record<string, unknown>, config: readJson('gpt2', 'tokenizer_config.json') };
const bert = { json: readJson('bert-base-uncased', 'tokenizer.json') as Record<string, unknown>, config: readJson('bert-base-uncased', 'tokenizer_config.json') };
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

/** A fetch serving `files` (URL → JSON text), 404 for anything else; the URLs asked for go to `requested`. */
function serve(files: Map<string, string>, requested: string[] = []): void {
  vi.stubGlobal('fetch', async (url: string) => {
    requested.push(url);
    const body = files.get(url);
    return body === undefined ? new Response('not here', { status: 404, statusText: 'Not Found' }) : new Response(body);
  });
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('@tfkit/tokenizers/core: modular', () => {
  it('has no component type before `use`, and fromJSON names the export that adds a missing one', () => {
    expect(registeredComponents()).toEqual({ normalizer: [], pre_tokenizer: [], model: [], post_processor: [], decoder: [] });
    expect(() => Tokenizer.fromJSON(gpt2.json)).toThrow(TokenizerError);
    expect(() => Tokenizer.fromJSON(gpt2.json)).toThrow(/^tokenizer\.json: model\.type: model type "BPE" is not loaded: `import \{ use, bpe \} from '@tfkit\/tokenizers\/core'` and `use\(bpe\)`.*loadTokenizer\(json\)/);
    use(bpe);
    expect(() => Tokenizer.fromJSON(gpt2.json)).toThrow(/^tokenizer\.json: pre_tokenizer\.type: pre_tokenizer type "ByteLevel" is not loaded: `import \{ use, byteLevel \}/);
    expect(() => Tokenizer.fromJSON(bert.json)).toThrow(/model type "WordPiece" is not loaded: `import \{ use, wordPiece \}/);
  });

  it('GPT-2 with use(byteLevel, bpe): the reference encodings, decodes, and nothing else registered', () => {
    use(byteLevel, bpe);
    expect(registeredComponents()).toEqual({ normalizer: [], pre_tokenizer: ['ByteLevel'], model: ['BPE'], post_processor: ['ByteLevel'], decoder: ['ByteLevel'] });
    const tok = Tokenizer.fromJSON(gpt2.json, gpt2.config);
    expectReference(tok, 'gpt2');
    const text = 'Hello, world! Ünïcödé 🤗 text  with   spaces';
    expect(tok.decode(tok.encode(text).ids)).toBe(text);
    expect(tok.eosTokenId).toBe(50256);
  });

  it('a feature that is not loaded fails with a TokenizerError naming its import; never ignored', () => {
    const tok = Tokenizer.fromJSON(gpt2.json, gpt2.config);
    const named = (feature: string) => new RegExp(`needs the ${feature} feature: \`import \\{ use, ${feature} \\} from '@tfkit/tokenizers/core'\` and \`use\\(${feature}\\)\``);
    expect(() => tok.encode('Hello world', { truncation: true, maxLength: 1 })).toThrow(TokenizerError);
    expect(() => tok.encode('Hello world', { truncation: true, maxLength: 1 })).toThrow(named('truncation'));
    expect(() => tok.encodeBatch(['a', 'b c'], { padding: true, padTokenId: 0 })).toThrow(named('padding'));
    expect(() => tok.encode('a', { padToMultipleOf: 8, padTokenId: 0 })).toThrow(named('padding'));
    expect(() => tok.toJSON()).toThrow(named('serialization'));
    expect(() => tok.toConfigJSON()).toThrow(named('serialization'));
    expect(() => tok.model.toJSON()).toThrow(named('serialization'));
    // A file that sets defaults, or a post-processor that trims offsets, fails as it loads.
    expect(() => Tokenizer.fromJSON({ ...gpt2.json, truncation: { max_length: 4 } })).toThrow(/^tokenizer\.json: truncation needs the truncation feature/);
    expect(() => Tokenizer.fromJSON({ ...gpt2.json, padding: {} })).toThrow(/^tokenizer\.json: padding needs the padding feature/);
    expect(() => Tokenizer.fromJSON({ ...gpt2.json, post_processor: { type: 'ByteLevel' } })).toThrow(named('trimOffsets'));
    expect(() => Tokenizer.fromJSON({ ...gpt2.json, model: { ...(gpt2.json['model'] as object), dropout: 0.1 } })).toThrow(named('bpeDropout'));
    // The file loaders are @tfkit/tokenizers/lazy's.
    return expect(Tokenizer.fromPretrained(tokenizerFixture('gpt2'))).rejects.toThrow(/Tokenizer\.fromPretrained needs the pretrained feature: `import \{ use, pretrained \} from '@tfkit\/tokenizers\/lazy'`/);
  });
});

describe('fetchTokenizer', () => {
  it('fetches tokenizer.json and tokenizer_config.json with fetch and builds with what was `use`d; says which URL failed', async () => {
    const requested: string[] = [];
    serve(new Map([
      ['https://example.test/gpt2/tokenizer.json', JSON.stringify(gpt2.json)],
      ['https://example.test/gpt2/tokenizer_config.json', JSON.stringify(gpt2.config)],
      ['https://example.test/bert/tokenizer.json', JSON.stringify(bert.json)],
      ['https://example.test/broken/tokenizer.json', '{"model": '],
    ]), requested);
    const tok = await fetchTokenizer('https://example.test/gpt2/');
    expect(requested.sort()).toEqual(['https://example.test/gpt2/tokenizer.json', 'https://example.test/gpt2/tokenizer_config.json']);
    expect(tok.config['model_max_length']).toBe((gpt2.config as Record<string, unknown>)['model_max_length']);
    expectReference(tok, 'gpt2');
    // fetchTokenizer imports nothing: BERT's types were not `use`d.
    await expect(fetchTokenizer('https://example.test/bert')).rejects.toThrow(/^https:\/\/example\.test\/bert\/tokenizer\.json: model\.type: model type "WordPiece" is not loaded/);
    await expect(fetchTokenizer('https://example.test/missing')).rejects.toThrow(/^https:\/\/example\.test\/missing\/tokenizer\.json: HTTP 404 Not Found/);
    await expect(fetchTokenizer('https://example.test/broken')).rejects.toThrow(TokenizerError);
  });
});

describe('@tfkit/tokenizers/lazy', () => {
  it('names the component types of a file, Sequence steps included', () => {
    expect(componentTypes(gpt2.json)).toEqual({ normalizer: [], pre_tokenizer: ['ByteLevel'], model: ['BPE'], post_processor: ['ByteLevel'], decoder: ['ByteLevel'] });
    const nested = { model: { vocab: {}, merges: [] }, decoder: { type: 'Sequence', decoders: [{ type: 'Replace' }, { type: 'Sequence', decoders: [{ type: 'Fuse' }] }] } };
    expect(componentTypes(nested)).toEqual({ normalizer: [], pre_tokenizer: [], model: ['BPE'], post_processor: [], decoder: ['Sequence', 'Replace', 'Fuse'] });
  });

  it('BERT: loadTokenizer imports the normalizers, the other pre-tokenizers, post-processors and decoders and WordPiece, and encodes as Hugging Face', async () => {
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
  });

  it('imports the features a file asks for, and loadFeatures those a page uses per call', async () => {
    const text = 'Hello, wonderful world of tokenizers!';
    const cut = await loadTokenizer({ ...gpt2.json, truncation: { max_length: 4 } });
    expect(cut.encode(text).ids).toHaveLength(4);
    expect(cut.encode(text).overflowing!.length).toBeGreaterThan(0);
    const tok = await loadTokenizer(bert.json, bert.config);
    expect(() => tok.encodeBatch(['a', 'b c'], { padding: true })).toThrow(/needs the padding feature/);
    await loadFeatures('padding');
    expect(tok.encodeBatch(['a', 'b c'], { padding: true }).map((e) => e.attentionMask)).toEqual([[1, 1, 1, 0], [1, 1, 1, 1]]);
  });

  it('rejects an unknown component type with a TokenizerError naming the type and where it sits', async () => {
    await expect(loadTokenizer({ ...gpt2.json, pre_tokenizer: { type: 'Nope' } })).rejects.toThrow(TokenizerError);
    await expect(loadTokenizer({ ...gpt2.json, pre_tokenizer: { type: 'Nope' } })).rejects.toThrow(/^tokenizer\.json: pre_tokenizer\.type: pre_tokenizer type "Nope" is not supported\. Supported: ByteLevel, /);
    const decoder = { type: 'Sequence', decoders: [{ type: 'ByteLevel' }, { type: 'Sequence', decoders: [{ type: 'Unheard' }] }] };
    await expect(loadTokenizer({ ...gpt2.json, decoder }, undefined, { file: 'my/tokenizer.json' })).rejects.toThrow(
      /^my\/tokenizer\.json: decoder\.decoders\[1\]\.decoders\[0\]\.type: decoder type "Unheard" is not supported/,
    );
    await expect(loadTokenizer({ ...gpt2.json, model: { type: 'Unigram', vocab: [] } })).rejects.toThrow(/model\.type: model type "Unigram" is not supported\. Supported: BPE, WordPiece, WordLevel\./);
  });

  it('loadTokenizerFromUrl fetches tokenizer.json and tokenizer_config.json with fetch, and says which URL failed', async () => {
    const requested: string[] = [];
    serve(new Map([
      ['https://example.test/gpt2/tokenizer.json', JSON.stringify(gpt2.json)],
      ['https://example.test/gpt2/tokenizer_config.json', JSON.stringify(gpt2.config)],
      ['https://example.test/bare/tokenizer.json', JSON.stringify(gpt2.json)],
    ]), requested);
    const tok = await loadTokenizerFromUrl('https://example.test/gpt2/');
    expect(requested.sort()).toEqual(['https://example.test/gpt2/tokenizer.json', 'https://example.test/gpt2/tokenizer_config.json']);
    expectReference(tok, 'gpt2');
    // No tokenizer_config.json: optional. A file URL is fetched as given.
    expect((await loadTokenizerFromUrl('https://example.test/bare')).encode('Hello').ids).toEqual(tok.encode('Hello').ids);
    expect((await loadTokenizerFromUrl('https://example.test/gpt2/tokenizer.json')).encode('Hello').ids).toEqual(tok.encode('Hello').ids);
    await expect(loadTokenizerFromUrl('https://example.test/missing')).rejects.toThrow(/^https:\/\/example\.test\/missing\/tokenizer\.json: HTTP 404 Not Found/);
  });

  it('loads every built-in type from the module that builds it (the lazy map, the modules and the names errors give agree)', async () => {
    const modules: Record<string, object> = { byteLevel, bpe, wordPiece, normalizers, preTokenizers, postProcessors, decoders };
    for (const [family, types] of Object.entries(BUILTIN_TYPES) as [ComponentFamily, readonly string[]][]) {
      for (const type of types) {
        await loadComponents({ [family]: { type } });
        expect(registeredComponents()[family], `${family} ${type}`).toContain(type);
      }
    }
    expect(sorted(registeredComponents())).toEqual(sorted(Object.fromEntries(Object.entries(BUILTIN_TYPES).map(([k, v]) => [k, [...v]]))));
    for (const m of Object.values(modules)) expect(Object.keys(m).length).toBeGreaterThan(0);
  });

  it('use(pretrained) adds fromPretrained and savePretrained (their code imported on first use)', async () => {
    use(pretrained);
    const tok = await Tokenizer.fromPretrained(tokenizerFixture('gpt2'));
    expectReference(tok, 'gpt2');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-core-save-'));
    try {
      await tok.savePretrained(dir);
      expect(JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8'))).toEqual(tok.toJSON());
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('builds exactly what the main entry builds: same ids, offsets and decodes for every reference case', async () => {
    const lean = { gpt2: await loadTokenizer(gpt2.json, gpt2.config), bert: await loadTokenizer(bert.json, bert.config) };
    const main = await import('./index.js');
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

describe('@tfkit/tokenizers/core: features', () => {
  it('with use(truncation, padding, serialization, trimOffsets, bpeDropout) the same encodings and files as the main entry', async () => {
    use(truncation, padding, serialization, trimOffsets, bpeDropout);
    const json = { ...gpt2.json, truncation: { max_length: 6, stride: 2 }, post_processor: { type: 'ByteLevel', trim_offsets: true } };
    const lean = Tokenizer.fromJSON(json, gpt2.config);
    const enc = lean.encodeBatch(['Hello, wonderful world of tokenizers!', 'Hi'], { padding: true, padTokenId: 50256 });
    const main = await import('./index.js');
    expect(main.Tokenizer).toBe(Tokenizer);
    const full = main.Tokenizer.fromJSON(json, gpt2.config);
    expect(enc).toEqual(full.encodeBatch(['Hello, wonderful world of tokenizers!', 'Hi'], { padding: true, padTokenId: 50256 }));
    expect(enc[0]!.overflowing!.length).toBeGreaterThan(0);
    expect(lean.toJSON()).toEqual(full.toJSON());
    expect(lean.toConfigJSON()).toEqual(full.toConfigJSON());
  });
});
