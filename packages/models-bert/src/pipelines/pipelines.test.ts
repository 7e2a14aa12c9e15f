import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { AutoModel, createRegistry } from '@tfkit/core-tensor';
import { expectAllClose, expectNoLeaks } from '@tfkit/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BertForQuestionAnswering, BertForSequenceClassification } from '../bert-heads.js';
import { BertForMaskedLM } from '../bert-heads.js';
import { BertModel } from '../bert-modeling.js';
import { registerBert } from '../bert-register.js';
import { fixtureTokenizer, fixtureWithTokenizer } from '../test/fixture-models.js';
import { softmax } from './common.js';
import { FillMaskPipeline, loadPipeline } from './index.js';

const registry = registerBert(createRegistry());
const dirs: Record<string, string> = {};
beforeAll(async () => {
  for (const name of ['bert-for-pretraining', 'bert-sequence-classification', 'bert-token-classification', 'bert-question-answering']) {
    dirs[name] = await fixtureWithTokenizer(name);
  }
});
afterAll(() => {
  for (const dir of Object.values(dirs)) fs.rmSync(path.dirname(dir), { recursive: true, force: true });
});
const tokenizer = fixtureTokenizer();

describe('fill-mask', () => {
  it('returns the top-k tokens at the mask with their probabilities, as the MLM head computes them', async () => {
    const pipe = await loadPipeline('fill-mask', dirs['bert-for-pretraining']!, { registry });
    expect(pipe.model).toBeInstanceOf(BertForMaskedLM);
    const text = 'the cat sat on the [MASK] .';
    const result = await expectNoLeaks(() => pipe.call(text, { topK: 4 }));
    expect(result).toHaveLength(4);
    const enc = tokenizer.encode(text);
    const position = enc.ids.indexOf(4);
    const logits = tf.tidy(() => (pipe.model as BertForMaskedLM).forward({ inputIds: [enc.ids] }).logits.arraySync() as number[][][]);
    const probs = softmax(logits[0]![position]!);
    const best = probs.map((p, id) => [p, id] as const).sort((a, b) => b[0] - a[0]).slice(0, 4);
    for (const [i, c] of (result as { score: number; token: number; tokenStr: string; sequence: string }[]).entries()) {
      expect(c.token).toBe(best[i]![1]);
      expect(c.score).toBeCloseTo(best[i]![0], 5);
      expect(c.tokenStr).toBe(tokenizer.idToToken(c.token));
      expect(c.sequence).toBe(tokenizer.decode(enc.ids.map((id) => (id === 4 ? c.token : id)), { skipSpecialTokens: true }));
    }
    pipe.dispose();
  });

  it('gives one list per mask, batches texts, and scores only the targets when given', async () => {
    const pipe = await loadPipeline('fill-mask', dirs['bert-for-pretraining']!, { registry });
    const [two, one] = await expectNoLeaks(() => pipe.call(['[MASK] dog ran to the [MASK] .', 'a [MASK] .'], { topK: 2 }));
    expect(two).toHaveLength(2);
    expect((two as unknown[][])[0]).toHaveLength(2);
    expect((one as { score: number }[])[0]!.score).toBeGreaterThanOrEqual((one as { score: number }[])[1]!.score);
    const targeted = (await pipe.call('the [MASK] sat .', { targets: ['cat', 'dog', 'king'], topK: 3 })) as { tokenStr: string; score: number }[];
    expect(targeted.map((c) => c.tokenStr).sort()).toEqual(['cat', 'dog', 'king']);
    const all = (await pipe.call('the [MASK] sat .', { topK: 1000 })) as { tokenStr: string; score: number }[];
    for (const c of targeted) expect(c.score).toBeCloseTo(all.find((a) => a.tokenStr === c.tokenStr)!.score, 6);
    await expect(pipe.call('no mask here')).rejects.toThrow(/no \[MASK\]/);
    pipe.dispose();
  });
});

