/**
 * Training a small causal language model from scratch on plain text, with tfkit's own pieces: a
 * byte-level BPE tokenizer trained by @tfkit/tokenizers, the model its family's registry entry
 * creates for the `causal` objective, AdamW with warmup + cosine decay and gradient clipping from
 * @tfkit/finetune. Deterministic for a seed (batches, init, dropout).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadGradients, parseSafetensors, Random, serializeSafetensors, toHalfBits, writeFileAtomic, type RawTensor } from '@tfkit/core-tensor';
import { AdamW, clipGradNorm, groupParameters, LrScheduler } from '@tfkit/finetune';
import type { Module } from '@tfkit/layers';
import type { Tokenizer } from '@tfkit/tokenizers';
import { CliError } from './command.js';

/** A causal LM as the loop drives it: forward with labels gives the next-token loss. */
export type CausalLm = Module & {
  forward(inputs: { inputIds: number[][]; labels: number[][] }): { loss?: tf.Tensor };
  savePretrained(dir: string, options?: { metadata?: Record<string, string> }): Promise<void>;
  resizeTokenEmbeddings?(size: number): void;
};

export interface LmTrainingOptions {
  context: number;
  batchSize: number;
  steps: number;
  lr: number;
  warmup: number;
  weightDecay: number;
  seed: number;
  /** Evaluate (and save) every this many steps. */
  evalEvery: number;
  /** Store weights as float16 (half the size) instead of float32. */
  float16: boolean;
  out: string;
  /** Stops training at the next step boundary (Ctrl-C); the model is saved as of that step. */
  signal?: AbortSignal;
}

export interface LmTrainingResult {
  /** Steps taken: `options.steps`, or fewer when `signal` stopped the run. */
  steps: number;
  interrupted: boolean;
  trainLoss: number;
  validLoss: number;
  seconds: number;
  tokensSeen: number;
}

/** Concatenated token ids of the documents, each followed by the end-of-text token. */
export function tokenizeDocuments(tokenizer: Tokenizer, documents: string[], eosId: number): Int32Array {
  const out: number[] = [];
  for (const doc of documents) {
    // Paragraph by paragraph keeps each encode call small; the blank lines are kept as text.
    for (const para of doc.split(/(?<=\n\n)/)) out.push(...tokenizer.encode(para).ids);
    out.push(eosId);
  }
  return Int32Array.from(out);
}

/** `count` windows of `length` ids at random offsets. */
function sampleBatch(ids: Int32Array, count: number, length: number, rng: Random): number[][] {
  return Array.from({ length: count }, () => {
    const start = rng.int(ids.length - length);
    return Array.from(ids.subarray(start, start + length));
  });
}

function meanLoss(model: CausalLm, batches: number[][][]): number {
  let sum = 0;
  for (const b of batches) {
    sum += tf.tidy(() => model.forward({ inputIds: b, labels: b }).loss?.dataSync()[0] as number);
  }
  return sum / batches.length;
}

/** Rewrites `dir/model.safetensors` with every F32 tensor stored as F16. */
export async function convertToFloat16(dir: string): Promise<void> {
  const file = path.join(dir, 'model.safetensors');
  const parsed = parseSafetensors(new Uint8Array(await fs.readFile(file)), file);
  const tensors = new Map<string, RawTensor>();
  for (const [name, t] of parsed.tensors) {
    if (t.dtype !== 'F32') {
      tensors.set(name, t);
      continue;
    }
    const src = t.data as Float32Array;
    const half = new Uint16Array(src.length);
    for (let i = 0; i < src.length; i++) half[i] = toHalfBits(src[i] as number);
    tensors.set(name, { dtype: 'F16', shape: t.shape, data: half });
  }
  await writeFileAtomic(file, serializeSafetensors(tensors, parsed.metadata));
}

/**
 * Trains `model` on `ids` (the last 5% held out for validation), saving the model and the tokenizer
 * to `out` at every evaluation and at the end (each file written atomically). `log` receives one
 * line per report. `limits` are the model's vocabulary size and positions. The model is disposed.
 * When `o.signal` fires, training stops at the next step boundary and the model is saved as of the
 * last completed step (nothing is written when no step was completed).
 */
