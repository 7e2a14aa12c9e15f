/**
 * The author-attribution task and the pretrained bases shared by the evidence scripts
 * (text-classification.run.ts for the README numbers, select.run.ts for choosing settings on a
 * validation split of the training sentences).
 *
 * Task: sentences (8–40 words) from public-domain books in tfkit's corpus (NLTK's Gutenberg
 * selection), labelled Austen (Emma, Persuasion, Sense and Sensibility), Chesterton (three novels)
 * or Melville (Moby Dick); balanced classes, so the majority baseline is 1/3.
 *
 * Bases: no pretrained weights exist offline, so a small BERT (masked LM + next sentence
 * prediction) and a small GPT-2 (causal LM) are pretrained here on the unlabelled sentences of the
 * same books — every sentence except the evaluation ones — and cached in `$TFKIT_EVIDENCE_CACHE`
 * (default /tmp/tfkit-evidence-bases) so that several fine-tuning runs share one base.
 */
import fs from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@tfkit/core-tensor';
import { loadBooks } from '@tfkit/corpus';
import { BertForPreTraining, BertForSequenceClassification, buildNspPairs, type NspExample } from '@tfkit/models-bert';
import { GPT2ForSequenceClassification, GPT2LMHeadModel } from '@tfkit/models-gpt';
import type { Module } from '@tfkit/layers';
import { Tokenizer } from '@tfkit/tokenizers';
import {
  classificationMetrics, DataCollatorWithPadding, Dataset, LoraModel, padSequences, PrefixTuningModel, ProgressCallback, Trainer,
  type Batch, type TrainerCallback,
} from '../src/index.js';

export const AUTHORS: Record<string, string[]> = {
  austen: ['austen-emma', 'austen-persuasion', 'austen-sense'],
  chesterton: ['chesterton-ball', 'chesterton-brown', 'chesterton-thursday'],
  melville: ['melville-moby_dick'],
};
export const LABELS = Object.keys(AUTHORS);
export const TRAIN_PER_CLASS = 400;
export const EVAL_PER_CLASS = 200;
/** Held out of the training sentences for choosing settings (select.run.ts). */
export const VAL_PER_CLASS = 70;
/** Classification inputs are truncated to this many tokens. */
export const MAX_LEN = 32;
/** Pretraining sequences (sentence pairs) are up to this long, so positions past MAX_LEN (where a prefix shifts GPT-2's input) are trained too. */
export const PRETRAIN_LEN = 64;
export const VOCAB_SIZE = 2000;

export interface Example { text: string; label: number; [k: string]: unknown }

