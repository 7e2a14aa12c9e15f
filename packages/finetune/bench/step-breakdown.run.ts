/**
 * Benchmark (not a test): where a BERT-mini training step's time goes on wasm (1 thread) —
 * forward in eval and train mode, forward + backward, gradient clipping, the AdamW update — plus
 * the kernels of forward + backward by total time (tf.profile), and one elementwise op over the
 * 7.8M-element word-embedding table as a memory-bandwidth yardstick.
 *
 *   npx vitest run --config evidence/vitest.config.ts bench/step-breakdown.run.ts
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend, registerAllBackends } from '@tfkit/backends';
import { createRegistry, loadGradients } from '@tfkit/core-tensor';
import { BertForSequenceClassification } from '@tfkit/models-bert';
import { it } from 'vitest';
import { AdamW, clipGradNorm, groupParameters } from '../src/index.js';
const SHAPES = { bertMini: { vocabSize: 30522, hiddenSize: 256, numHiddenLayers: 4, numAttentionHeads: 4, intermediateSize: 1024, maxPositionEmbeddings: 512, batch: 8, seq: 128 } };

it('training-step breakdown (BERT-mini, wasm 1 thread)', async () => {
  const registry = createRegistry();
  registerAllBackends(registry);
  await useBackend(registry, 'wasm', { threads: 1 });
  await loadGradients(); // tf.variableGrads below
  const { batch: bb, seq: bs, ...cfg } = SHAPES.bertMini;
  const model = new BertForSequenceClassification(cfg, { seed: 0 });
  const ids = tf.tensor2d(Int32Array.from({ length: bb * bs }, (_, i) => 5 + ((i * 7919) % 30000)), [bb, bs], 'int32');
  const batch = { inputIds: ids, attentionMask: tf.ones([bb, bs], 'int32'), labels: tf.tensor1d(Array.from({ length: bb }, (_, i) => i % 2), 'int32') };
  const opt = new AdamW(groupParameters(model, { lr: 1e-4, weightDecay: 0.01 }), { lr: 1e-4 });
  const time = async (label: string, f: () => Promise<void>) => {
    const xs: number[] = [];
    for (let i = 0; i < 5; i++) { const t0 = performance.now(); await f(); xs.push(performance.now() - t0); }
    xs.sort((a, b) => a - b);
    console.log(label, xs[2]?.toFixed(1), 'ms');
  };
  model.eval();
  await time('forward eval', async () => { const l = tf.tidy(() => (model.forward(batch) as { logits: tf.Tensor }).logits); await l.data(); l.dispose(); });
  model.train();
  await time('forward train', async () => { const l = tf.tidy(() => (model.forward(batch) as { logits: tf.Tensor }).logits); await l.data(); l.dispose(); });
  const vars = model.trainableVariables();
  const names = new Map(model.namedParameters().map(([n, p]) => [p.variable.name, n]));
  let grads = new Map<string, tf.Tensor>();
  await time('forward+backward', async () => {
    grads.forEach((t) => t.dispose());
    const { value, grads: g } = tf.variableGrads(() => (model.forward(batch) as { loss: tf.Scalar }).loss, vars);
    await value.data(); value.dispose();
    grads = new Map(Object.entries(g).map(([k, t]) => [names.get(k) ?? k, t]));
    await Promise.all([...grads.values()].map((t) => t.data()));
  });
  // The profiled pass replaces the timed passes' gradients, as a training step does: were they kept,
  // this pass would allocate beside them and the profile would time the heap's growth.
  grads.forEach((t) => t.dispose());
  const info = await tf.profile(async () => {
    const { value, grads: g } = tf.variableGrads(() => (model.forward(batch) as { loss: tf.Scalar }).loss, vars);
    await value.data(); value.dispose();
    await Promise.all(Object.values(g).map((t) => t.data()));
    grads = new Map(Object.entries(g).map(([k, t]) => [names.get(k) ?? k, t]));
  });
  const byKernel = new Map<string, { ms: number; n: number }>();
  for (const k of info.kernels) {
    const e = byKernel.get(k.name) ?? { ms: 0, n: 0 };
    e.ms += Number(k.kernelTimeMs) || 0;
    e.n++;
    byKernel.set(k.name, e);
  }
  console.log('kernels of forward + backward:\n' + [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 15).map(([k, e]) => `${k}: ${e.ms.toFixed(0)} ms (${e.n})`).join('\n'), 'ms');
  await time('clip', async () => { const { grads: c } = clipGradNorm(grads, 1.0); await Promise.all([...c.values()].map((t) => t.data())); if (c !== grads) c.forEach((t) => t.dispose()); });
  await time('adamw step', async () => { opt.step(grads); await model.parameters()[0]?.value.data(); });
  const emb = model.bert.embeddings.word_embeddings.weight.value;
  await time('one elementwise op over the word embeddings (7.8M floats)', async () => { const y = tf.mul(emb, 0.5); await y.data(); y.dispose(); });
}, 600_000);
