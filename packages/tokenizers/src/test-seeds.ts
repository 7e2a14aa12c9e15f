/**
 * Test-only: small tokenizer.json files for the fuzz suite — the real GPT-2 and BERT files cut to
 * a few hundred ids, and variants that use every normalizer, pre-tokenizer, model, post-processor
 * and decoder type, with tokenizer_config.json for each.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Json } from './test-mutate.js';
import { tokenizerFixture } from './test-fixtures.js';

type Obj = { [key: string]: Json };
const readJson = (name: string, file: string) => JSON.parse(fs.readFileSync(path.join(tokenizerFixture(name), file), 'utf8')) as Obj;

/** GPT-2 cut to its first `n` ids and the merges among them (plus `<|endoftext|>` at its real, sparse id). */
function smallGpt2(n = 600): Obj {
  const json = readJson('gpt2', 'tokenizer.json');
  const model = json['model'] as Obj;
  const vocab = Object.fromEntries(Object.entries(model['vocab'] as Record<string, number>).filter(([, id]) => id < n));
  const merges = (model['merges'] as [string, string][]).filter(([a, b]) => a in vocab && b in vocab && a + b in vocab);
  return { ...json, model: { ...model, vocab, merges } };
}

/** bert-base-uncased cut to its first `n` ids (the special tokens and many words are among them). */
function smallBert(n = 2500): Obj {
  const json = readJson('bert-base-uncased', 'tokenizer.json');
  const model = json['model'] as Obj;
  return { ...json, model: { ...model, vocab: Object.fromEntries(Object.entries(model['vocab'] as Record<string, number>).filter(([, id]) => id < n)) } };
}

const added = (id: number, content: string, extra: Obj = {}): Obj => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true, ...extra });
const LLAMA3_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/** The fuzz suite's starting points: real files cut small, and variants using every component type. */
export function fuzzSeeds(): { name: string; json: Obj; config: Obj }[] {
  const gpt2 = smallGpt2();
  const bert = smallBert();
  const gpt2Config = readJson('gpt2', 'tokenizer_config.json');
  const bertConfig = readJson('bert-base-uncased', 'tokenizer_config.json');
  const roberta: Obj = {
    ...gpt2,
    added_tokens: [added(50256, '<|endoftext|>'), added(50257, '<s>'), added(50258, '</s>'), added(50259, '<mask>', { lstrip: true }), added(50260, ' hello', { special: false, normalized: true })],
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    post_processor: { type: 'RobertaProcessing', sep: ['</s>', 50258], cls: ['<s>', 50257], trim_offsets: true, add_prefix_space: true },
  };
  const llama3: Obj = {
    ...gpt2,
    truncation: { direction: 'Right', max_length: 24, strategy: 'LongestFirst', stride: 2 },
    padding: { strategy: { Fixed: 32 }, direction: 'Left', pad_to_multiple_of: 8, pad_id: 50256, pad_type_id: 0, pad_token: '<|endoftext|>' },
    normalizer: { type: 'Sequence', normalizers: [{ type: 'NFC' }, { type: 'Replace', pattern: { String: '\t' }, content: ' ' }] },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Split', pattern: { Regex: LLAMA3_SPLIT }, behavior: 'Isolated', invert: false }, { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false }] },
    post_processor: {
      type: 'Sequence',
      processors: [
        { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
        { type: 'TemplateProcessing', single: '<|endoftext|> $A', pair: '<|endoftext|> $A <|endoftext|>:1 $B:1', special_tokens: { '<|endoftext|>': { id: '<|endoftext|>', ids: [50256], tokens: ['<|endoftext|>'] } } },
      ],
    },
  };
  // SentencePiece-style BPE: ▁ words, byte fallback, a decoder chain.
  const spVocab: Record<string, number> = { '<unk>': 0, '<s>': 1, '</s>': 2, '\u2581': 3 };
  for (let b = 0; b < 256; b++) spVocab[`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`] = 4 + b;
  const spMerges: [string, string][] = [];
  for (const c of 'abcdefghijklmnopqrstuvwxyzTHE') {
    spVocab[c] ??= Object.keys(spVocab).length;
    spVocab[`\u2581${c}`] = Object.keys(spVocab).length;
    spMerges.push(['\u2581', c]);
  }
  const sentencepiece: Obj = {
    added_tokens: [added(0, '<unk>'), added(1, '<s>'), added(2, '</s>')],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '\u2581' }, { type: 'Replace', pattern: { String: ' ' }, content: '\u2581' }] },
    pre_tokenizer: null,
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, ignore_merges: false, vocab: spVocab, merges: spMerges },
    post_processor: { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }], pair: '<s> $A <s>:1 $B:1', special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } } },
    decoder: { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: '\u2581' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }] },
  };
  const words = ['<unk>', '[PAD]', 'the', 'a', 'cat', 'sat', 'on', 'mat', '.', ',', '1', '2', '3', 'hello', 'world'];
  const wordLevel: Obj = {
    added_tokens: [added(1, '[PAD]')],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'NFKD' }, { type: 'StripAccents' }, { type: 'Lowercase' }, { type: 'Strip', strip_left: true, strip_right: true }] },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Whitespace' }, { type: 'Punctuation', behavior: 'Isolated' }, { type: 'Digits', individual_digits: true }, { type: 'CharDelimiterSplit', delimiter: '_' }, { type: 'WhitespaceSplit' }] },
    model: { type: 'WordLevel', vocab: Object.fromEntries(words.map((w, i) => [w, i])), unk_token: '<unk>' },
    post_processor: { type: 'BertProcessing', sep: ['hello', 13], cls: ['world', 14] },
    decoder: { type: 'BPEDecoder', suffix: '</w>' },
  };
  const metaspace: Obj = {
    ...sentencepiece,
    normalizer: null,
    pre_tokenizer: { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'first', split: true },
    decoder: { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'first', split: true },
  };
  return [
    { name: 'gpt2', json: gpt2, config: gpt2Config },
    { name: 'bert', json: bert, config: bertConfig },
    { name: 'roberta', json: roberta, config: { ...gpt2Config, tokenizer_class: 'RobertaTokenizer', bos_token: '<s>', eos_token: '</s>', mask_token: { content: '<mask>', lstrip: true } } },
    { name: 'llama3', json: llama3, config: { model_max_length: 64, padding_side: 'left', clean_up_tokenization_spaces: false } },
    { name: 'sentencepiece', json: sentencepiece, config: { bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', add_prefix_space: true } },
    { name: 'wordlevel', json: wordLevel, config: { pad_token: '[PAD]', model_max_length: 16, truncation_side: 'left' } },
    { name: 'metaspace', json: metaspace, config: {} },
  ];
}

