/**
 * Hyperparameter selection for the LoRA / prefix-tuning rows of the evidence, on a validation
 * split carved from the TRAINING sentences (70 per class; the evaluation sentences are never
 * looked at here). Pretrained bases are cached in /tmp/tfkit-tune-<model>-<epochs>.
 *   [MODEL=gpt] [NSP=1] PRETRAIN_EPOCHS=6 \
 *   CONFIGS='[{"full":true,"lr":1e-3,"epochs":3},{"lr":5e-3,"r":8,"alpha":16,"targets":"query,key,value,dense","epochs":5}]' \
 *     npx vitest run --config evidence/vitest.config.ts evidence/lora-tune.run.ts
 * GPT configs: `p` (virtual tokens), `proj` (prefix projection). Prints one RESULT line per config.
 */
import fs from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { it } from 'vitest';
import { loadGradients, Random } from '@tfkit/core-tensor';
import { loadBooks } from '@tfkit/corpus';
import { BertForMaskedLM, BertForPreTraining, BertForSequenceClassification, buildNspPairs } from '@tfkit/models-bert';
import { GPT2ForSequenceClassification, GPT2LMHeadModel } from '@tfkit/models-gpt';
import { Tokenizer } from '@tfkit/tokenizers';
import { classificationMetrics, DataCollatorWithPadding, Dataset, LoraModel, padSequences, PrefixTuningModel, Trainer, type Batch } from '../src/index.js';

