/**
 * The BERT-base fine-tuning run that bert-base-memory.run.ts (Node) and the page of
 * bert-base-memory.browser.run.ts (Chromium) both measure: BertForSequenceClassification with
 * bert-base-uncased's config, random init from seed 0, 2 labels, trained by the Trainer with AdamW
 * (lr 2e-5, weight decay 0.01, fused or not) on seeded random batches — the same computation in
 * both, so their losses agree.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BertForSequenceClassification } from '@tfkit/models-bert';
import { randomIds } from './wasm-memory.js';
import { AdamW, Dataset, Trainer, groupParameters, type Batch } from '../src/index.js';

export const BERT_BASE = { vocabSize: 30522, hiddenSize: 768, numHiddenLayers: 12, numAttentionHeads: 12, intermediateSize: 3072, maxPositionEmbeddings: 512, typeVocabSize: 2 };

export interface BertBaseRunOptions {
  batch: number;
  seq: number;
  steps: number;
  /** `fused` (the in-place AdamW) or `unfused` (AdamW as tensor ops). */
  optimizer: string;
  /** Called after every optimizer step with the Trainer's global step, the step's seconds and loss. */
  onStepEnd: (step: number, info: { seconds: number; loss: number }) => void;
}

/** The model (built on the active backend) and its Trainer; `train()` runs `steps` steps. */
export function bertBaseRun(o: BertBaseRunOptions) {
  const model = new BertForSequenceClassification({ ...BERT_BASE, numLabels: 2 }, { seed: 0 });
  const paramBytes = model.parameters().reduce((n, p) => n + p.value.size * 4, 0);
  let seed = 1;
  const trainer = new Trainer({
    model,
    trainDataset: Dataset.fromArray(Array.from({ length: o.steps * o.batch }, (_, i) => ({ i }))),
    collator: (): Batch => ({
      inputIds: randomIds(o.batch, o.seq, BERT_BASE.vocabSize, seed++),
      attentionMask: tf.ones([o.batch, o.seq], 'int32'),
      labels: tf.tensor1d(Array.from({ length: o.batch }, (_, i) => i % 2), 'int32'),
    }),
    batchSize: o.batch,
    maxSteps: o.steps,
    // An AdamW the Trainer may fuse (the default) or one it may not.
    optimizer: (m) => new AdamW(groupParameters(m, { lr: 2e-5, weightDecay: 0.01 }), { lr: 2e-5, fused: o.optimizer !== 'unfused' }),
    callbacks: [{ onStepEnd: (s, info) => o.onStepEnd(s.globalStep, info) }],
  });
  return { model, trainer, paramBytes };
}
