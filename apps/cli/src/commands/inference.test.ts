// The inference commands, each through pipeline() over the registry @tfkit/all fills: tiny
// checkpoints written here and the Hugging Face fixtures, results checked against the library.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import { createRegistry, pipeline } from '@tfkit/core-tensor';
import { registerAll } from '@tfkit/all';
import { GPT2LMHeadModel } from '@tfkit/models-gpt';
import {
  BertForMaskedLM, BertForQuestionAnswering, BertForSequenceClassification, BertForTokenClassification, type BertPreTrainedModel,
} from '@tfkit/models-bert';
import { Tokenizer, wordPieceFromVocab } from '@tfkit/tokenizers';
import { encodePng, fixturePath, writeBartWordTokenizer } from '@tfkit/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTfkit, type CliRun } from '../testing.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-cli-infer-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const tfkit = (...argv: string[]) => runTfkit(argv, tmp);

const WORDS = 'the a cat dog sat on mat who where is in paris alice bob lives works city king . ? , ##s ##ing'.split(' ');
const wordPiece = wordPieceFromVocab(new Map(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...WORDS].map((t, i) => [t, i])), { model_max_length: 32 });
const tiny = { vocabSize: wordPiece.vocabSize, hiddenSize: 16, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 32, maxPositionEmbeddings: 32 };

async function save(name: string, model: BertPreTrainedModel): Promise<void> {
  await model.savePretrained(path.join(tmp, name));
  await wordPiece.savePretrained(path.join(tmp, name));
  model.dispose();
}

/** A copy of a fixture checkpoint (config, weights) in the temporary directory. */
function fixture(name: string): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const file of fs.readdirSync(fixturePath('models', name))) {
    if (['config.json', 'generation_config.json', 'model.safetensors', 'preprocessor_config.json'].includes(file)) fs.copyFileSync(fixturePath('models', name, file), path.join(dir, file));
  }
  return dir;
}



/** The run failed with `code` and said why in exactly one line. */
function expectOneLine(run: CliRun, code: number, pattern: RegExp): void {
  expect(run.code, run.stderr).toBe(code);
  expect(run.stderr.replace(/\n$/, '').split('\n'), run.stderr).toHaveLength(1);
  expect(run.stderr.trimEnd()).toMatch(pattern);
}

const registry = registerAll(createRegistry());