const AUTHORS: Record<string, string[]> = {
  austen: ['austen-emma', 'austen-persuasion', 'austen-sense'],
  chesterton: ['chesterton-ball', 'chesterton-brown', 'chesterton-thursday'],
  melville: ['melville-moby_dick'],
};
const LABELS = Object.keys(AUTHORS);
const MAX_LEN = 32;
interface Example { text: string; label: number; [k: string]: unknown }
function sentences(text: string): string[] {
  return text.replace(/\s+/g, ' ').split(/(?<=[.!?])\s+(?=[A-Z"'])/).map((s) => s.trim())
    .filter((s) => !s.startsWith('[') && s.split(' ').length >= 8 && s.split(' ').length <= 40);
}

async function main() {
  await tf.setBackend('wasm');
  await tf.ready();
  await loadGradients();
  const rng = new Random(2024);
  const books = new Map(loadBooks().map((b) => [b.id, b.text]));
  const train: Example[] = [];
  const val: Example[] = [];
  const unlabelled: string[] = [];
  const ordered: string[][] = [];
  LABELS.forEach((author, label) => {
    const inOrder = (AUTHORS[author] as string[]).flatMap((id) => sentences(books.get(id) as string));
    const all = rng.shuffle([...inOrder]);
    const pre = new Set(all.slice(200, 1400));
    const kept = inOrder.filter((x) => pre.has(x));
    for (let i = 0; i < kept.length; i += 10) ordered.push(kept.slice(i, i + 10));
    // Same split as the evidence script: all[0:200] is the evaluation set (unused here).
    const tr = all.slice(200, 600);
    val.push(...tr.slice(0, 70).map((text) => ({ text, label })));
    train.push(...tr.slice(70).map((text) => ({ text, label })));
    unlabelled.push(...all.slice(200, 1400));
  });
  const tokenizer = await Tokenizer.train({ model: 'wordpiece', vocabSize: 2000 }, rng.shuffle(unlabelled));
  const vocab = tokenizer.vocabSize;
  const gpt = process.env['MODEL'] === 'gpt';
  const nsp = process.env['NSP'] === '1';
  const dir = `/tmp/tfkit-tune-${gpt ? 'gpt' : nsp ? 'bertnsp' : 'bert'}-${process.env['PRETRAIN_EPOCHS'] ?? 1}`;
  if (gpt && !(await fs.stat(`${dir}/config.json`).catch(() => null))) {
    const lm = new GPT2LMHeadModel({ vocabSize: vocab, nEmbd: 64, nLayer: 2, nHead: 4, nPositions: 64 + 16, padTokenId: 0 }, { seed: 1 } as never);
    const clm = (texts: { text: string }[]): Batch => {
      const ids = texts.map(({ text }) => [...tokenizer.encode(text, { truncation: true, maxLength: MAX_LEN }).ids]);
      return { inputIds: padSequences(ids, 0), attentionMask: padSequences(ids.map((r) => r.map(() => 1)), 0), labels: padSequences(ids, -100) };
    };
    const pre = new Trainer({ model: lm, trainDataset: Dataset.fromArray(unlabelled.map((text) => ({ text }))), collator: clm, batchSize: 32, epochs: Number(process.env['PRETRAIN_EPOCHS'] ?? 1), learningRate: 1e-3, weightDecay: 0.01, warmupRatio: 0.06, logEvery: 50 });
    console.log('pretrain loss', (await pre.train()).trainingLoss);
    await lm.savePretrained(dir);
    pre.optimizer.dispose();
    lm.dispose();
  }
  if (!gpt && !(await fs.stat(`${dir}/config.json`).catch(() => null))) {
    const mrng = new Random(1);
    const mlm = new (nsp ? BertForPreTraining : BertForMaskedLM)({ vocabSize: vocab, hiddenSize: 64, numHiddenLayers: 2, numAttentionHeads: 4, intermediateSize: 128, maxPositionEmbeddings: 64 }, { seed: 1 } as never);
    const collate = (texts: { text: string }[]): Batch => {
      const ids: number[][] = [];
      const labels: number[][] = [];
      for (const { text } of texts) {
        const row = [...tokenizer.encode(text, { truncation: true, maxLength: MAX_LEN }).ids];
        const lab = row.map(() => -100);
        row.forEach((id, i) => {
          if (id < 5 || mrng.random() >= 0.15) return;
          lab[i] = id;
          const r = mrng.random();
          row[i] = r < 0.8 ? 4 : r < 0.9 ? 5 + mrng.int(vocab - 5) : id;
        });
        ids.push(row);
        labels.push(lab);
      }
      return { inputIds: padSequences(ids, 0), attentionMask: padSequences(ids.map((r) => r.map(() => 1)), 0), labels: padSequences(labels, -100) };
    };
    const ids0 = tokenizer.encode('a b', {}).ids;
    const pairs = buildNspPairs(ordered, { maxLength: 48, clsTokenId: ids0[0] as number, sepTokenId: ids0[ids0.length - 1] as number, tokenize: (x) => [...tokenizer.encode(x, {}).ids].slice(1, -1), seed: 7 });
    const collateNsp = (ex: { inputIds: number[]; tokenTypeIds: number[]; nextSentenceLabel: number }[]): Batch => {
      const ids: number[][] = [];
      const labels: number[][] = [];
      for (const e of ex) {
        const row = [...e.inputIds];
        const lab = row.map(() => -100);
        row.forEach((id, i) => {
          if (id < 5 || mrng.random() >= 0.15) return;
          lab[i] = id;
          const r = mrng.random();
          row[i] = r < 0.8 ? 4 : r < 0.9 ? 5 + mrng.int(vocab - 5) : id;
        });
        ids.push(row);
        labels.push(lab);
      }
      return { inputIds: padSequences(ids, 0), attentionMask: padSequences(ids.map((r) => r.map(() => 1)), 0), tokenTypeIds: padSequences(ex.map((e) => e.tokenTypeIds), 0), labels: padSequences(labels, -100), nextSentenceLabel: tf.tensor1d(ex.map((e) => e.nextSentenceLabel), 'int32') };
    };
    const pre = nsp
      ? new Trainer({ model: mlm, trainDataset: Dataset.fromArray(pairs as never[]), collator: collateNsp as never, batchSize: 32, epochs: Number(process.env['PRETRAIN_EPOCHS'] ?? 1), learningRate: 1e-3, weightDecay: 0.01, warmupRatio: 0.06, logEvery: 50 })
      : new Trainer({ model: mlm, trainDataset: Dataset.fromArray(unlabelled.map((text) => ({ text }))), collator: collate, batchSize: 32, epochs: Number(process.env['PRETRAIN_EPOCHS'] ?? 1), learningRate: 1e-3, weightDecay: 0.01, warmupRatio: 0.06, logEvery: 50 });
    console.log('pretrain loss', (await pre.train()).trainingLoss);
    await mlm.savePretrained(dir);
    pre.optimizer.dispose();
    mlm.dispose();
  }
  const collator = new DataCollatorWithPadding<Example>({ tokenizer, padTokenId: 0, maxLength: MAX_LEN }).collate;
  const labels = { id2label: { 0: 'austen', 1: 'chesterton', 2: 'melville' }, label2id: { austen: 0, chesterton: 1, melville: 2 } };
  const configs = JSON.parse(process.env['CONFIGS'] ?? '[]') as { lr: number; r?: number; alpha?: number; targets?: string; epochs: number; full?: boolean; save?: string; p?: number; proj?: boolean }[];
  for (const c of configs) {
    const t0 = Date.now();
    let model = gpt
      ? await GPT2ForSequenceClassification.fromPretrained(dir, { configOverrides: { ...labels, pad_token_id: 0 }, strict: false } as never)
      : await BertForSequenceClassification.fromPretrained(dir, { configOverrides: labels, strict: false } as never);
    if (gpt && !c.full) model = new PrefixTuningModel(model, { numVirtualTokens: c.p ?? 16, numLayers: 2, numAttentionHeads: 4, tokenDim: 64, prefixProjection: c.proj ?? true, encoderHiddenSize: 64, modulesToSave: ['score'] }) as never;
    else if (!c.full) LoraModel.apply(model, { r: c.r ?? 8, loraAlpha: c.alpha ?? 16, targetModules: (c.targets ?? 'query,value').split(','), modulesToSave: (c.save ?? 'classifier,pooler').split(',') });
    const trainer = new Trainer<Example>({ model, trainDataset: Dataset.fromArray(new Random(5).shuffle(train)), evalDataset: Dataset.fromArray(val), collator, batchSize: 32, epochs: c.epochs, learningRate: c.lr, weightDecay: 0.01, warmupRatio: 0.06, logEvery: 1000, metrics: classificationMetrics(), seed: 3 });
    const r = await trainer.train();
    const m = await trainer.evaluate();
    console.log('RESULT', JSON.stringify(c), 'val_acc', m['eval_accuracy']?.toFixed(3), 'loss', r.trainingLoss.toFixed(3), 's', (Date.now() - t0) / 1000);
    trainer.optimizer.dispose();
    model.dispose();
  }
}
it('tunes', main);
