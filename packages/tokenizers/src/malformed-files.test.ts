/**
 * Malformed and hostile tokenizer files: what Hugging Face accepts loads (one huge id included),
 * everything else fails with a TokenizerError naming the file and the JSON field, quoting no more
 * than a short value.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as hf from 'tokenizers';
import { afterAll, describe, expect, it } from 'vitest';
import { Tokenizer, TokenizerError, type TokenizerJson } from './index.js';
import { tokenizerFixture } from './test-fixtures.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-tok-bad-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const bert = JSON.parse(fs.readFileSync(`${tokenizerFixture('bert-base-uncased')}/tokenizer.json`, 'utf8')) as TokenizerJson;
const gpt2 = JSON.parse(fs.readFileSync(`${tokenizerFixture('gpt2')}/tokenizer.json`, 'utf8')) as TokenizerJson;

/** A small WordLevel tokenizer.json with `patch` applied on top (`model` patches merge into the model). */
function wordLevel(patch: Record<string, unknown> = {}, model: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: '1.0',
    added_tokens: [{ id: 0, content: '<unk>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'WhitespaceSplit' },
    model: { type: 'WordLevel', vocab: { '<unk>': 0, hello: 1, world: 2 }, unk_token: '<unk>', ...model },
    post_processor: null,
    decoder: null,
    ...patch,
  };
}

/** The message of the TokenizerError `fn` throws (fails the test if it throws anything else or nothing). */
function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TokenizerError);
    return (error as Error).message;
  }
  throw new Error('expected a TokenizerError, but nothing was thrown');
}

async function rejectionOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => new Error('expected a TokenizerError, but it loaded'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TokenizerError);
  return (error as Error).message;
}

function writeDir(name: string, files: Record<string, string>): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), text);
  return dir;
}

describe('vocab ids', () => {
  it('one huge id (which Hugging Face accepts) costs one table entry, and encode, decode, idToToken and save stay exact', async () => {
    const json = wordLevel({}, { vocab: { '<unk>': 0, hello: 1, world: 1e9 } });
    const before = process.memoryUsage().heapUsed;
    const tok = Tokenizer.fromJSON(json);
    const enc = tok.encode('hello world again');
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(64 * 2 ** 20);
    const theirs = await hf.Tokenizer.fromString(JSON.stringify(json)).encode('hello world again');
    expect(enc.ids).toEqual(theirs.getIds());
    expect(enc.ids).toEqual([1, 1e9, 0]);
    expect(enc.tokens).toEqual(['hello', 'world', '<unk>']);
    expect(tok.idToToken(1e9)).toBe('world');
    expect(tok.idToToken(5)).toBeUndefined();
    expect(tok.decode([1e9, 1, 5, 2 ** 31])).toBe('world hello');
    expect(tok.vocabSize).toBe(1e9 + 1); // the embedding table such a tokenizer needs
    const again = Tokenizer.fromJSON(tok.toJSON());
    expect((again.toJSON().model as { vocab: unknown }).vocab).toEqual({ '<unk>': 0, hello: 1, world: 1e9 });
    expect(again.encode('world hello').ids).toEqual([1e9, 1]);
    expect(tok.addTokens(['<new>'])).toBe(1);
    expect(tok.tokenToId('<new>')).toBe(1e9 + 1);
    expect(tok.decode([1e9 + 1])).toBe('<new>');
  });

  it('refuses negative, fractional, too large and shared ids, naming the file and the token', async () => {
    expect(errorOf(() => Tokenizer.fromJSON(wordLevel({}, { vocab: { '<unk>': 0, foo: -3 } })))).toBe(
      'tokenizer.json: model.vocab.foo: expected a non-negative integer id, got -3',
    );
    expect(errorOf(() => Tokenizer.fromJSON(wordLevel({}, { vocab: { '<unk>': 0, 'a b': 1.5 } })))).toBe(
      'tokenizer.json: model.vocab["a b"]: expected a non-negative integer id, got 1.5',
    );
    expect(errorOf(() => Tokenizer.fromJSON(wordLevel({}, { vocab: { '<unk>': 0, x: '7' } })))).toBe('tokenizer.json: model.vocab.x: expected a non-negative integer id, got "7"');
    expect(errorOf(() => Tokenizer.fromJSON(wordLevel({}, { vocab: { '<unk>': 0, x: 2 ** 32 } })))).toMatch(/^tokenizer\.json: model\.vocab\.x: expected an id at most 2147483647, got 4294967296$/);
    expect(errorOf(() => Tokenizer.fromJSON(wordLevel({}, { vocab: { '<unk>': 0, hello: 1, world: 1 } })))).toBe(
      'tokenizer.json: model.vocab.world: id 1 is also the id of "hello"; every id must belong to one token.',
    );
    // Through fromPretrained the message names the file's path.
    const dir = writeDir('negative-id', { 'tokenizer.json': JSON.stringify(wordLevel({}, { vocab: { '<unk>': 0, foo: -3 } })) });
    expect(await rejectionOf(Tokenizer.fromPretrained(dir))).toBe(`${dir}/tokenizer.json: model.vocab.foo: expected a non-negative integer id, got -3`);
  });
});

