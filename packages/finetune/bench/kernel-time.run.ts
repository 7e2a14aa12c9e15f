/**
 * Benchmark (not a test): where a BERT-base-shaped training step's kernel time goes on wasm (1
 * thread), per kernel and, for the products, per shape — measured by wrapping each registered
 * kernel function with a clock (SHAPES=Multiply|Sum lists those per shape instead), not by tf.profile (which reads every output back to check it and
 * so inflates small kernels several-fold inside a step; bench/bert-base-memory.md). The model is
 * bert-base-uncased's config with LAYERS layers (default 2; 12 is the whole model), batch 8 × 128,
 * trained by the Trainer with the fused AdamW; steps 2 and 3 are measured. What runs outside
 * kernels (the optimizer, the Trainer, JavaScript between kernels) is the step time less the sum.
 *
 *   LAYERS=12 taskset -c 0 npx vitest run --config evidence/vitest.config.ts bench/kernel-time.run.ts
 */
import * as tf from '@tensorflow/tfjs-core';
import { registerAllBackends, useBackend } from '@tfkit/backends';
import { createRegistry, loadGradients } from '@tfkit/core-tensor';
import { BertForSequenceClassification } from '@tfkit/models-bert';
import { it } from 'vitest';
import { BERT_BASE } from './bert-base-setup.js';
import { randomIds } from './wasm-memory.js';
import { AdamW, Dataset, Trainer, groupParameters, type Batch } from '../src/index.js';

const LAYERS = Number(process.env['LAYERS'] ?? 2);
const [BATCH, SEQ, STEPS] = [8, 128, 3];
/** The kernels listed per input shape: the products unless SHAPES names others (a regular expression). */
const SHAPES = new RegExp(process.env['SHAPES'] ?? 'MatMul|Dense');

it(`kernel time of a BERT-base-shaped training step (${LAYERS} layers, wasm 1 thread)`, async () => {
  const registry = createRegistry();
  registerAllBackends(registry);
  await useBackend(registry, 'wasm', { threads: 1 });
  await loadGradients();
  const model = new BertForSequenceClassification({ ...BERT_BASE, numHiddenLayers: LAYERS, numLabels: 2 }, { seed: 0 });
  const totals = new Map<string, { ms: number; calls: number }>();
  let measuring = false;
  for (const kernel of tf.getKernelsForBackend(tf.getBackend())) {
    const run = kernel.kernelFunc;
    const product = SHAPES.test(kernel.kernelName);
    (kernel as { kernelFunc: typeof run }).kernelFunc = (args) => {
      if (!measuring) return run(args);
      const t0 = performance.now();
      const out = run(args);
      const ms = performance.now() - t0;
      const shapes = product ? ` ${Object.values(args.inputs).map((t) => (t as tf.TensorInfo).shape.join('×')).join(' · ')} ${JSON.stringify(args.attrs ?? {})}` : '';
      const key = kernel.kernelName + shapes;
      const e = totals.get(key) ?? { ms: 0, calls: 0 };
      e.ms += ms;
      e.calls++;
      totals.set(key, e);
      return out;
    };
  }
  let seed = 1;
  const seconds: number[] = [];
  const trainer = new Trainer({
    model,
    trainDataset: Dataset.fromArray(Array.from({ length: STEPS * BATCH }, (_, i) => ({ i }))),
    collator: (): Batch => {
      measuring = seed > 1; // the collator runs as its step begins: step 1 warms up
      return { inputIds: randomIds(BATCH, SEQ, BERT_BASE.vocabSize, seed++), attentionMask: tf.ones([BATCH, SEQ], 'int32'), labels: tf.tensor1d(Array.from({ length: BATCH }, (_, i) => i % 2), 'int32') };
    },
    batchSize: BATCH,
    maxSteps: STEPS,
    optimizer: (m) => new AdamW(groupParameters(m, { lr: 2e-5, weightDecay: 0.01 }), { lr: 2e-5 }),
    callbacks: [{ onStepEnd: (_s, info) => void seconds.push(info.seconds) }],
  });
  await trainer.train();
  const steps = STEPS - 1;
  const rows = [...totals].sort((a, b) => b[1].ms - a[1].ms);
  const sum = (pick: (name: string) => boolean) => rows.filter(([k]) => pick(k)).reduce((s, [, e]) => s + e.ms, 0) / steps;
  console.log(`steps ${seconds.map((s) => s.toFixed(2)).join(', ')} s; per measured step: kernels ${sum(() => true).toFixed(0)} ms, of which products ${sum((k) => /MatMul|Dense/.test(k)).toFixed(0)} ms`);
  for (const [key, e] of rows.slice(0, 40)) console.log(`${(e.ms / steps).toFixed(1).padStart(8)} ms ${String(e.calls / steps).padStart(5)} calls  ${key}`);
}, 3_600_000);