beforeAll(async () => {
  await save('mlm', new BertForMaskedLM(tiny, { seed: 1 }));
  await save('cls', new BertForSequenceClassification({ ...tiny, id2label: { 0: 'negative', 1: 'positive' } }, { seed: 2 }));
  await save('ner', new BertForTokenClassification({ ...tiny, id2label: { 0: 'O', 1: 'B-PER', 2: 'I-PER', 3: 'B-LOC', 4: 'I-LOC' } }, { seed: 3 }));
  await save('qa', new BertForQuestionAnswering(tiny, { seed: 4 }));
  const pretrained = fixture('bert-for-pretraining');
  const fixtureVocab = new Map(Array.from({ length: 1000 }, (_, i) => [i < 5 ? ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'][i]! : `w${i}`, i] as [string, number]));
  await wordPieceFromVocab(fixtureVocab).savePretrained(pretrained);
  writeBartWordTokenizer(fixture('bart-conditional-generation'));
  fixture('vit-image-classification');
  fs.writeFileSync(path.join(tmp, 'red.png'), encodePng(40, 30, (x) => [200, x * 5, 20]));
  fs.writeFileSync(path.join(tmp, 'blue.png'), encodePng(20, 20, (x, y) => [10, y * 9, 220 - x]));
  fs.writeFileSync(path.join(tmp, 'not-an-image.png'), 'plain text');
  // A GPT-2 with task tokens, as one trained on "source <to-fr> target" prompts would have.
  const bpe = await Tokenizer.train({ model: 'bpe', vocabSize: 300, specialTokens: ['<|endoftext|>', '<to-fr>', '<to-de>'] }, ['the cat sat on the mat. le chat est assis. die katze sitzt.'.repeat(20)]);
  const lm = new GPT2LMHeadModel({ vocabSize: bpe.vocabSize, nPositions: 24, nEmbd: 8, nLayer: 1, nHead: 2, bosTokenId: 0, eosTokenId: 0 }, { seed: 5 });
  await lm.savePretrained(path.join(tmp, 'prompted'));
  await bpe.savePretrained(path.join(tmp, 'prompted'));
  lm.dispose();
});

describe('tfkit fill-mask / classify / ner / qa', () => {
  it('fill-mask prints candidates per mask, or JSON', async () => {
    const json = await tfkit('fill-mask', '--model', 'mlm', '--top-k', '3', '--json', '--backend', 'cpu', 'the cat [MASK] on the mat .');
    expect(json.code, json.stderr).toBe(0);
    const candidates = JSON.parse(json.stdout) as { score: number; tokenStr: string; sequence: string }[];
    expect(candidates).toHaveLength(3);
    expect(candidates[0]!.score).toBeGreaterThanOrEqual(candidates[1]!.score);
    const text = await tfkit('fill-mask', '--model', 'mlm', '--top-k', '3', '--backend', 'cpu', 'the cat [MASK] on the mat .');
    expect(text.stdout.trim().split('\n')).toHaveLength(3);
    expect(text.stdout).toContain(candidates[0]!.sequence);
  });

  it('classify prints labels from id2label; the same scores as pipeline(), on wasm within 1e-4 of cpu', async () => {
    const out = await tfkit('classify', '--model', 'cls', '--all', '--json', '--backend', 'cpu', 'alice lives in paris');
    expect(out.code, out.stderr).toBe(0);
    const labels = JSON.parse(out.stdout) as { label: string; score: number }[];
    expect(labels.map((l) => l.label).sort()).toEqual(['negative', 'positive']);
    const pipe = await pipeline('text-classification', path.join(tmp, 'cls'), { registry });
    const direct = await pipe.call('alice lives in paris', { topK: null });
    pipe.dispose();
    for (const l of labels) expect(l.score).toBeCloseTo(direct.find((d) => d.label === l.label)!.score, 6);
    try {
      const wasm = await tfkit('classify', '--model', 'cls', '--all', '--json', '--backend', 'wasm', 'alice lives in paris');
      expect(wasm.code, wasm.stderr).toBe(0);
      expect(tf.getBackend()).toBe('wasm');
      for (const l of JSON.parse(wasm.stdout) as { label: string; score: number }[]) expect(Math.abs(l.score - labels.find((c) => c.label === l.label)!.score)).toBeLessThan(1e-4);
    } finally {
      await tf.setBackend('cpu');
    }
    const pair = await tfkit('classify', '--model', 'cls', '--pair', 'bob works in paris', '--backend', 'cpu', 'alice lives in paris');
    expect(pair.stdout).toMatch(/^\d\.\d{4} {2}(negative|positive)\n$/);
  });

  it('warns on stderr when the checkpoint lacks the task head (newly initialised weights), as Hugging Face does', async () => {
    const out = await tfkit('classify', '--model', 'bert-for-pretraining', '--all', '--json', '--backend', 'cpu', 'w10 w11 w12');
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toMatch(/^warning: some weights of BertForSequenceClassification were not in bert-for-pretraining and are newly initialised: classifier\.weight, classifier\.bias\. Train the model/);
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
    expect((JSON.parse(out.stdout) as unknown[]).length).toBe(2);
    const quiet = await tfkit('classify', '--model', 'cls', '--backend', 'cpu', 'alice');
    expect(quiet.stderr).toBe('');
  });

  it('ner prints entities with character spans into the text', async () => {
    const text = 'alice lives in paris';
    const out = await tfkit('ner', '--model', 'ner', '--aggregation', 'none', '--keep-o', '--json', '--backend', 'cpu', text);
    expect(out.code, out.stderr).toBe(0);
    const entities = JSON.parse(out.stdout) as { word: string; start: number; end: number }[];
    expect(entities.map((e) => e.word)).toEqual(['alice', 'lives', 'in', 'paris']);
    for (const e of entities) expect(text.slice(e.start, e.end)).toBe(e.word);
    expectOneLine(await tfkit('ner', '--model', 'ner', '--aggregation', 'longest', text), 2, /--aggregation: expected one of none, simple, first, average, max/);
  });

  it('qa answers from --context with a span of it', async () => {
    const context = 'alice lives in paris . bob works in the city .';
    const out = await tfkit('qa', '--model', 'qa', '--context', context, '--json', '--backend', 'cpu', 'where is alice ?');
    expect(out.code, out.stderr).toBe(0);
    const answer = JSON.parse(out.stdout) as { answer: string; start: number; end: number; score: number };
    expect(answer.answer).toBe(context.slice(answer.start, answer.end));
    expect(answer.answer.length).toBeGreaterThan(0);
    fs.writeFileSync(path.join(tmp, 'context.txt.gz'), zlib.gzipSync(context));
    const fromFile = await tfkit('qa', '--model', 'qa', '--context-file', 'context.txt.gz', '--top-k', '2', '--backend', 'cpu', 'where is alice ?');
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(fromFile.stdout.trim().split('\n')).toHaveLength(2);
  });

  it('usage errors exit 2 in one line', async () => {
    expectOneLine(await tfkit('qa', '--model', 'qa', 'where?'), 2, /give exactly one of --context and --context-file/);
    expectOneLine(await tfkit('classify', '--model', 'cls'), 2, /<text> is required/);
  });
});

describe('tfkit embed', () => {
  it('mean-pooled, normalised vectors per text (JSON), one line of numbers per text, or a vector per token', async () => {
    const json = await tfkit('embed', '--model', 'mlm', '--normalize', '--json', '--backend', 'cpu', 'alice lives in paris', 'bob works');
    expect(json.code, json.stderr).toBe(0);
    const vectors = JSON.parse(json.stdout) as number[][];
    expect(vectors.map((v) => v.length)).toEqual([16, 16]);
    for (const v of vectors) expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    const pipe = await pipeline('feature-extraction', path.join(tmp, 'mlm'), { registry });
    const direct = (await pipe.call(['alice lives in paris'], { pooling: 'mean', normalize: true })) as number[][];
    pipe.dispose();
    direct[0]!.forEach((x, i) => expect(vectors[0]![i]).toBeCloseTo(x, 6));
    fs.writeFileSync(path.join(tmp, 'texts.txt'), 'alice lives in paris\n\nbob works\n');
    const text = await tfkit('embed', '--model', 'mlm', '--file', 'texts.txt', '--precision', '3', '--backend', 'cpu');
    const lines = text.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]!.split(' ')).toHaveLength(16);
    expect(lines[0]).toMatch(/^-?\d\.\d{3}( -?\d\.\d{3})+$/);
    const tokens = await tfkit('embed', '--model', 'mlm', '--pooling', 'none', '--json', '--backend', 'cpu', 'alice lives');
    expect((JSON.parse(tokens.stdout) as number[][][])[0]).toHaveLength(4); // [CLS] alice lives [SEP]
    expectOneLine(await tfkit('embed', '--model', 'mlm', '--pooling', 'max', 'x'), 2, /--pooling: expected one of mean, cls, none/);
  });
});

describe('tfkit summarize / translate', () => {
  it('summarize and translate run the encoder-decoder’s pipelines: the text pipeline() gives', async () => {
    const text = 'w10 w11 w12 w13 w14';
    const summary = await tfkit('summarize', '--model', 'bart-conditional-generation', '--max-new-tokens', '5', '--json', '--backend', 'cpu', text);
    expect(summary.code, summary.stderr).toBe(0);
    const pipe = await pipeline('summarization', path.join(tmp, 'bart-conditional-generation'), { registry });
    const [expected] = await pipe.call(text, { maxNewTokens: 5 });
    pipe.dispose();
    expect(JSON.parse(summary.stdout)).toEqual({ summaryText: expected!.summaryText });
    fs.writeFileSync(path.join(tmp, 'doc.txt'), text);
    const translated = await tfkit('translate', '--model', 'bart-conditional-generation', '--max-new-tokens', '5', '--file', 'doc.txt', '--backend', 'cpu');
    expect(translated.code, translated.stderr).toBe(0);
    expect(translated.stdout).toBe(`${expected!.summaryText}\n`);
    expectOneLine(await tfkit('translate', '--model', 'bart-conditional-generation', '--to', 'fr', '--backend', 'cpu', text), 1, /takes no --to/);
  });

  it('translate --to fr with a language model trained on task prompts: the continuation of "source <to-fr>"', async () => {
    const out = await tfkit('translate', '--model', 'prompted', '--to', 'fr', '--max-new-tokens', '4', '--json', '--backend', 'cpu', 'the cat sat');
    expect(out.code, out.stderr).toBe(0);
    const pipe = await pipeline('translation', path.join(tmp, 'prompted'), { registry });
    const [expected] = (await (pipe as unknown as { call(t: string, o: object): Promise<{ translationText: string }[]> }).call('the cat sat', { tgtLang: 'fr', maxNewTokens: 4 }));
    pipe.dispose();
    expect(JSON.parse(out.stdout)).toEqual({ translationText: expected!.translationText });
    expectOneLine(await tfkit('translate', '--model', 'prompted', '--to', 'es', '--backend', 'cpu', 'the cat'), 1, /no <to-es> token; this model translates into de, fr/);
    expectOneLine(await tfkit('translate', '--model', 'prompted', '--backend', 'cpu', 'the cat'), 1, /give the target language \(tgtLang\); this model translates into de, fr/);
  });
});

describe('tfkit classify-image', () => {
  it('without --model: the embedded Fashion-MNIST ViT labels the shipped test-set images', async () => {
    const examples = path.resolve(import.meta.dirname, '../../../../packages/all/assets/tiny-vit-fashion/examples');
    const out = await tfkit('classify-image', '--backend', 'cpu', path.join(examples, 'shirt.png'));
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^\d\.\d{4} {2}Shirt\t.*shirt\.png\n$/);
    const json = await tfkit('classify-image', '--json', '--backend', 'cpu', path.join(examples, 'trouser.png'), path.join(examples, 'ankle-boot.png'));
    expect(json.code, json.stderr).toBe(0);
    expect((JSON.parse(json.stdout) as { labels: { label: string }[] }[]).map((r) => r.labels[0]!.label)).toEqual(['Trouser', 'Ankle boot']);
  });

  it('labels PNG files with the image model; one line for a file that is not an image', async () => {
    const out = await tfkit('classify-image', '--model', 'vit-image-classification', '--all', '--json', '--backend', 'cpu', 'red.png', 'blue.png');
    expect(out.code, out.stderr).toBe(0);
    const rows = JSON.parse(out.stdout) as { file: string; labels: { label: string; score: number }[] }[];
    expect(rows.map((r) => r.file)).toEqual(['red.png', 'blue.png']);
    for (const r of rows) {
      expect(r.labels.map((l) => l.label).sort()).toEqual(['LABEL_0', 'LABEL_1', 'LABEL_2']);
      expect(r.labels.reduce((a, l) => a + l.score, 0)).toBeCloseTo(1, 5);
    }
    expect(rows[0]!.labels).not.toEqual(rows[1]!.labels);
    const text = await tfkit('classify-image', '--model', 'vit-image-classification', '--backend', 'cpu', 'red.png');
    expect(text.stdout).toMatch(/^\d\.\d{4} {2}LABEL_\d\tred\.png\n$/);
    expectOneLine(await tfkit('classify-image', '--model', 'vit-image-classification', '--backend', 'cpu', 'not-an-image.png'), 1, /not-an-image\.png/);
    expectOneLine(await tfkit('classify-image', '--model', 'vit-image-classification', 'missing.png'), 1, /missing\.png: no such file/);
  });
});