describe('tokenizer.json structure', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['model is a number', { model: 5 }, 'tokenizer.json: model: expected an object, got 5'],
    ['model.type is a number', { model: { type: 3, vocab: {} } }, 'tokenizer.json: model.type: expected a string, got 3'],
    ['model.vocab is an array', { model: { type: 'WordLevel', vocab: ['a'] } }, 'tokenizer.json: model.vocab: expected an object of token → id, got an array of 1'],
    ['added_tokens is not an array', { added_tokens: { id: 0 } }, 'tokenizer.json: added_tokens: expected an array, got an object'],
    ['an added token without id', { added_tokens: [{ content: '<s>', special: true }] }, 'tokenizer.json: added_tokens[0].id: is missing'],
    ['an added token with a negative id', { added_tokens: [{ id: -1, content: '<s>' }] }, 'tokenizer.json: added_tokens[0].id: expected a non-negative integer id, got -1'],
    ['an added token flag of the wrong type', { added_tokens: [{ id: 3, content: '<s>', lstrip: 'yes' }] }, 'tokenizer.json: added_tokens[0].lstrip: expected true or false, got "yes"'],
    ['normalizer without type', { normalizer: { lowercase: true } }, 'tokenizer.json: normalizer.type: is missing'],
    ['a Sequence step that is null', { normalizer: { type: 'Sequence', normalizers: [null] } }, 'tokenizer.json: normalizer.normalizers[0]: expected an object, got null'],
    ['a BertNormalizer flag as a string', { normalizer: { type: 'BertNormalizer', lowercase: 'false' } }, 'tokenizer.json: normalizer.lowercase: expected true or false, got "false"'],
    ['a Split behavior that does not exist', { pre_tokenizer: { type: 'Split', pattern: { String: ' ' }, behavior: 'constructor' } }, 'tokenizer.json: pre_tokenizer.behavior: expected a split behavior: Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous, got "constructor"'],
    ['a pattern that is a number', { pre_tokenizer: { type: 'Split', pattern: { Regex: 5 }, behavior: 'Isolated' } }, 'tokenizer.json: pre_tokenizer.pattern.Regex: expected a string, got 5'],
    ['a Metaspace replacement of two characters', { pre_tokenizer: { type: 'Metaspace', replacement: '__' } }, 'tokenizer.json: pre_tokenizer.replacement: expected a single character, got "__"'],
    ['BertProcessing sep without id', { post_processor: { type: 'BertProcessing', sep: ['[SEP]'], cls: ['[CLS]', 1] } }, 'tokenizer.json: post_processor.sep: expected [token, id], got an array of 1'],
    [
      'a template special token with no ids',
      { post_processor: { type: 'TemplateProcessing', single: '[X] $A', pair: '[X] $A $B:1', special_tokens: { '[X]': { id: '[X]', ids: [], tokens: [] } } } },
      'tokenizer.json: post_processor.special_tokens["[X]"]: needs one or more ids and as many tokens, got 0 ids and 0 tokens.',
    ],
    [
      'a template special token without ids',
      { post_processor: { type: 'TemplateProcessing', single: '[X] $A', pair: '[X] $A $B:1', special_tokens: { '[X]': { id: '[X]', tokens: ['[X]'] } } } },
      'tokenizer.json: post_processor.special_tokens["[X]"].ids: is missing',
    ],
    ['a pair template without $B', { post_processor: { type: 'TemplateProcessing', single: '$A', pair: '$A $A:1', special_tokens: {} } }, 'tokenizer.json: post_processor.pair: must use both $A and $B.'],
    ['a template piece of the wrong kind', { post_processor: { type: 'TemplateProcessing', single: [{ Sequence: { id: 'C', type_id: 0 } }], special_tokens: {} } }, 'tokenizer.json: post_processor.single[0].Sequence.id: expected one of A, B, got "C"'],
    ['a Strip decoder with empty content', { decoder: { type: 'Strip', content: '', start: 1e9, stop: 0 } }, 'tokenizer.json: decoder.content: expected a single character, got ""'],
    ['truncation with a string max_length', { truncation: { max_length: '512', strategy: 'LongestFirst', stride: 0, direction: 'Right' } }, 'tokenizer.json: truncation.max_length: expected an integer ≥ 0, got "512"'],
    ['padding to a billion tokens', { padding: { strategy: { Fixed: 1e9 }, direction: 'Right', pad_id: 0, pad_type_id: 0, pad_token: '<unk>' } }, 'tokenizer.json: padding.strategy.Fixed: expected an integer in [0, 1048576], got 1000000000'],
  ];
  it.each(cases)('%s', (_name, patch, message) => {
    expect(errorOf(() => Tokenizer.fromJSON(wordLevel(patch)))).toBe(message);
  });

  it('malformed merges name the merge', () => {
    const bpe = (merges: unknown) => wordLevel({}, { type: 'BPE', vocab: { a: 0, b: 1, ab: 2 }, merges });
    expect(errorOf(() => Tokenizer.fromJSON(bpe('a b')))).toBe('tokenizer.json: model.merges: expected an array, got "a b"');
    expect(errorOf(() => Tokenizer.fromJSON(bpe(['a b', 'ab'])))).toBe('tokenizer.json: model.merges[1]: expected two tokens separated by one space, got "ab"');
    expect(errorOf(() => Tokenizer.fromJSON(bpe([['a', 1]])))).toBe('tokenizer.json: model.merges[0]: expected a merge: "a b" or ["a", "b"], got an array of 2');
    expect(errorOf(() => Tokenizer.fromJSON(bpe([['a', 'c']])))).toBe(
      'tokenizer.json: model.merges[0]: merges "a" and "c" into "ac", but "c" is not in the vocab (tokenizer.json: model.vocab). The vocab and merges do not belong together.',
    );
  });

  it('components nested past any real file are refused, not a stack overflow', () => {
    let pre: unknown = { type: 'WhitespaceSplit' };
    for (let d = 0; d < 5000; d++) pre = { type: 'Sequence', pretokenizers: [pre] };
    expect(errorOf(() => Tokenizer.fromJSON(wordLevel({ pre_tokenizer: pre })))).toMatch(/^tokenizer\.json: pre_tokenizer\.pretokenizers\[0\].*: nested more than 32 JSON levels deep/);
    const long = Array.from({ length: 5000 }, () => ({ type: 'WhitespaceSplit' }));
    expect(errorOf(() => Tokenizer.fromJSON(wordLevel({ pre_tokenizer: { type: 'Sequence', pretokenizers: long } })))).toBe(
      'tokenizer.json: pre_tokenizer.pretokenizers: holds 5000 steps; at most 256 are supported.',
    );
  });

  it('the same added token twice keeps one id, as in Hugging Face, and saves to a file that loads alike', async () => {
    const endoftext = gpt2.added_tokens![0]!;
    const json = { ...gpt2, added_tokens: [endoftext, { ...endoftext }, { ...endoftext, id: 50257, content: '' }] };
    const tok = Tokenizer.fromJSON(json);
    const theirs = hf.Tokenizer.fromString(JSON.stringify(json));
    const text = 'a<|endoftext|>b';
    expect(tok.encode(text).ids).toEqual((await theirs.encode(text)).getIds());
    expect(tok.addedTokens.map((t) => t.id)).toEqual([50256]);
    expect(Tokenizer.fromJSON(tok.toJSON()).encode(text).ids).toEqual(tok.encode(text).ids);
  });

  it('special tokens with spaces or colons in them work in BertProcessing, as in Hugging Face', async () => {
    const json = { ...bert, post_processor: { type: 'BertProcessing', sep: ['[SEP]', 102], cls: ['my cls:1', 1] } };
    const tok = Tokenizer.fromJSON(json);
    const theirs = hf.Tokenizer.fromString(JSON.stringify(json));
    expect(tok.encode('hi', { textPair: 'there' }).ids).toEqual((await theirs.encode('hi', 'there')).getIds());
  });
});