describe('text-classification', () => {
  it('labels from id2label with softmax scores equal to the model’s', async () => {
    const pipe = await loadPipeline('text-classification', dirs['bert-sequence-classification']!, { registry });
    const texts = ['the king is happy .', 'a small dog sat on the old mat by the river'];
    const results = await expectNoLeaks(() => pipe.call(texts, { topK: null }));
    const enc = tokenizer.encodeBatch(texts, { padding: 'longest' });
    const logits = tf.tidy(() => (pipe.model as BertForSequenceClassification).forward({ inputIds: enc.map((e) => e.ids), attentionMask: enc.map((e) => e.attentionMask) }).logits.arraySync() as number[][]);
    results.forEach((labels, b) => {
      const probs = softmax(logits[b]!);
      expect(labels.map((l) => l.label).sort()).toEqual(['negative', 'neutral', 'positive']);
      expect(labels[0]!.score).toBeGreaterThanOrEqual(labels[1]!.score);
      for (const l of labels) expect(l.score).toBeCloseTo(probs[['negative', 'neutral', 'positive'].indexOf(l.label)]!, 5);
    });
    const [top] = await pipe.call('the king is happy .');
    expect(top!.label).toBe(results[0]![0]!.label);
    expect(top!.score).toBeCloseTo(results[0]![0]!.score, 6);
    const pair = await pipe.call({ text: 'the cat sat', textPair: 'a cat was sitting' });
    expect(pair).toHaveLength(1);
    pipe.dispose();
  });

  it('uses sigmoid for multi-label models and raw values for regression', async () => {
    const multi = await loadPipeline('text-classification', dirs['bert-sequence-classification']!, { registry, configOverrides: { problem_type: 'multi_label_classification' } });
    const scores = await multi.call('the dog is sad', { topK: null });
    expect(scores.reduce((s, l) => s + l.score, 0)).not.toBeCloseTo(1, 3);
    const model = multi.model as BertForSequenceClassification;
    const logits = tf.tidy(() => model.forward({ inputIds: [tokenizer.encode('the dog is sad').ids] }).logits.arraySync() as number[][]);
    for (const l of scores) expect(l.score).toBeCloseTo(1 / (1 + Math.exp(-logits[0]![['negative', 'neutral', 'positive'].indexOf(l.label)]!)), 5);
    const raw = await multi.call('the dog is sad', { topK: null, functionToApply: 'none' });
    expect(raw.map((l) => l.score).sort()).toEqual([...logits[0]!].sort());
    multi.dispose();
  });
});

describe('feature-extraction', () => {
  it('returns hidden states per real token, and mean/CLS pooled (optionally unit) vectors', async () => {
    const pipe = await loadPipeline('feature-extraction', dirs['bert-question-answering']!, { registry });
    expect(pipe.model).toBeInstanceOf(BertModel);
    const texts = ['the cat sat', 'a very long sentence about the old king of france and his queen'];
    const tokens = await expectNoLeaks(() => pipe.call(texts));
    expect(tokens[0]).toHaveLength(tokenizer.encode(texts[0]!).length);
    const alone = await pipe.call(texts[0]!);
    expectAllClose(tokens[0]!, alone, { atol: 1e-5 });
    const mean = await pipe.call(texts, { pooling: 'mean' });
    const want = alone[0]!.map((_, c) => alone.reduce((s, row) => s + row[c]!, 0) / alone.length);
    expectAllClose(mean[0]!, want, { atol: 1e-5 });
    expectAllClose(await pipe.call(texts[0]!, { pooling: 'cls' }), alone[0]!, { atol: 1e-6 });
    const unit = await pipe.call(texts, { pooling: 'mean', normalize: true });
    for (const v of unit) expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    pipe.dispose();
  });
});