describe('tfkit generate and tokenize with the embedded model, offline', () => {
  it('generate without --model: JSON with the continuation, as generate() makes it', async () => {
    const out = await tfkit('generate', '--max-new-tokens', '6', '--greedy', '--json', '--backend', 'cpu', 'It was');
    expect(out.code, out.stderr).toBe(0);
    const json = JSON.parse(out.stdout) as { prompt: string; continuations: { text: string; tokens: number }[]; stopReason: string };
    expect(json.prompt).toBe('It was');
    expect(json.continuations).toHaveLength(1);
    expect(json.continuations[0]!.tokens).toBe(6);
    const pipe = await pipeline('text-generation', undefined, { registry });
    const direct = (await pipe.call('It was', { maxNewTokens: 6, doSample: false, repetitionPenalty: 1.1, returnFullText: false }))[0]![0]!;
    pipe.dispose();
    expect(json.continuations[0]!.text).toBe(direct.generatedText);
  });

  it('a continuation past the model’s positions is shortened, with a note', async () => {
    const out = await tfkit('generate', '--max-new-tokens', '500', '--greedy', '--json', '--backend', 'cpu', 'It was');
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toMatch(/^\(this model reads at most 128 tokens: generating 126 instead of 500\)\n$/);
  });

  it('tokenize uses the embedded tokenizer without --tokenizer', async () => {
    const out = await tfkit('tokenize', '--json', 'Emma Woodhouse');
    expect(out.code, out.stderr).toBe(0);
    const json = JSON.parse(out.stdout) as { ids: number[]; tokens: string[] };
    const tokenizer = await Tokenizer.fromPretrained(path.resolve(import.meta.dirname, '../../../../packages/all/assets/tiny-gpt2'));
    expect(json.ids).toEqual(tokenizer.encode('Emma Woodhouse').ids);
  });
});
