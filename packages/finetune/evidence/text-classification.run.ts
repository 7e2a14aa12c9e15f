/**
 * Evidence for the README: fine-tuning a small BERT (and a small GPT-2 for prefix tuning), both
 * pretrained from scratch here, on a real labelled task available offline — author attribution of
 * sentences from public-domain books (tfkit's @tfkit/corpus: NLTK's Gutenberg selection).
 *
 *   cd packages/finetune && [QUICK=1] npx vitest run --config evidence/vitest.config.ts evidence/text-classification.run.ts
 *
 * Writes evidence/results.json. Classes: Austen (Emma, Persuasion, Sense and Sensibility),
 * Chesterton (The Ball and the Cross, Father Brown, Thursday), Melville (Moby Dick); balanced, so
 * the majority baseline is 1/3.
 */
import fs from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { it } from 'vitest';
import { loadGradients, Random } from '@tfkit/core-tensor';
import { loadBooks } from '@tfkit/corpus';
import { BertForMaskedLM, BertForPreTraining, BertForSequenceClassification, buildNspPairs, type NspExample } from '@tfkit/models-bert';
import { GPT2ForSequenceClassification, GPT2LMHeadModel } from '@tfkit/models-gpt';
import { Tokenizer } from '@tfkit/tokenizers';
import {
  classificationMetrics, DataCollatorWithPadding, Dataset, LoraModel, padSequences, PrefixTuningModel, ProgressCallback, Trainer,
  type Batch, type TrainerCallback,
} from '../src/index.js';

const quick = process.env['QUICK'] === '1';
/** `PART=bert` or `PART=gpt` runs one half (results are merged into the same file). */
const part = process.env['PART'] ?? 'all';
const AUTHORS: Record<string, string[]> = {
  austen: ['austen-emma', 'austen-persuasion', 'austen-sense'],
  chesterton: ['chesterton-ball', 'chesterton-brown', 'chesterton-thursday'],
  melville: ['melville-moby_dick'],
};
const LABELS = Object.keys(AUTHORS);
const TRAIN_PER_CLASS = quick ? 200 : 400;
const EVAL_PER_CLASS = quick ? 100 : 200;
const PRETRAIN_SENTENCES = quick ? 2000 : 3600;
const MAX_LEN = 32;
/**
 * Epochs of pretraining for both bases. One epoch (≈113 steps) leaves BERT's [CLS] state almost
 * input-independent (std across inputs ≈0.4% of its scale after the encoder: MLM never trains
 * [CLS]), so a frozen-base method has nothing to read; full FT escapes by moving the embeddings.
 */
/** Pretrain BERT with next sentence prediction as well as masked LM (`BERT_NSP=0` for MLM only). */
const BERT_NSP = process.env['BERT_NSP'] !== '0';
const PRETRAIN_EPOCHS = Number(process.env['PRETRAIN_EPOCHS'] ?? (quick ? 1 : 6));
/** Chosen on a validation split of the training sentences (evidence/lora-tune.run.ts), never on the eval set. */
const LORA = { lr: Number(process.env['LORA_LR'] ?? 5e-3), epochs: Number(process.env['LORA_EPOCHS'] ?? (quick ? 1 : 5)), r: 8, alpha: 16, targets: (process.env['LORA_TARGETS'] ?? 'query,key,value,dense').split(','), modulesToSave: ['classifier', 'pooler'] };
const PREFIX = { lr: Number(process.env['PREFIX_LR'] ?? 1e-2), epochs: Number(process.env['PREFIX_EPOCHS'] ?? (quick ? 1 : 3)), numVirtualTokens: Number(process.env['PREFIX_P'] ?? 4), prefixProjection: true, encoderHiddenSize: 64, modulesToSave: ['score'] };

interface Example { text: string; label: number; [k: string]: unknown }