describe('tokenizer_config.json', () => {
  it('model_max_length "big" and other wrong types are refused, naming the file', async () => {
    expect(errorOf(() => Tokenizer.fromJSON(wordLevel(), { model_max_length: 'big' }))).toBe('tokenizer_config.json: model_max_length: expected a positive integer, got "big"');
    expect(errorOf(() => Tokenizer.fromJSON(wordLevel(), { padding_side: 'up' }))).toBe('tokenizer_config.json: padding_side: expected one of left, right, got "up"');
    expect(errorOf(() => Tokenizer.fromJSON(wordLevel(), { pad_token: 5 }))).toBe('tokenizer_config.json: pad_token: expected a token: a string or {"content": …}, got 5');
    expect(errorOf(() => Tokenizer.fromJSON(wordLevel(), { added_tokens_decoder: { x: { content: 'a' } } }))).toBe(
      'tokenizer_config.json: added_tokens_decoder.x: the key must be a token id (a non-negative integer at most 2147483647).',
    );
    const dir = writeDir('config-big', { 'tokenizer.json': JSON.stringify(wordLevel()), 'tokenizer_config.json': '{"model_max_length": "big"}' });
    expect(await rejectionOf(Tokenizer.fromPretrained(dir))).toBe(`${dir}/tokenizer_config.json: model_max_length: expected a positive integer, got "big"`);
    const map = writeDir('special-map', { 'tokenizer.json': JSON.stringify(wordLevel()), 'special_tokens_map.json': '{"unk_token": ["<unk>"]}' });
    expect(await rejectionOf(Tokenizer.fromPretrained(map))).toBe(`${map}/special_tokens_map.json: unk_token: expected a token: a string or {"content": …}, got an array of 1`);
  });

  it('the values transformers writes load: 1e30 for "no limit", null tokens, AddedToken objects', () => {
    const tok = Tokenizer.fromJSON(wordLevel(), { model_max_length: 1e30, pad_token: null, unk_token: { content: '<unk>', lstrip: false, __type: 'AddedToken' } });
    expect(tok.modelMaxLength).toBeUndefined();
    expect(tok.unkTokenId).toBe(0);
  });
});

