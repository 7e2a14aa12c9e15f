import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  BertForMaskedLM, BertForQuestionAnswering, BertForSequenceClassification, BertForTokenClassification, type BertPreTrainedModel,
} from '@tfkit/models-bert';
import { wordPieceFromVocab } from '@tfkit/tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTfkit } from '../testing.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-cli-bert-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const tfkit = (...argv: string[]) => runTfkit(argv, tmp);

const WORDS = 'the a cat dog sat on mat who where is in paris alice bob lives works city king . ? , ##s ##ing'.split(' ');
const tokenizer = wordPieceFromVocab(new Map(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...WORDS].map((t, i) => [t, i])), { model_max_length: 32 });
const tiny = { vocabSize: tokenizer.vocabSize, hiddenSize: 16, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 32, maxPositionEmbeddings: 32 };

async function save(name: string, model: BertPreTrainedModel): Promise<void> {
  await model.savePretrained(path.join(tmp, name));
  await tokenizer.savePretrained(path.join(tmp, name));
  model.dispose();
}

beforeAll(async () => {
  await save('mlm', new BertForMaskedLM(tiny, { seed: 1 }));
  await save('cls', new BertForSequenceClassification({ ...tiny, id2label: { 0: 'negative', 1: 'positive' } }, { seed: 2 }));
  await save('ner', new BertForTokenClassification({ ...tiny, id2label: { 0: 'O', 1: 'B-PER', 2: 'I-PER', 3: 'B-LOC', 4: 'I-LOC' } }, { seed: 3 }));
  await save('qa', new BertForQuestionAnswering(tiny, { seed: 4 }));
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

  it('classify prints labels from id2label', async () => {
    const out = await tfkit('classify', '--model', 'cls', '--all', '--json', '--backend', 'cpu', 'alice lives in paris');
    expect(out.code, out.stderr).toBe(0);
    const labels = JSON.parse(out.stdout) as { label: string; score: number }[];
    expect(labels.map((l) => l.label).sort()).toEqual(['negative', 'positive']);
    expect(labels[0]!.score + labels[1]!.score).toBeCloseTo(1, 5);
    const pair = await tfkit('classify', '--model', 'cls', '--pair', 'bob works in paris', '--backend', 'cpu', 'alice lives in paris');
    expect(pair.stdout).toMatch(/^\d\.\d{4} {2}(negative|positive)\n$/);
  });

  it('ner prints entities with character spans into the text', async () => {
    const text = 'alice lives in paris';
    const out = await tfkit('ner', '--model', 'ner', '--aggregation', 'none', '--keep-o', '--json', '--backend', 'cpu', text);
    expect(out.code, out.stderr).toBe(0);
    const entities = JSON.parse(out.stdout) as { word: string; start: number; end: number }[];
    expect(entities.map((e) => e.word)).toEqual(['alice', 'lives', 'in', 'paris']);
    for (const e of entities) expect(text.slice(e.start, e.end)).toBe(e.word);
    const bad = await tfkit('ner', '--model', 'ner', '--aggregation', 'longest', text);
    expect(bad.code).toBe(2);
  });

  it('qa answers from --context with a span of it', async () => {
    const context = 'alice lives in paris . bob works in the city .';
    const out = await tfkit('qa', '--model', 'qa', '--context', context, '--json', '--backend', 'cpu', 'where is alice ?');
    expect(out.code, out.stderr).toBe(0);
    const answer = JSON.parse(out.stdout) as { answer: string; start: number; end: number; score: number };
    expect(answer.answer).toBe(context.slice(answer.start, answer.end));
    expect(answer.answer.length).toBeGreaterThan(0);
    fs.writeFileSync(path.join(tmp, 'context.txt'), context);
    const fromFile = await tfkit('qa', '--model', 'qa', '--context-file', 'context.txt', '--top-k', '2', '--backend', 'cpu', 'where is alice ?');
    expect(fromFile.stdout.trim().split('\n')).toHaveLength(2);
  });

  it('usage errors exit with 2', async () => {
    expect((await tfkit('fill-mask', 'the [MASK]')).code).toBe(2);
    expect((await tfkit('qa', '--model', 'qa', 'where?')).code).toBe(2);
    expect((await tfkit('classify', '--model', 'cls')).code).toBe(2);
  });
});