describe('question-answering', () => {
  it('picks the best context span by p(start)·p(end) and maps it to characters', async () => {
    const pipe = await loadPipeline('question-answering', dirs['bert-question-answering']!, { registry });
    const question = 'who sat on the mat ?';
    const context = 'the old cat sat on the red mat in the garden of the house .';
    const answer = await expectNoLeaks(() => pipe.call({ question, context }));
    expect(answer.answer).toBe(context.slice(answer.start, answer.end));
    expect(answer.answer.length).toBeGreaterThan(0);

    // Brute force over every context span of one window.
    const enc = tokenizer.encode(question, { textPair: context });
    const out = tf.tidy(() => {
      const o = (pipe.model as BertForQuestionAnswering).forward({ inputIds: [enc.ids], tokenTypeIds: [enc.typeIds] });
      return [o.startLogits.arraySync(), o.endLogits.arraySync()] as number[][][];
    });
    const ctx = enc.sequenceIds.map((s) => s === 1);
    const ps = softmax(out[0]![0]!.map((z, i) => (ctx[i] ? z : -10000)));
    const pe = softmax(out[1]![0]!.map((z, i) => (ctx[i] ? z : -10000)));
    let best = { score: -1, start: 0, end: 0 };
    for (let s = 0; s < enc.length; s++) {
      for (let e = s; e < Math.min(enc.length, s + 15); e++) {
        if (ctx[s] && ctx[e] && ps[s]! * pe[e]! > best.score) best = { score: ps[s]! * pe[e]!, start: enc.offsets[s]![0], end: enc.offsets[e]![1] };
      }
    }
    expect(answer.score).toBeCloseTo(best.score, 6);
    expect([answer.start, answer.end]).toEqual([best.start, best.end]);
    pipe.dispose();
  });

  it('covers long contexts with overlapping windows and respects topK and maxAnswerLen', async () => {
    const pipe = await loadPipeline('question-answering', dirs['bert-question-answering']!, { registry });
    const context = Array.from({ length: 6 }, (_, i) => `the ${['cat', 'dog', 'king', 'queen', 'bird', 'lion'][i]} walked to the ${['park', 'city', 'river', 'school', 'garden', 'road'][i]} .`).join(' ');
    const question = 'where did the queen walk ?';
    const windows = tokenizer.encode(question, { textPair: context, truncation: 'only_second', maxLength: 24, stride: 6 });
    expect(windows.overflowing?.length).toBeGreaterThan(1);
    const answers = await expectNoLeaks(() => pipe.call({ question, context }, { topK: 5, maxSeqLen: 24, docStride: 6, maxAnswerLen: 3 }));
    expect(answers).toHaveLength(5);
    const list = answers as { score: number; start: number; end: number; answer: string }[];
    for (const [i, a] of list.entries()) {
      expect(a.answer).toBe(context.slice(a.start, a.end));
      expect(tokenizer.encode(a.answer, { addSpecialTokens: false }).length).toBeLessThanOrEqual(3);
      if (i > 0) expect(a.score).toBeLessThanOrEqual(list[i - 1]!.score);
    }
    expect(new Set(list.map((a) => `${a.start}-${a.end}`)).size).toBe(5);
    // Spans come from every part of the context, not just the first window.
    const all = (await pipe.call({ question, context }, { topK: 500, maxSeqLen: 24, docStride: 6, maxAnswerLen: 3 })) as { end: number }[];
    expect(Math.max(...all.map((a) => a.end))).toBe(context.length);
    const impossible = await pipe.call({ question, context }, { handleImpossibleAnswer: true, maxSeqLen: 24, docStride: 6 });
    expect(impossible.answer === '' ? impossible.start : impossible.answer).toBe(impossible.answer === '' ? 0 : context.slice(impossible.start, impossible.end));
    pipe.dispose();
  });
});

describe('registry', () => {
  it('registers the five tasks under Hugging Face names; create() needs a model and a tokenizer', () => {
    expect(registry.task.keys()).toEqual(['fill-mask', 'text-classification', 'token-classification', 'question-answering', 'feature-extraction']);
    expect(() => registry.task.get('fill-mask').create({})).toThrow(/needs a loaded model/);
    for (const task of registry.task.keys()) expect(registry.task.get(task).modelTypes).toEqual(['bert']);
  });

  it('builds through the task entry for a bert model; without a Tokenizer it is an error', async () => {
    const model = await AutoModel.fromPretrained(dirs['bert-for-pretraining']!, { registry, architecture: 'BertForMaskedLM' });
    expect(() => registry.task.get('fill-mask').create({ model })).toThrow(/fill-mask: create\(\{ model, tokenizer \}\) needs a loaded model and a Tokenizer/);
    const pipe = registry.task.get('fill-mask').create({ model, tokenizer });
    expect(pipe).toBeInstanceOf(FillMaskPipeline);
    pipe.dispose();
  });

  it('loadPipeline names the tasks a model type serves when it has no such pipeline', async () => {
    const other = createRegistry();
    registerBert(other);
    other.model.register('not-bert', { architectures: {}, defaultArchitecture: 'X' });
    const dir = path.join(path.dirname(dirs['bert-for-pretraining']!), 'not-bert');
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(dirs['bert-for-pretraining']!, 'model.safetensors'), path.join(dir, 'model.safetensors'));
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'not-bert' }));
    await expect(expectNoLeaks(() => loadPipeline('fill-mask', dir, { registry: other }).catch((e: Error) => e.message))).resolves.toMatch(
      /is a "not-bert" model, which has no fill-mask implementation\. Served by: bert/,
    );
  });
});