describe('plain vocab files', () => {
  it('errors name vocab.json, merges.txt and vocab.txt by path', async () => {
    const bpe = writeDir('bpe-neg', { 'vocab.json': '{"a": 0, "b": -1}', 'merges.txt': '#version: 0.2\n' });
    expect(await rejectionOf(Tokenizer.fromPretrained(bpe))).toBe(`${bpe}/vocab.json: b: expected a non-negative integer id, got -1`);
    const merges = writeDir('bpe-merges', { 'vocab.json': '{"a": 0, "b": 1, "ab": 2}', 'merges.txt': '#version: 0.2\na b\nab\n' });
    expect(await rejectionOf(Tokenizer.fromPretrained(merges))).toBe(`${merges}/merges.txt: line 3: expected two tokens separated by one space, got "ab"`);
    const unknown = writeDir('bpe-unknown', { 'vocab.json': '{"a": 0, "b": 1}', 'merges.txt': 'a b\n' });
    expect(await rejectionOf(Tokenizer.fromPretrained(unknown))).toBe(
      `${unknown}/merges.txt: merges[0]: merges "a" and "b" into "ab", but "ab" is not in the vocab (${unknown}/vocab.json). The vocab and merges do not belong together.`,
    );
    const wp = writeDir('wp-no-unk', { 'vocab.txt': '[CLS]\n[SEP]\nhello\n' });
    expect(await rejectionOf(Tokenizer.fromPretrained(wp))).toBe(`${wp}/vocab.txt: unk_token "[UNK]" is not in the vocab; add it or set unk_token to a token that is.`);
  });
});

describe('error messages quote no file contents', () => {
  it('a long value is cut to a few dozen characters', () => {
    const secret = 'x'.repeat(100_000);
    for (const patch of [
      { normalizer: { type: secret } },
      { pre_tokenizer: { type: 'Split', pattern: { Regex: `(${secret}` }, behavior: 'Isolated' } },
      { added_tokens: [{ id: 1, content: secret, lstrip: secret }] },
    ]) {
      const message = errorOf(() => Tokenizer.fromJSON(wordLevel(patch)));
      expect(message.length).toBeLessThan(300);
      expect(message).toContain('xxxx…"');
    }
    const message = errorOf(() => Tokenizer.fromJSON(wordLevel({}, { vocab: { '<unk>': 0, [secret]: -1 } })));
    expect(message).toBe(`tokenizer.json: model.vocab["${'x'.repeat(40)}…"]: expected a non-negative integer id, got -1`);
  });
});

describe('calls with the wrong types', () => {
  it('encode, encodeBatch and decode throw TokenizerErrors', () => {
    const tok = Tokenizer.fromJSON(wordLevel());
    expect(errorOf(() => tok.encode(123 as unknown as string))).toBe('encode: inputs must be strings or [text, pair] string tuples, got 123.');
    expect(errorOf(() => tok.encode(10n as unknown as string))).toBe('encode: inputs must be strings or [text, pair] string tuples, got 10.');
    expect(errorOf(() => tok.encodeBatch('hello' as unknown as string[]))).toBe('encodeBatch: inputs must be an array of strings or [text, pair] tuples, got "hello".');
    expect(errorOf(() => tok.decode(5 as unknown as number[]))).toBe('decode: ids must be an array of token ids, got 5.');
    expect(tok.decode(Int32Array.from([1, 2]) as unknown as number[])).toBe('hello world');
  });
});
