/**
 * `pipeline()` over every task, on the Hugging Face fixture checkpoints (random weights, real
 * configs) with tokenizers trained here, checked against the models' own outputs; numTensors is
 * unchanged after each pipeline is built, called and disposed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createRegistry, NoDefaultModelError, registerTask, RegistryError, type PretrainedModel, type Registry } from '@tfkit/core-tensor';
import { generate, type GenerationModel, type TextGenerationPipeline } from '@tfkit/generation';
import type { BartForSequenceClassification, Text2TextGenerationPipeline } from '@tfkit/models-bart';
import { TextClassificationPipeline, type FillMaskCandidate, type FillMaskPipeline, type PipelineModel } from '@tfkit/models-bert';
import type { ImageClassificationPipeline, RawImage } from '@tfkit/models-vit';
import { Tokenizer } from '@tfkit/tokenizers';
import { expectAllClose, expectNoLeaks, fixturePath, writeBartWordTokenizer } from '@tfkit/test-utils';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { pipeline } from './pipeline.js';
import { DEFAULT_MODELS, defaultRegistry, registerAll } from './register-all.js';

const TASKS = [
  'fill-mask', 'text-classification', 'token-classification', 'question-answering', 'feature-extraction',
  'text-generation', 'summarization', 'translation', 'text2text-generation', 'image-classification',
] as const;

const CORPUS = [
  'the cat sat on the mat . the dog ran to the park .',
  'paris is the capital of france . rome is the capital of italy .',
  'alice read a book in the garden while bob played a game .',
  'where is the river ? the river runs by the old city .',
  'a small bird sang a happy song in the tree .',
].flatMap((line) => Array.from({ length: 4 }, () => line));

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-all-pipeline-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const dirs: Record<string, string> = {};
let wordPiece: Tokenizer;
let bpe: Tokenizer;
const registry = registerAll(createRegistry());

/** A copy of a fixture checkpoint, with `tokenizer` saved beside it when given. */
async function fixture(name: string, tokenizer?: Tokenizer): Promise<string> {
  const dir = path.join(root, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const file of fs.readdirSync(fixturePath('models', name))) {
    if (['config.json', 'generation_config.json', 'model.safetensors'].includes(file)) fs.copyFileSync(fixturePath('models', name, file), path.join(dir, file));
  }
  await tokenizer?.savePretrained(dir);
  return dir;
}


beforeAll(async () => {
  // WordPiece's specials come first: [PAD] 0, [UNK] 1, [CLS] 2, [SEP] 3, [MASK] 4, as in the BERT fixtures.
  wordPiece = await Tokenizer.train({ model: 'wordpiece', vocabSize: 300, modelMaxLength: 64 }, CORPUS);
  bpe = await Tokenizer.train({ model: 'bpe', vocabSize: 400, modelMaxLength: 128 }, CORPUS);
  for (const name of ['bert-for-pretraining', 'bert-sequence-classification', 'bert-token-classification', 'bert-question-answering']) dirs[name] = await fixture(name, wordPiece);
  dirs['gpt2-lm'] = await fixture('gpt2-lm'); // no tokenizer files: the test passes one
  dirs['bart-conditional-generation'] = await fixture('bart-conditional-generation');
  writeBartWordTokenizer(dirs['bart-conditional-generation']);
  dirs['vit-image-classification'] = fixturePath('models', 'vit-image-classification'); // needs no preprocessor files
});

