// `tfkit finetune` and `tfkit eval` on every task besides text classification (finetune.test.ts):
// tiny checkpoints, a few steps, each task's data format and metrics, LoRA targets from the
// registry, prefix tuning, freezing. Plumbing, not learning (that is tested in @tfkit/finetune).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BertForMaskedLM, BertForQuestionAnswering, BertForSequenceClassification } from '@tfkit/models-bert';
import { GPT2LMHeadModel } from '@tfkit/models-gpt';
import { Tokenizer, wordPieceFromVocab } from '@tfkit/tokenizers';
import { encodePng, fixturePath } from '@tfkit/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTfkit } from '../testing.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-cli-tasks-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const tfkit = (...argv: string[]) => runTfkit(argv, tmp);
const jsonl = (rows: object[]) => `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`;

const WORDS = 'the a cat dog sat on mat who where is in paris alice bob lives works city . ?'.split(' ');
const wordPiece = wordPieceFromVocab(new Map(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...WORDS].map((t, i) => [t, i])), { model_max_length: 64 });
const tiny = { vocabSize: wordPiece.vocabSize, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 32, maxPositionEmbeddings: 64 };


beforeAll(async () => {
  for (const [name, model] of [['mlm', new BertForMaskedLM(tiny, { seed: 1 })], ['qa-base', new BertForQuestionAnswering(tiny, { seed: 2 })], ['cls-base', new BertForSequenceClassification(tiny, { seed: 3 })]] as const) {
    await model.savePretrained(path.join(tmp, name));
    await wordPiece.savePretrained(path.join(tmp, name));
    model.dispose();
  }
  const ner = [
    { tokens: ['alice', 'lives', 'in', 'paris'], tags: ['B-PER', 'O', 'O', 'B-LOC'] },
    { tokens: ['bob', 'works', 'in', 'the', 'city'], tags: ['B-PER', 'O', 'O', 'O', 'O'] },
    { tokens: 'the cat sat on the mat', tags: 'O O O O O O' },
    { tokens: ['alice', 'is', 'in', 'paris'], tags: ['B-PER', 'O', 'O', 'B-LOC'] },
  ];
  fs.writeFileSync(path.join(tmp, 'ner.jsonl'), jsonl(ner));
  fs.writeFileSync(path.join(tmp, 'ner.csv'), `tokens,tags\n${ner.map((r) => `${[r.tokens].flat().join(' ')},${[r.tags].flat().join(' ')}`).join('\n')}\n`);
  const context = 'alice lives in paris . bob works in the city .';
  fs.writeFileSync(path.join(tmp, 'squad.jsonl'), jsonl([
    { question: 'where is alice ?', context, answers: { text: ['paris'], answer_start: [15] } },
    { question: 'who works in the city ?', context, answers: { text: ['bob'], answer_start: [23] } },
    { question: 'where is bob ?', context, answers: { text: ['the city'], answer_start: [36] } },
  ]));
  fs.writeFileSync(path.join(tmp, 'squad.csv'), `question,context,answer,answer_start\nwhere is alice ?,${context},paris,15\n`);
  // The BART fixture with a word-level tokenizer over its 1000 ids.
  const bart = path.join(tmp, 'bart');
  fs.mkdirSync(bart);
  for (const f of ['config.json', 'generation_config.json', 'model.safetensors']) if (fs.existsSync(fixturePath('models', 'bart-conditional-generation', f))) fs.copyFileSync(fixturePath('models', 'bart-conditional-generation', f), path.join(bart, f));
  const specials = ['<s>', '<pad>', '</s>', '<unk>'];
  fs.writeFileSync(path.join(bart, 'tokenizer.json'), JSON.stringify({
    version: '1.0', added_tokens: specials.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null, pre_tokenizer: { type: 'WhitespaceSplit' },
    model: { type: 'WordLevel', vocab: Object.fromEntries([...specials.map((t, i) => [t, i]), ...Array.from({ length: 996 }, (_, i) => [`w${i + 4}`, i + 4])]), unk_token: '<unk>' },
    post_processor: { type: 'RobertaProcessing', sep: ['</s>', 2], cls: ['<s>', 0], trim_offsets: false, add_prefix_space: false }, decoder: null,
  }));
  fs.writeFileSync(path.join(bart, 'tokenizer_config.json'), JSON.stringify({ bos_token: '<s>', eos_token: '</s>', pad_token: '<pad>', unk_token: '<unk>', model_max_length: 64 }));
  fs.writeFileSync(path.join(tmp, 'summaries.jsonl'), jsonl([
    { text: 'w10 w11 w12 w13 w14 w15', summary: 'w10 w12' },
    { document: 'w20 w21 w22 w23', summary: 'w21' },
    { article: 'w30 w31 w32 w33 w34', highlights: 'w30 w31' },
  ]));
  // A small GPT-2 and its byte-level tokenizer.
  const text = 'the cat sat on the mat. le chat est assis sur le tapis. the dog ran. le chien a couru.';
  const bpe = await Tokenizer.train({ model: 'bpe', vocabSize: 280, specialTokens: ['<|endoftext|>'] }, [text.repeat(10)]);
  const lm = new GPT2LMHeadModel({ vocabSize: bpe.vocabSize, nPositions: 48, nEmbd: 16, nLayer: 2, nHead: 2, bosTokenId: 0, eosTokenId: 0 }, { seed: 4 });
  await lm.savePretrained(path.join(tmp, 'gpt'));
  await bpe.savePretrained(path.join(tmp, 'gpt'));
  lm.dispose();
  fs.writeFileSync(path.join(tmp, 'pairs.jsonl'), jsonl([
    { source: 'the cat sat on the mat.', target: 'le chat est assis sur le tapis.' },
    { source: 'the dog ran.', target: 'le chien a couru.' },
    { source: 'the cat ran.', target: 'le chat a couru.' },
  ]));
  fs.writeFileSync(path.join(tmp, 'story.txt'), `${text}\n\n${text.toUpperCase()}\n\nthe mat. the dog.\n`);
  fs.mkdirSync(path.join(tmp, 'images'));
  const images = [['red', [220, 20, 30]], ['green', [20, 200, 40]], ['blue', [30, 40, 210]]] as const;
  for (const [name, rgb] of images) fs.writeFileSync(path.join(tmp, 'images', `${name}.png`), encodePng(24, 24, () => rgb));
  fs.writeFileSync(path.join(tmp, 'images', 'labels.csv'), `image,label\n${images.map(([n]) => `${n}.png,${n}`).join('\n')}\n`);
  fs.mkdirSync(path.join(tmp, 'vit'));
  for (const f of ['config.json', 'model.safetensors']) fs.copyFileSync(fixturePath('models', 'vit-image-classification', f), path.join(tmp, 'vit', f));
});