function sentences(text: string): string[] {
  return text
    .replace(/\s+/g, ' ')
    .split(/(?<=[.!?])\s+(?=[A-Z"'])/)
    .map((s) => s.trim())
    .filter((s) => !s.startsWith('[') && s.split(' ').length >= 8 && s.split(' ').length <= 40);
}

function buildData() {
  const rng = new Random(2024);
  const books = new Map(loadBooks().map((b) => [b.id, b.text]));
  const train: Example[] = [];
  const evalSet: Example[] = [];
  const unlabelled: string[] = [];
  /** The unlabelled sentences in book order, in passages of 10: the documents of next sentence prediction. */
  const passages: string[][] = [];
  LABELS.forEach((author, label) => {
    const inOrder = (AUTHORS[author] as string[]).flatMap((id) => sentences(books.get(id) as string));
    const all = rng.shuffle([...inOrder]);
    evalSet.push(...all.slice(0, EVAL_PER_CLASS).map((text) => ({ text, label })));
    train.push(...all.slice(EVAL_PER_CLASS, EVAL_PER_CLASS + TRAIN_PER_CLASS).map((text) => ({ text, label })));
    // Unlabelled text for pretraining: never the evaluation sentences.
    const pre = all.slice(EVAL_PER_CLASS, EVAL_PER_CLASS + Math.ceil(PRETRAIN_SENTENCES / LABELS.length));
    unlabelled.push(...pre);
    const kept = new Set(pre);
    const ordered = inOrder.filter((x) => kept.has(x));
    for (let i = 0; i < ordered.length; i += 10) passages.push(ordered.slice(i, i + 10));
  });
  return { train: Dataset.fromArray(rng.shuffle(train)), evalSet: Dataset.fromArray(evalSet), unlabelled: rng.shuffle(unlabelled), passages };
}

/** BERT's masking: 15% of tokens; of those 80% [MASK], 10% random, 10% unchanged. */
function mlmCollator(tokenizer: Tokenizer, vocab: number, seed: number) {
  const rng = new Random(seed);
  return (texts: { text: string }[]): Batch => {
    const ids: number[][] = [];
    const labels: number[][] = [];
    for (const { text } of texts) {
      const enc = tokenizer.encode(text, { truncation: true, maxLength: MAX_LEN });
      const row = [...enc.ids];
      const lab = row.map(() => -100);
      row.forEach((id, i) => {
        if (id < 5 || rng.random() >= 0.15) return;
        lab[i] = id;
        const r = rng.random();
        row[i] = r < 0.8 ? 4 : r < 0.9 ? 5 + rng.int(vocab - 5) : id;
      });
      ids.push(row);
      labels.push(lab);
    }
    return { inputIds: padSequences(ids, 0), attentionMask: padSequences(ids.map((r) => r.map(() => 1)), 0), labels: padSequences(labels, -100) };
  };
}

/** MLM masking as above on `[CLS] A [SEP] B [SEP]` pairs, plus segments and next-sentence labels. */
function nspCollator(vocab: number, seed: number) {
  const rng = new Random(seed);
  return (pairs: NspExample[]): Batch => {
    const ids: number[][] = [];
    const labels: number[][] = [];
    for (const pair of pairs) {
      const row = [...pair.inputIds];
      const lab = row.map(() => -100);
      row.forEach((id, i) => {
        if (id < 5 || rng.random() >= 0.15) return;
        lab[i] = id;
        const r = rng.random();
        row[i] = r < 0.8 ? 4 : r < 0.9 ? 5 + rng.int(vocab - 5) : id;
      });
      ids.push(row);
      labels.push(lab);
    }
    return {
      inputIds: padSequences(ids, 0), attentionMask: padSequences(ids.map((r) => r.map(() => 1)), 0), tokenTypeIds: padSequences(pairs.map((p) => p.tokenTypeIds), 0),
      labels: padSequences(labels, -100), nextSentenceLabel: tf.tensor1d(pairs.map((p) => p.nextSentenceLabel), 'int32'),
    };
  };
}

function clmCollator(tokenizer: Tokenizer) {
  return (texts: { text: string }[]): Batch => {
    const ids = texts.map(({ text }) => [...tokenizer.encode(text, { truncation: true, maxLength: MAX_LEN }).ids]);
    return { inputIds: padSequences(ids, 0), attentionMask: padSequences(ids.map((r) => r.map(() => 1)), 0), labels: padSequences(ids, -100) };
  };
}

const progress = (): TrainerCallback[] => [new ProgressCallback({ isTTY: false, every: 50 })];

async function main() {
  await tf.setBackend('wasm');
  await tf.ready();
  await loadGradients();
  const started = Date.now();
  const { train, evalSet, unlabelled, passages } = buildData();
  const tokenizer = await Tokenizer.train({ model: 'wordpiece', vocabSize: 2000 }, unlabelled);
  const vocab = tokenizer.vocabSize;
  const textDs = Dataset.fromArray(unlabelled.map((text) => ({ text })));
  const dir = await fs.mkdtemp('/tmp/tfkit-evidence-');
  const results: Record<string, unknown> = { pretrainEpochs: PRETRAIN_EPOCHS, bertPretraining: BERT_NSP ? 'masked LM + next sentence prediction' : 'masked LM', fullFinetune: { lr: 1e-3, epochs: quick ? 1 : 3 }, task: 'author attribution (Austen / Chesterton / Melville), 3 balanced classes', train: train.length, eval: evalSet.length, majorityBaseline: 1 / 3, backend: tf.getBackend() };

  const collator = new DataCollatorWithPadding<Example>({ tokenizer, padTokenId: 0, maxLength: MAX_LEN }).collate;
  const metrics = classificationMetrics();
  const finetune = async (name: string, model: { dispose(): void } & object, lr: number, epochs: number, wrap?: (m: never) => object) => {
    const t0 = Date.now();
    const target = (wrap ? wrap(model as never) : model) as never;
    const trainer = new Trainer<Example>({ model: target, trainDataset: train, evalDataset: evalSet, collator, batchSize: 32, epochs, learningRate: lr, weightDecay: 0.01, warmupRatio: 0.06, logEvery: 50, metrics, callbacks: progress(), seed: 3 });
    await trainer.train();
    const m = await trainer.evaluate();
    results[name] = { accuracy: m['eval_accuracy'], f1: m['eval_f1'], trainableParameters: (target as { parameterCount(o: object): number }).parameterCount({ trainableOnly: true }), seconds: (Date.now() - t0) / 1000 };
    console.log(name, results[name]);
    trainer.optimizer.dispose();
    model.dispose();
  };
  const labels = { id2label: { 0: 'austen', 1: 'chesterton', 2: 'melville' }, label2id: { austen: 0, chesterton: 1, melville: 2 } };
  const epochs = quick ? 1 : 3;
  if (part !== 'gpt') {
  // 1. Pretrain a small BERT with masked language modelling on the unlabelled sentences.
  const small = { vocabSize: vocab, hiddenSize: 64, numHiddenLayers: 2, numAttentionHeads: 4, intermediateSize: 128, maxPositionEmbeddings: 64 };
  // With NSP (BERT's own recipe) the [CLS] state and the pooler are pretrained too; random
  // "next" sentences come from other passages (of the same book or another).
  const cls = tokenizer.encode('a', {}).ids;
  const pairs = buildNspPairs(passages, { maxLength: 48, clsTokenId: cls[0] as number, sepTokenId: cls[cls.length - 1] as number, tokenize: (x) => [...tokenizer.encode(x, {}).ids].slice(1, -1), seed: 7 });
  const mlm = BERT_NSP ? new BertForPreTraining(small, { seed: 1 } as never) : new BertForMaskedLM(small, { seed: 1 } as never);
  const pre = new Trainer<never>({ model: mlm, trainDataset: BERT_NSP ? Dataset.fromArray(pairs as never[]) : textDs as never, collator: (BERT_NSP ? nspCollator(vocab, 1) : mlmCollator(tokenizer, vocab, 1)) as never, batchSize: 32, epochs: PRETRAIN_EPOCHS, learningRate: 1e-3, weightDecay: 0.01, warmupRatio: 0.06, logEvery: 50, callbacks: progress() });
  const preResult = await pre.train();
  results['bertPretrainLoss'] = preResult.trainingLoss;
  await mlm.savePretrained(`${dir}/bert`);
  pre.optimizer.dispose();
  mlm.dispose();

  await finetune('bertFull', await BertForSequenceClassification.fromPretrained(`${dir}/bert`, { configOverrides: labels, strict: false } as never), 1e-3, epochs);
  results['bertLoraConfig'] = LORA;
  await finetune('bertLora', await BertForSequenceClassification.fromPretrained(`${dir}/bert`, { configOverrides: labels, strict: false } as never), LORA.lr, LORA.epochs, (m: never) => {
    // The pooler is not trained by MLM pretraining (HF's pooler is trained by NSP), so it trains with the head.
    LoraModel.apply(m, { r: LORA.r, loraAlpha: LORA.alpha, targetModules: LORA.targets, modulesToSave: LORA.modulesToSave });
    return m;
  });

  }
  if (part !== 'bert') {
  // 2. Prefix tuning needs a model that takes past keys/values: a small GPT-2, pretrained the same way (causal LM).
  const gptSmall = { vocabSize: vocab, nEmbd: 64, nLayer: 2, nHead: 4, nPositions: 64 + 16, padTokenId: 0 };
  const lm = new GPT2LMHeadModel(gptSmall, { seed: 1 } as never);
  const preGpt = new Trainer({ model: lm, trainDataset: textDs, collator: clmCollator(tokenizer), batchSize: 32, epochs: PRETRAIN_EPOCHS, learningRate: 1e-3, weightDecay: 0.01, warmupRatio: 0.06, logEvery: 50, callbacks: progress() });
  results['gptPretrainLoss'] = (await preGpt.train()).trainingLoss;
  await lm.savePretrained(`${dir}/gpt`);
  preGpt.optimizer.dispose();
  lm.dispose();
  const gptLabels = { ...labels, pad_token_id: 0 };
  await finetune('gptFull', await GPT2ForSequenceClassification.fromPretrained(`${dir}/gpt`, { configOverrides: gptLabels, strict: false } as never), 1e-3, epochs);
  results['gptPrefixConfig'] = PREFIX;
  await finetune('gptPrefix', await GPT2ForSequenceClassification.fromPretrained(`${dir}/gpt`, { configOverrides: gptLabels, strict: false } as never), PREFIX.lr, PREFIX.epochs, (m: never) =>
    new PrefixTuningModel(m, { numVirtualTokens: PREFIX.numVirtualTokens, numLayers: 2, numAttentionHeads: 4, tokenDim: 64, prefixProjection: PREFIX.prefixProjection, encoderHiddenSize: PREFIX.encoderHiddenSize, modulesToSave: PREFIX.modulesToSave }));
  }
  results[`${part}Seconds`] = (Date.now() - started) / 1000;
  const file = new URL(quick ? './results-quick.json' : './results.json', import.meta.url);
  const previous = await fs.readFile(file, 'utf8').then((t) => JSON.parse(t) as Record<string, unknown>, () => ({}));
  await fs.writeFile(file, `${JSON.stringify({ ...previous, ...results }, null, 2)}\n`);
  console.log(JSON.stringify(results, null, 2));
  await fs.rm(dir, { recursive: true, force: true });
}

it('fine-tunes BERT and GPT-2 with full FT, LoRA and prefix tuning', main);