function softmax(row: number[]): number[] {
  const max = Math.max(...row);
  const e = row.map((z) => Math.exp(z - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

/** The model's named output as nested arrays, for encodings of one text. */
function output(model: PretrainedModel, name: string, ids: number[][], extra: Record<string, unknown> = {}): number[][][] | number[][] {
  return tf.tidy(() => ((model as unknown as PipelineModel).forward({ inputIds: ids, ...extra }) as Record<string, tf.Tensor>)[name]!.arraySync() as number[][]);
}

/** Builds, runs and disposes a pipeline; nothing stays allocated. */
function run<T>(fn: () => Promise<T>): Promise<T> {
  return expectNoLeaks(fn, 'pipeline() + call + dispose');
}

function image(seed: number): RawImage {
  const data = new Uint8ClampedArray(40 * 30 * 4);
  for (let i = 0; i < 40 * 30; i++) data.set([(i * 7 + seed * 50) % 256, (i * 3) % 256, (seed * 90 + (i % 40) * 5) % 256, 255], i * 4);
  return { width: 40, height: 30, data };
}

describe('the batteries-included registry', () => {
  it('serves every task; each family registers its own implementations, and registering twice needs override', () => {
    for (const task of TASKS) expect(registry.task.has(task), task).toBe(true);
    expect(Object.fromEntries(TASKS.map((t) => [t, registry.task.get(t).modelTypes]))).toEqual({
      'fill-mask': ['bert'], 'text-classification': ['bert'], 'token-classification': ['bert'], 'question-answering': ['bert'], 'feature-extraction': ['bert'],
      'text-generation': ['gpt2'], summarization: ['bart', 'rnn-seq2seq', 'marian'], translation: ['gpt2', 'bart', 'rnn-seq2seq', 'marian'],
      'text2text-generation': ['bart', 'rnn-seq2seq', 'marian'], 'image-classification': ['vit'],
    });
    expect(registry.model.keys()).toEqual(expect.arrayContaining(['bart', 'bert', 'gpt2', 'marian', 'rnn-seq2seq', 'vit']));
    expect(registry.backend.keys().sort()).toEqual(['cpu', 'wasm', 'webgl', 'webgpu']);
    expect(registry.tokenizer.keys()).toEqual(expect.arrayContaining(['BPE', 'WordPiece', 'WordLevel']));
    expect(registry.optimizer.keys()).toEqual(expect.arrayContaining(['adamw']));
    expect(registry.adapter.keys()).toEqual(expect.arrayContaining(['lora', 'prefix-tuning', 'freeze', 'reinit']));
    expect(() => registerAll(registry)).toThrow(RegistryError);
    expect(() => registerAll(registry, { override: true })).not.toThrow();
    expect(defaultRegistry()).toBe(defaultRegistry());
  });

  it('a task without an embedded model says to pass one, naming the task', async () => {
    for (const task of TASKS.filter((t) => !(t in DEFAULT_MODELS))) {
      const error = await pipeline(task, undefined, { registry }).catch((e: unknown) => e);
      expect(error, task).toBeInstanceOf(NoDefaultModelError);
      expect((error as NoDefaultModelError).task).toBe(task);
      expect((error as Error).message).toContain(`pipeline("${task}", "./my-model")`);
    }
  });
});

describe('pipeline() over every task', () => {
  it('fill-mask: candidates with the MLM head’s probabilities', async () => {
    await run(async () => {
      const fill = await pipeline('fill-mask', dirs['bert-for-pretraining'], { registry });
      expectTypeOf(fill).toEqualTypeOf<FillMaskPipeline>();
      expect(fill.model).toHaveProperty('architecture', 'BertForMaskedLM');
      const text = 'the cat sat on the [MASK] .';
      const result = (await fill.call(text, { topK: 3 })) as FillMaskCandidate[];
      const ids = fill.tokenizer.encode(text).ids;
      const probs = softmax((output(fill.model as unknown as PretrainedModel, 'logits', [ids]) as number[][][])[0]![ids.indexOf(4)]!);
      const best = probs.map((p, id) => [p, id] as const).sort((a, b) => b[0] - a[0]).slice(0, 3);
      expect(result.map((c) => c.token)).toEqual(best.map(([, id]) => id));
      result.forEach((c, i) => expect(c.score).toBeCloseTo(best[i]![0], 5));
      fill.dispose();
    });
  });

  it('text-classification (BERT): labels from id2label, softmax of the logits', async () => {
    await run(async () => {
      const classify = await pipeline('text-classification', dirs['bert-sequence-classification'], { registry });
      const labels = await classify.call('alice read a book .', { topK: null });
      const logits = output(classify.model as unknown as PretrainedModel, 'logits', [classify.tokenizer.encode('alice read a book .').ids]) as number[][];
      const probs = softmax(logits[0]!);
      expect(labels.map((l) => l.label).sort()).toEqual(['negative', 'neutral', 'positive']);
      for (const l of labels) expect(l.score).toBeCloseTo(probs[['negative', 'neutral', 'positive'].indexOf(l.label)]!, 5);
      classify.dispose();
    });
  });

  it('token-classification: the argmax label of every kept token', async () => {
    await run(async () => {
      const ner = await pipeline('token-classification', dirs['bert-token-classification'], { registry, tokenizer: wordPiece });
      const text = 'alice and bob played in paris';
      const entities = await ner.call(text, { ignoreLabels: [] });
      const ids = wordPiece.encode(text).ids;
      const logits = (output(ner.model as unknown as PretrainedModel, 'logits', [ids]) as number[][][])[0]!;
      expect(entities.length).toBe(ids.length - 2); // every token but [CLS] and [SEP]
      for (const e of entities as { entity: string; index: number; score: number }[]) {
        const p = softmax(logits[e.index]!);
        expect(e.entity).toBe(`LABEL_${p.indexOf(Math.max(...p))}`);
        expect(e.score).toBeCloseTo(Math.max(...p), 5);
      }
      ner.dispose();
    });
  });

  it('question-answering: a span of the context with its score', async () => {
    await run(async () => {
      const qa = await pipeline('question-answering', dirs['bert-question-answering'], { registry });
      const context = 'paris is the capital of france . rome is the capital of italy .';
      const answer = await qa.call({ question: 'where is rome ?', context });
      expect(answer.answer).toBe(context.slice(answer.start, answer.end));
      expect(answer.score).toBeGreaterThan(0);
      expect(answer.score).toBeLessThanOrEqual(1);
      qa.dispose();
    });
  });

  it('feature-extraction: the encoder’s last hidden state per token, and pooled vectors', async () => {
    await run(async () => {
      const embed = await pipeline('feature-extraction', dirs['bert-for-pretraining'], { registry });
      expect(embed.model).toHaveProperty('architecture', 'BertModel');
      const text = 'the dog ran to the park .';
      const tokens = await embed.call(text);
      const ids = embed.tokenizer.encode(text).ids;
      expectAllClose(tokens, (output(embed.model as unknown as PretrainedModel, 'lastHiddenState', [ids]) as number[][][])[0]!, { atol: 1e-5 });
      const pooled = await embed.call(['the dog ran', 'a small bird sang'], { pooling: 'mean', normalize: true });
      expect(pooled.map((v) => v.length)).toEqual([32, 32]);
      for (const v of pooled) expect(Math.hypot(...v)).toBeCloseTo(1, 5);
      embed.dispose();
    });
  });

  it('text-generation: the embedded default model, offline, and a fixture with a given tokenizer; text as generate() makes it', async () => {
    await run(async () => {
      const generator = await pipeline('text-generation');
      expectTypeOf(generator).toEqualTypeOf<TextGenerationPipeline>();
      const [[first]] = (await generator.call('It was', { maxNewTokens: 6 })) as [[{ generatedText: string }]];
      const ids = (generator.tokenizer.encode('It was') as { ids: number[] }).ids;
      const out = await generate(generator.model, [ids], { maxNewTokens: 6 });
      expect(first.generatedText).toBe(`It was${generator.tokenizer.decode(out.sequences[0]!.slice(out.prefixLength), { skipSpecialTokens: true })}`);
      expect(out.sequences[0]!.length).toBeGreaterThan(ids.length);
      generator.dispose();

      const fixtureGpt = await pipeline('text-generation', dirs['gpt2-lm'], { registry, tokenizer: bpe });
      expect(fixtureGpt.tokenizer).toBe(bpe);
      const [[continued]] = (await fixtureGpt.call('the cat', { maxNewTokens: 4, returnFullText: false })) as [[{ generatedText: string }]];
      const direct = await generate(fixtureGpt.model, [bpe.encode('the cat').ids], { maxNewTokens: 4 });
      expect(continued.generatedText).toBe(bpe.decode(direct.sequences[0]!.slice(direct.prefixLength), { skipSpecialTokens: true }));
      fixtureGpt.dispose();
    });
  });

  it('summarization, translation, text2text-generation: the text generate() makes, under each task’s key', async () => {
    await run(async () => {
      const text = 'w10 w11 w12 w13 w14';
      const summarize = await pipeline('summarization', dirs['bart-conditional-generation'], { registry });
      expectTypeOf(summarize).toEqualTypeOf<Text2TextGenerationPipeline>();
      expect(summarize.model).toHaveProperty('architecture', 'BartForConditionalGeneration');
      const [summary] = await summarize.call(text, { maxNewTokens: 5 });
      const enc = (summarize.tokenizer as Tokenizer).encode(text);
      const out = await generate(summarize.model as GenerationModel, [enc.ids], { maxNewTokens: 5, attentionMask: [enc.attentionMask] });
      expect(summary).toEqual({ summaryText: summarize.tokenizer.decode(out.sequences[0]!, { skipSpecialTokens: true }) });
      summarize.dispose();
      for (const [task, key] of [['translation', 'translationText'], ['text2text-generation', 'generatedText']] as const) {
        const pipe = await pipeline(task, dirs['bart-conditional-generation'], { registry });
        const [result] = await pipe.call(text, { maxNewTokens: 5 });
        expect(result).toEqual({ [key]: summary!.summaryText });
        pipe.dispose();
      }
    });
  });

  it('image-classification: softmax of the logits for raw RGBA images', async () => {
    await run(async () => {
      const classify = await pipeline('image-classification', dirs['vit-image-classification'], { registry });
      expectTypeOf(classify).toEqualTypeOf<ImageClassificationPipeline>();
      const labels = await classify.call(image(0), { topK: null });
      const pixelValues = classify.processor.preprocess([image(0)]);
      const logits = tf.tidy(() => (classify.model as unknown as { forward(i: object): { logits: tf.Tensor } }).forward({ pixelValues }).logits.arraySync() as number[][]);
      pixelValues.dispose();
      const probs = softmax(logits[0]!);
      for (const { label, score } of labels) expect(score).toBeCloseTo(probs[Number(label.slice(6))]!, 5);
      classify.dispose();
    });
  });

  it('runs on wasm too, within 1e-4 of cpu', async () => {
    const texts = ['the cat sat on the mat .', 'where is the river ?'];
    const onCpu = await run(async () => {
      const p = await pipeline('text-classification', dirs['bert-sequence-classification'], { registry, backend: 'cpu' });
      const r = await p.call(texts, { topK: null });
      p.dispose();
      return r;
    });
    try {
      const onWasm = await run(async () => {
        const p = await pipeline('text-classification', dirs['bert-sequence-classification'], { registry, backend: 'wasm' });
        expect(tf.getBackend()).toBe('wasm');
        const r = await p.call(texts, { topK: null });
        p.dispose();
        return r;
      });
      const byLabel = (rows: typeof onCpu) => rows.map((labels) => ['negative', 'neutral', 'positive'].map((l) => labels.find((x) => x.label === l)!.score));
      expectAllClose(byLabel(onWasm), byLabel(onCpu), { atol: 1e-4 });
    } finally {
      await tf.setBackend('cpu');
    }
  });
});

describe('one rule for tasks shared by families', () => {
  it('a third party adds a head to an existing family: BART serves text-classification beside BERT, each by model type', async () => {
    const shared: Registry = registerAll(createRegistry());
    registerTask(shared, 'text-classification', 'bart', {
      loadPreprocessor: async ({ files, given }) => (given['tokenizer'] ? {} : { tokenizer: await Tokenizer.fromPretrained(files) }),
      create: ({ model, tokenizer }) => {
        const bart = model as unknown as BartForSequenceClassification;
        // BART takes no token type ids: pass what it reads.
        const adapted: PipelineModel = {
          config: bart.config,
          forward: ({ inputIds, attentionMask }) => bart.forward({ inputIds, attentionMask } as Parameters<typeof bart.forward>[0]),
          dispose: () => bart.dispose(),
        };
        return new TextClassificationPipeline({ model: adapted, tokenizer: tokenizer as Tokenizer });
      },
    });
    expect(() => registerTask(shared, 'text-classification', 'bert', { create: () => null as never })).toThrow(/already has an implementation for model type "bert"/);
    expect(shared.task.get('text-classification').modelTypes).toEqual(['bert', 'bart']);
    await run(async () => {
      const bart = await pipeline('text-classification', dirs['bart-conditional-generation'], { registry: shared, strict: false });
      expect((bart.model as unknown as { config: object }).config).toHaveProperty('eosTokenId', 2);
      const [labels] = await bart.call(['w10 w11 w12'], { topK: null });
      expect(labels!.map((l) => l.label).sort()).toEqual(['LABEL_0', 'LABEL_1', 'LABEL_2']);
      expect(labels!.reduce((a, l) => a + l.score, 0)).toBeCloseTo(1, 5);
      bart.dispose();
      const bert = await pipeline('text-classification', dirs['bert-sequence-classification'], { registry: shared });
      expect(bert.model).toHaveProperty('architecture', 'BertForSequenceClassification');
      bert.dispose();
    });
  });
});