const metrics = (stdout: string) => JSON.parse(stdout) as Record<string, number | string>;
const FT = ['--epochs', '1', '--batch-size', '2', '--lr', '1e-3', '--backend', 'cpu'];

describe('tfkit finetune / eval for every task', { timeout: 180_000 }, () => {
  it('--class-weights: balanced (counted over the aligned training tags), label=weight pairs, numbers in label order; bad specs are usage errors', async () => {
    // ner.jsonl: 14 O, 3 B-PER, 2 B-LOC (one token per word) → n / (3 · count).
    const balanced = await tfkit('finetune', '--json', '--task', 'token-classification', '--model', 'mlm', '--data', 'ner.jsonl', '--out', 'ner-balanced', '--class-weights', 'balanced', ...FT);
    expect(balanced.code, balanced.stderr).toBe(0);
    const weights = (JSON.parse(balanced.stdout) as { classWeights: Record<string, number> }).classWeights;
    expect(Object.keys(weights)).toEqual(['B-LOC', 'B-PER', 'O']);
    for (const [label, count] of [['B-LOC', 2], ['B-PER', 3], ['O', 14]] as const) expect(weights[label]).toBeCloseTo(19 / (3 * count), 5);
    const pairs = await tfkit('finetune', '--json', '--task', 'token-classification', '--model', 'mlm', '--data', 'ner.jsonl', '--out', 'ner-pairs', '--class-weights', 'O=0.25', ...FT);
    expect(pairs.code, pairs.stderr).toBe(0);
    expect(metrics(pairs.stdout)['classWeights']).toEqual({ 'B-LOC': 1, 'B-PER': 1, O: 0.25 });
    const listed = await tfkit('finetune', '--json', '--task', 'token-classification', '--model', 'mlm', '--data', 'ner.jsonl', '--out', 'ner-list', '--class-weights', '2,2,0.5', ...FT);
    expect(metrics(listed.stdout)['classWeights']).toEqual({ 'B-LOC': 2, 'B-PER': 2, O: 0.5 });
    const run = (spec: string, task = 'token-classification') => tfkit('finetune', '--json', '--task', task, '--model', 'mlm', '--data', 'ner.jsonl', '--out', 'x', '--class-weights', spec, '--backend', 'cpu');
    for (const [spec, message] of [
      ['1,2', '--class-weights: 2 weights for 3 labels (B-LOC, B-PER, O): give one per label, in that order, or label=weight pairs'],
      ['1,-2,1', '--class-weights: weight 2 must be a number ≥ 0, got "-2"'],
      ['1,NaN,1', '--class-weights: weight 2 must be a number ≥ 0, got "NaN"'],
      ['I-PER=2', '--class-weights: "I-PER" is not one of the labels (B-LOC, B-PER, O)'],
      ['O=inf', '--class-weights: the weight of O must be a number ≥ 0, got "inf"'],
      ['0,0,0', '--class-weights: the weights are all 0'],
    ] as const) {
      const bad = await run(spec);
      expect(bad.code, spec).toBe(2);
      expect(bad.stderr, spec).toMatch(new RegExp(`^tfkit finetune: ${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    }
    const wrongTask = await tfkit('finetune', '--json', '--task', 'causal-lm', '--model', 'gpt', '--data', 'story.txt', '--out', 'x', '--class-weights', 'balanced');
    expect(wrongTask.code).toBe(2);
    expect(wrongTask.stderr).toMatch(/^tfkit finetune: --class-weights: weights the classes of text-classification, token-classification, image-classification, not causal-lm/);
  });

  it('token-classification: tokens + tags (JSONL or CSV), a new head for the data’s tags, entity F1; --freeze', async () => {
    const ft = await tfkit('finetune', '--json', '--task', 'token-classification', '--model', 'mlm', '--data', 'ner.jsonl', '--eval', 'ner.csv', '--out', 'ner', '--freeze', 'embeddings,1', ...FT);
    expect(ft.code, ft.stderr).toBe(0);
    expect(ft.stderr).toMatch(/newly initialised: classifier\.weight, classifier\.bias/);
    const summary = metrics(ft.stdout);
    expect(summary).toMatchObject({ task: 'token-classification', steps: 2 });
    for (const k of ['eval_loss', 'eval_precision', 'eval_recall', 'eval_f1']) expect(typeof summary[k], k).toBe('number');
    const config = JSON.parse(fs.readFileSync(path.join(tmp, 'ner', 'config.json'), 'utf8')) as { architectures: string[]; id2label: Record<string, string> };
    expect(config.architectures).toEqual(['BertForTokenClassification']);
    expect(Object.values(config.id2label)).toEqual(['B-LOC', 'B-PER', 'O']);
    const ev = await tfkit('eval', '--json', '--task', 'token-classification', '--model', 'ner', '--data', 'ner.csv', '--backend', 'cpu');
    expect(ev.code, ev.stderr).toBe(0);
    expect(ev.stderr).toMatch(/evaluating \[#+\] 4\/4/);
    expect(metrics(ev.stdout)['eval_f1']).toBeCloseTo(summary['eval_f1'] as number, 6);
  });

  it('question-answering: SQuAD answers (or answer, answer_start columns) → exact match and F1', async () => {
    const ft = await tfkit('finetune', '--json', '--task', 'question-answering', '--model', 'qa-base', '--data', 'squad.jsonl', '--eval', 'squad.jsonl', '--out', 'qa', '--max-length', '32', '--stride', '8', ...FT);
    expect(ft.code, ft.stderr).toBe(0);
    const summary = metrics(ft.stdout);
    for (const k of ['eval_loss', 'eval_exact_match', 'eval_f1']) expect(summary[k], k).toBeGreaterThanOrEqual(0);
    const ev = await tfkit('eval', '--json', '--task', 'question-answering', '--model', 'qa', '--data', 'squad.jsonl', '--max-length', '32', '--backend', 'cpu');
    expect(metrics(ev.stdout)['eval_f1']).toBeCloseTo(summary['eval_f1'] as number, 6);
    const csv = await tfkit('eval', '--json', '--task', 'question-answering', '--model', 'qa', '--data', 'squad.csv', '--backend', 'cpu');
    expect(csv.code, csv.stderr).toBe(0);
    expect(metrics(csv.stdout)['examples']).toBe(1);
    const text = await tfkit('eval', '--task', 'question-answering', '--model', 'qa', '--data', 'squad.csv', '--backend', 'cpu');
    expect(text.stdout).toMatch(/^task {14}question-answering\nexamples {10}1\neval_loss {9}\d+(\.\d+)?\neval_exact_match {2}[01]\neval_f1 {11}[\d.]+\n$/);
    fs.writeFileSync(path.join(tmp, 'bad-squad.jsonl'), jsonl([{ question: 'q', context: 'alice lives', answers: { text: ['paris'], answer_start: [0] } }]));
    const bad = await tfkit('eval', '--json', '--task', 'question-answering', '--model', 'qa', '--data', 'bad-squad.jsonl', '--backend', 'cpu');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/row 1: the answer "paris" is not at character 0 of the context/);
  });

  it('summarization: text/document/article + summary/highlights → an encoder-decoder learns; ROUGE from generated summaries', async () => {
    const ft = await tfkit('finetune', '--json', '--task', 'summarization', '--model', 'bart', '--data', 'summaries.jsonl', '--out', 'summarizer', ...FT);
    expect(ft.code, ft.stderr).toBe(0);
    expect(fs.existsSync(path.join(tmp, 'summarizer', 'tokenizer.json'))).toBe(true);
    const ev = await tfkit('eval', '--json', '--task', 'summarization', '--model', 'summarizer', '--data', 'summaries.jsonl', '--max-new-tokens', '4', '--backend', 'cpu');
    expect(ev.code, ev.stderr).toBe(0);
    const m = metrics(ev.stdout);
    for (const k of ['eval_loss', 'eval_rouge1', 'eval_rouge2', 'eval_rougeL']) {
      expect(m[k], k).toBeGreaterThanOrEqual(0);
      if (k !== 'eval_loss') expect(m[k], k).toBeLessThanOrEqual(1);
    }
    expect(ev.stderr).toMatch(/generating \[#+\] 3\/3/);
  });

  it('translation with a causal LM and --target-lang: learns "source <to-fr> target", then tfkit translate --to fr uses it', async () => {
    const ft = await tfkit('finetune', '--json', '--task', 'translation', '--model', 'gpt', '--target-lang', 'fr', '--data', 'pairs.jsonl', '--eval', 'pairs.jsonl', '--out', 'translator', ...FT);
    expect(ft.code, ft.stderr).toBe(0);
    const summary = metrics(ft.stdout);
    expect(summary['eval_rougeL']).toBeGreaterThanOrEqual(0);
    const tokenizer = await Tokenizer.fromPretrained(path.join(tmp, 'translator'));
    expect(tokenizer.tokenToId('<to-fr>')).toBe(280);
    expect(JSON.parse(fs.readFileSync(path.join(tmp, 'translator', 'config.json'), 'utf8'))).toMatchObject({ vocab_size: 281 });
    const run = await tfkit('translate', '--model', 'translator', '--to', 'fr', '--max-new-tokens', '3', '--json', '--backend', 'cpu', 'the cat ran.');
    expect(run.code, run.stderr).toBe(0);
    expect(typeof (JSON.parse(run.stdout) as { translationText: string }).translationText).toBe('string');
    const noLang = await tfkit('finetune', '--json', '--task', 'translation', '--model', 'gpt', '--data', 'pairs.jsonl', '--out', 'x', ...FT);
    expect(noLang.code).toBe(2);
    expect(noLang.stderr).toMatch(/--target-lang is required/);
  });

  it('causal-lm with --lora: the family’s default targets from the registry (c_attn), perplexity from eval --adapter', async () => {
    const ft = await tfkit('finetune', '--json', '--task', 'causal-lm', '--model', 'gpt', '--data', 'story.txt', '--eval', 'story.txt', '--out', 'lm-lora', '--lora', 'r=2', ...FT);
    expect(ft.code, ft.stderr).toBe(0);
    const summary = metrics(ft.stdout);
    expect(summary['eval_perplexity']).toBeCloseTo(Math.exp(summary['eval_loss'] as number), 4);
    const adapter = JSON.parse(fs.readFileSync(path.join(tmp, 'lm-lora', 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    expect(adapter).toMatchObject({ peft_type: 'LORA', r: 2, target_modules: ['c_attn'], task_type: 'CAUSAL_LM' });
    // The loss is the mean of the batches' token means, as Hugging Face's Trainer reports it: the same batches, the same value.
    const ev = await tfkit('eval', '--json', '--task', 'causal-lm', '--model', 'gpt', '--adapter', 'lm-lora', '--data', 'story.txt', '--batch-size', '2', '--backend', 'cpu');
    expect(ev.code, ev.stderr).toBe(0);
    expect(metrics(ev.stdout)['eval_perplexity']).toBeCloseTo(summary['eval_perplexity'] as number, 3);
  });

  it('text-classification with --prefix: a PEFT prefix-tuning adapter that eval --adapter loads', async () => {
    fs.writeFileSync(path.join(tmp, 'sentiment.csv'), 'text,label\nalice lives in paris,pos\nthe dog sat,neg\nbob works in the city,pos\nthe cat sat on the mat,neg\n');
    const ft = await tfkit('finetune', '--json', '--model', 'cls-base', '--data', 'sentiment.csv', '--eval', 'sentiment.csv', '--out', 'prefixed', '--prefix', 'tokens=3', ...FT);
    expect(ft.code, ft.stderr).toBe(0);
    const adapter = JSON.parse(fs.readFileSync(path.join(tmp, 'prefixed', 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    expect(adapter).toMatchObject({ peft_type: 'PREFIX_TUNING', num_virtual_tokens: 3, num_layers: 2, num_attention_heads: 2, token_dim: 16, task_type: 'SEQ_CLS', modules_to_save: ['classifier'] });
    const ev = await tfkit('eval', '--json', '--model', 'cls-base', '--adapter', 'prefixed', '--data', 'sentiment.csv', '--backend', 'cpu');
    expect(ev.code, ev.stderr).toBe(0);
    expect(metrics(ev.stdout)['eval_accuracy']).toBeCloseTo(metrics(ft.stdout)['eval_accuracy'] as number, 6);
    expect(metrics(ev.stdout)['eval_loss']).toBeCloseTo(metrics(ft.stdout)['eval_loss'] as number, 4);
  });

  it('image-classification: image files named in a CSV beside them → accuracy and F1', async () => {
    const ft = await tfkit('finetune', '--json', '--task', 'image-classification', '--model', 'vit', '--data', 'images/labels.csv', '--eval', 'images/labels.csv', '--out', 'colours', ...FT);
    expect(ft.code, ft.stderr).toBe(0);
    const summary = metrics(ft.stdout);
    expect(summary['eval_accuracy']).toBeGreaterThanOrEqual(0);
    const config = JSON.parse(fs.readFileSync(path.join(tmp, 'colours', 'config.json'), 'utf8')) as { id2label: Record<string, string> };
    expect(Object.values(config.id2label)).toEqual(['blue', 'green', 'red']);
    const ev = await tfkit('eval', '--json', '--task', 'image-classification', '--model', 'colours', '--data', 'images/labels.csv', '--backend', 'cpu');
    expect(metrics(ev.stdout)['eval_accuracy']).toBeCloseTo(summary['eval_accuracy'] as number, 6);
    const labels = await tfkit('classify-image', '--model', 'colours', '--backend', 'cpu', 'images/red.png');
    expect(labels.stdout).toMatch(/^\d\.\d{4} {2}(red|green|blue)\timages\/red\.png\n$/);
  });

  it('data errors name the file, row and column in one line (exit 1); unknown tasks exit 2', async () => {
    fs.writeFileSync(path.join(tmp, 'no-tags.jsonl'), jsonl([{ tokens: ['a'] }]));
    const noTags = await tfkit('finetune', '--json', '--task', 'token-classification', '--model', 'mlm', '--data', 'no-tags.jsonl', '--out', 'x', '--backend', 'cpu');
    expect(noTags.code).toBe(1);
    expect(noTags.stderr).toBe('tfkit finetune: --data no-tags.jsonl: row 1 has no "tags" or "ner_tags" or "labels" (columns: tokens)\n');
    fs.writeFileSync(path.join(tmp, 'broken.jsonl'), '{"text": "a", "label": 1}\n{"text": \n');
    const broken = await tfkit('eval', '--json', '--model', 'cls-base', '--data', 'broken.jsonl', '--backend', 'cpu');
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/^tfkit eval: --data broken\.jsonl: line 2 is not a JSON object/);
    const task = await tfkit('finetune', '--json', '--task', 'speech', '--model', 'mlm', '--data', 'ner.jsonl', '--out', 'x');
    expect(task.code).toBe(2);
    expect(task.stderr).toMatch(/--task: expected one of text-classification, token-classification, question-answering, summarization, translation, causal-lm, image-classification/);
  });
});