export function sentences(text: string): string[] {
  return text
    .replace(/\s+/g, ' ')
    .split(/(?<=[.!?])\s+(?=[A-Z"'])/)
    .map((s) => s.trim())
    .filter((s) => !s.startsWith('[') && s.split(' ').length >= 8 && s.split(' ').length <= 40);
}

export interface TaskData {
  train: Example[];
  /** Held-out evaluation sentences (never used for pretraining or selection). */
  evalSet: Example[];
  /** Every sentence of the three authors except the evaluation ones, in book order, in passages of 10. */
  passages: string[][];
}

export function buildData(): TaskData {
  const rng = new Random(2024);
  const books = new Map(loadBooks().map((b) => [b.id, b.text]));
  const train: Example[] = [];
  const evalSet: Example[] = [];
  const passages: string[][] = [];
  LABELS.forEach((author, label) => {
    const inOrder = (AUTHORS[author] as string[]).flatMap((id) => sentences(books.get(id) as string));
    const all = rng.shuffle([...inOrder]);
    evalSet.push(...all.slice(0, EVAL_PER_CLASS).map((text) => ({ text, label })));
    train.push(...all.slice(EVAL_PER_CLASS, EVAL_PER_CLASS + TRAIN_PER_CLASS).map((text) => ({ text, label })));
    const held = new Set(all.slice(0, EVAL_PER_CLASS));
    const kept = inOrder.filter((x) => !held.has(x));
    for (let i = 0; i < kept.length; i += 10) passages.push(kept.slice(i, i + 10));
  });
  return { train: rng.shuffle(train), evalSet, passages };
}

/** Splits the training sentences into train / validation for selecting settings. */
export function validationSplit(train: Example[]): { train: Example[]; val: Example[] } {
  const val: Example[] = [];
  const rest: Example[] = [];
  const seen = LABELS.map(() => 0);
  for (const ex of train) {
    if ((seen[ex.label] as number) < VAL_PER_CLASS) {
      seen[ex.label] = (seen[ex.label] as number) + 1;
      val.push(ex);
    } else rest.push(ex);
  }
  return { train: rest, val };
}

export async function trainTokenizer(data: TaskData): Promise<Tokenizer> {
  return Tokenizer.train({ model: 'wordpiece', vocabSize: VOCAB_SIZE }, data.passages.flat());
}

export interface BaseConfig {
  hiddenSize: number;
  layers: number;
  heads: number;
  epochs: number;
}

export const BASE: BaseConfig = {
  hiddenSize: Number(process.env['BASE_HIDDEN'] ?? 64),
  layers: Number(process.env['BASE_LAYERS'] ?? 2),
  heads: 4,
  epochs: Number(process.env['PRETRAIN_EPOCHS'] ?? 3),
};

const progress = (every = 100): TrainerCallback[] => [new ProgressCallback({ isTTY: false, every })];

/** BERT's masking of a row in place: 15% of the non-special tokens; of those 80% [MASK], 10% random, 10% unchanged. */
function maskRow(row: number[], rng: Random, vocab: number): number[] {
  const labels = row.map(() => -100);
  row.forEach((id, i) => {
    if (id < 5 || rng.random() >= 0.15) return;
    labels[i] = id;
    const r = rng.random();
    row[i] = r < 0.8 ? 4 : r < 0.9 ? 5 + rng.int(vocab - 5) : id;
  });
  return labels;
}

function nspCollator(vocab: number, seed: number) {
  const rng = new Random(seed);
  return (pairs: NspExample[]): Batch => {
    const ids = pairs.map((p) => [...p.inputIds]);
    const labels = ids.map((row) => maskRow(row, rng, vocab));
    return {
      inputIds: padSequences(ids, 0), attentionMask: padSequences(ids.map((r) => r.map(() => 1)), 0), tokenTypeIds: padSequences(pairs.map((p) => p.tokenTypeIds), 0),
      labels: padSequences(labels, -100), nextSentenceLabel: tf.tensor1d(pairs.map((p) => p.nextSentenceLabel), 'int32'),
    };
  };
}

function clmCollator(rows: { ids: number[] }[]): Batch {
  const ids = rows.map((r) => r.ids);
  return { inputIds: padSequences(ids, 0), attentionMask: padSequences(ids.map((r) => r.map(() => 1)), 0), labels: padSequences(ids, -100) };
}

const exists = (p: string) => fs.stat(p).then(() => true, () => false);
const cacheRoot = () => process.env['TFKIT_EVIDENCE_CACHE'] ?? '/tmp/tfkit-evidence-bases';
const baseKey = (family: string, c: BaseConfig) => `${family}-h${c.hiddenSize}-l${c.layers}-e${c.epochs}-v2`;

export interface PretrainedBase {
  dir: string;
  loss: number | null;
  steps: number | null;
}

/**
 * The base `family` from the cache, or pretrained now on `examples` (same optimiser and schedule
 * for both families: batch 32, AdamW lr 1e-3, weight decay 0.01, 6% warmup) and cached.
 */
async function cachedPretraining<T extends object>(
  family: string, c: BaseConfig, make: () => { model: Module & { savePretrained(dir: string): Promise<void> }; examples: T[]; collator: (batch: T[]) => Batch },
): Promise<PretrainedBase> {
  const dir = `${cacheRoot()}/${baseKey(family, c)}`;
  if (await exists(`${dir}/config.json`)) return { dir, ...(JSON.parse(await fs.readFile(`${dir}/pretraining.json`, 'utf8')) as { loss: number; steps: number }) };
  const { model, examples, collator } = make();
  const trainer = new Trainer<T>({ model, trainDataset: Dataset.fromArray(examples), collator, batchSize: 32, epochs: c.epochs, learningRate: 1e-3, weightDecay: 0.01, warmupRatio: 0.06, logEvery: 100, callbacks: progress() });
  const result = await trainer.train();
  await model.savePretrained(dir);
  const info = { loss: result.trainingLoss, steps: result.globalStep };
  await fs.writeFile(`${dir}/pretraining.json`, JSON.stringify(info));
  trainer.optimizer.dispose();
  model.dispose();
  return { dir, ...info };
}

/**
 * A BERT pretrained with masked LM + next sentence prediction on sentence pairs from the passages
 * (BERT's own recipe: NSP is what trains [CLS] and the pooler, which the classifier reads).
 */
export function pretrainedBert(data: TaskData, tokenizer: Tokenizer, c: BaseConfig = BASE): Promise<PretrainedBase> {
  return cachedPretraining('bert', c, () => {
    const cls = tokenizer.encode('a', {}).ids;
    const pairs = buildNspPairs(data.passages, {
      maxLength: PRETRAIN_LEN, clsTokenId: cls[0] as number, sepTokenId: cls[cls.length - 1] as number,
      tokenize: (x) => [...tokenizer.encode(x, {}).ids].slice(1, -1), seed: 7,
    });
    const model = new BertForPreTraining(
      { vocabSize: tokenizer.vocabSize, hiddenSize: c.hiddenSize, numHiddenLayers: c.layers, numAttentionHeads: c.heads, intermediateSize: 2 * c.hiddenSize, maxPositionEmbeddings: PRETRAIN_LEN + 16 },
      { seed: 1 } as never,
    );
    return { model, examples: pairs, collator: nspCollator(tokenizer.vocabSize, 1) };
  });
}

/** A GPT-2 of the same size pretrained by causal LM on `[CLS] a [SEP] b [SEP]` pairs of consecutive sentences. */
export function pretrainedGpt(data: TaskData, tokenizer: Tokenizer, c: BaseConfig = BASE): Promise<PretrainedBase> {
  return cachedPretraining('gpt', c, () => {
    const rows: { ids: number[] }[] = [];
    for (const passage of data.passages) {
      for (let i = 0; i + 1 < passage.length; i += 2) {
        const a = tokenizer.encode(passage[i] as string, {}).ids;
        const b = tokenizer.encode(passage[i + 1] as string, {}).ids;
        rows.push({ ids: [...a, ...b.slice(1)].slice(0, PRETRAIN_LEN) });
      }
    }
    const model = new GPT2LMHeadModel({ vocabSize: tokenizer.vocabSize, nEmbd: c.hiddenSize, nLayer: c.layers, nHead: c.heads, nPositions: PRETRAIN_LEN + 16, padTokenId: 0 }, { seed: 1 } as never);
    return { model, examples: new Random(3).shuffle(rows), collator: clmCollator };
  });
}

/** One fine-tuning method's settings. */
export interface MethodConfig {
  method: 'full' | 'lora' | 'prefix';
  lr: number;
  epochs: number;
  /** LoRA rank, alpha, targets and modules to save. */
  r?: number;
  alpha?: number;
  targets?: string[];
  modulesToSave?: string[];
  /** Prefix tuning: virtual tokens, projection and its hidden size. */
  numVirtualTokens?: number;
  prefixProjection?: boolean;
  encoderHiddenSize?: number;
}

export interface MethodResult {
  accuracy: number;
  f1: number;
  trainableParameters: number;
  trainingLoss: number;
  seconds: number;
}

const LABEL_CONFIG = { id2label: { 0: 'austen', 1: 'chesterton', 2: 'melville' }, label2id: { austen: 0, chesterton: 1, melville: 2 } };

/** Loads the base `family` from `dir`, applies `config`'s method, fine-tunes on `train` and evaluates on `evalSet`. */
export async function finetune(family: 'bert' | 'gpt', dir: string, tokenizer: Tokenizer, train: Example[], evalSet: Example[], config: MethodConfig, c: BaseConfig = BASE): Promise<MethodResult> {
  const t0 = Date.now();
  const base = family === 'bert'
    ? await BertForSequenceClassification.fromPretrained(dir, { configOverrides: LABEL_CONFIG, strict: false } as never)
    : await GPT2ForSequenceClassification.fromPretrained(dir, { configOverrides: { ...LABEL_CONFIG, pad_token_id: 0 }, strict: false } as never);
  const head = family === 'bert' ? ['classifier', 'pooler'] : ['score'];
  let model: object = base;
  if (config.method === 'lora') {
    LoraModel.apply(base, { r: config.r ?? 8, loraAlpha: config.alpha ?? 16, targetModules: config.targets ?? ['query', 'value'], modulesToSave: config.modulesToSave ?? head });
  } else if (config.method === 'prefix') {
    model = new PrefixTuningModel(base, {
      numVirtualTokens: config.numVirtualTokens ?? 8, numLayers: c.layers, numAttentionHeads: c.heads, tokenDim: c.hiddenSize,
      prefixProjection: config.prefixProjection ?? true, encoderHiddenSize: config.encoderHiddenSize ?? c.hiddenSize, modulesToSave: config.modulesToSave ?? head,
    });
  }
  const collator = new DataCollatorWithPadding<Example>({ tokenizer, padTokenId: 0, maxLength: MAX_LEN }).collate;
  const trainer = new Trainer<Example>({
    model: model as never, trainDataset: Dataset.fromArray(train), evalDataset: Dataset.fromArray(evalSet), collator, batchSize: 32, epochs: config.epochs,
    learningRate: config.lr, weightDecay: 0.01, warmupRatio: 0.06, logEvery: 1000, metrics: classificationMetrics(), seed: 3,
  });
  const r = await trainer.train();
  const m = await trainer.evaluate();
  const result = {
    accuracy: m['eval_accuracy'] as number, f1: m['eval_f1'] as number, trainableParameters: (model as { parameterCount(o: object): number }).parameterCount({ trainableOnly: true }),
    trainingLoss: r.trainingLoss, seconds: (Date.now() - t0) / 1000,
  };
  trainer.optimizer.dispose();
  base.dispose();
  return result;
}