export async function trainLanguageModel(
  tokenizer: Tokenizer,
  ids: Int32Array,
  o: LmTrainingOptions,
  log: (line: string) => void,
  model: CausalLm,
  limits: { vocabSize: number; maxPositions: number | undefined },
): Promise<LmTrainingResult> {
  await loadGradients(); // tf.variableGrads below needs tfjs's gradient definitions (useBackend loads none)
  const split = Math.floor(ids.length * 0.95);
  const train = ids.subarray(0, split);
  const valid = ids.subarray(split);
  const window = o.context;
  if (valid.length <= window || train.length <= window) {
    model.dispose();
    throw new CliError(`the corpus is too small: ${ids.length} tokens for a context of ${o.context} (5% is held out for validation); give more text or a smaller --context`);
  }
  const rng = new Random(o.seed);
  const validBatches = Array.from({ length: 4 }, () => sampleBatch(valid, o.batchSize, window, rng));
  model.train();
  if (limits.vocabSize < tokenizer.vocabSize) {
    if (!model.resizeTokenEmbeddings) {
      model.dispose();
      throw new CliError(`the tokenizer has ${tokenizer.vocabSize} tokens but the model only ${limits.vocabSize} embeddings, and it cannot grow them`);
    }
    model.resizeTokenEmbeddings(tokenizer.vocabSize);
  }
  if (limits.maxPositions !== undefined && limits.maxPositions < o.context) {
    model.dispose();
    throw new CliError(`--context ${o.context} exceeds the model's ${limits.maxPositions} positions`);
  }
  const optimizer = new AdamW(groupParameters(model, { lr: o.lr, weightDecay: o.weightDecay }), { lr: o.lr, betas: [0.9, 0.95] });
  const schedule = new LrScheduler(optimizer, 'cosine', { numTrainingSteps: o.steps, numWarmupSteps: o.warmup });
  const byVariable = new Map(model.namedParameters({ trainableOnly: true }).map(([n, p]) => [p.variable.name, n]));
  const started = performance.now();
  let ema = Number.NaN;
  let validLoss = Number.NaN;
  const save = async () => {
    model.eval();
    await tokenizer.savePretrained(o.out);
    await model.savePretrained(o.out, { metadata: { trained_by: 'tfkit train-lm' } });
    if (o.float16) await convertToFloat16(o.out);
    model.train();
  };
  let done = 0;
  let savedAt = 0;
  try {
    for (let step = 1; step <= o.steps; step++) {
      // Let a pending Ctrl-C land (the step itself is synchronous), then stop between steps.
      await new Promise((resolve) => setImmediate(resolve));
      if (o.signal?.aborted) break;
      const batch = sampleBatch(train, o.batchSize, window, rng);
      const { value, grads } = tf.variableGrads(() => model.forward({ inputIds: batch, labels: batch }).loss as tf.Scalar, model.trainableVariables());
      const named = new Map(Object.entries(grads).map(([v, g]) => [byVariable.get(v) as string, g]));
      const clipped = clipGradNorm(named, 1);
      optimizer.step(clipped.grads);
      schedule.step();
      const loss = (await value.data())[0] as number;
      tf.dispose([value, ...Object.values(grads), ...(clipped.grads === named ? [] : [...clipped.grads.values()])]);
      if (!Number.isFinite(loss)) throw new CliError(`the loss became ${loss} at step ${step}; lower --lr`);
      done = step;
      ema = Number.isNaN(ema) ? loss : 0.9 * ema + 0.1 * loss;
      const seconds = (performance.now() - started) / 1000;
      if (step % 10 === 0 || step === 1) {
        const tps = Math.round((step * o.batchSize * o.context) / seconds);
        log(`step ${step}/${o.steps}  loss ${ema.toFixed(3)}  lr ${(schedule.getLr()[0] as number).toExponential(2)}  ${tps} tok/s  ${seconds.toFixed(0)} s`);
      }
      if (step % o.evalEvery === 0 || step === o.steps) {
        model.eval();
        validLoss = meanLoss(model, validBatches);
        model.train();
        log(`step ${step}: validation loss ${validLoss.toFixed(3)} (perplexity ${Math.exp(validLoss).toFixed(1)}); saved to ${o.out}`);
        await save();
        savedAt = step;
      }
    }
    const interrupted = done < o.steps;
    if (interrupted && done > 0 && savedAt !== done) {
      log(`stopping: saving the model as of step ${done} to ${o.out}`);
      await save();
    }
    const result = { steps: done, interrupted, trainLoss: ema, validLoss, seconds: (performance.now() - started) / 1000, tokensSeen: done * o.batchSize * o.context };
    model.eval();
    return result;
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}
