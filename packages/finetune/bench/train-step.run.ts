/**
 * Benchmark (not a test): forward time and training-step time (forward + backward + AdamW) of a
 * BERT-mini-shaped classifier and a GPT-2-tiny-shaped language model in tfkit, on the backend
 * named by BENCH_BACKEND (`cpu`, `wasm-1`, `wasm-all`). `bench/run.sh` runs every backend and
 * PyTorch (train_step_torch.py) and prints the table in the README. `BENCH_WITHOUT=<kernel>`
 * unregisters one of tfkit's kernels first (the route before it), writing its own results file.
 */
import fs from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend, registerAllBackends } from '@tfkit/backends';
import { createRegistry } from '@tfkit/core-tensor';
import { BertForSequenceClassification } from '@tfkit/models-bert';
import { GPT2LMHeadModel } from '@tfkit/models-gpt';
import { it } from 'vitest';
import { Trainer, Dataset, type Batch } from '../src/index.js';

const mode = process.env['BENCH_BACKEND'] ?? 'wasm-1';
const STEPS = Number(process.env['BENCH_STEPS'] ?? 5);
/** A tfkit kernel to unregister after the backend starts (e.g. `TfkitBatchMatMul`): the tree without it, same process setup. */
const without = process.env['BENCH_WITHOUT'];

export const SHAPES = {
  bertMini: { vocabSize: 30522, hiddenSize: 256, numHiddenLayers: 4, numAttentionHeads: 4, intermediateSize: 1024, maxPositionEmbeddings: 512, batch: 8, seq: 128 },
  gpt2Tiny: { vocabSize: 50257, nEmbd: 128, nLayer: 2, nHead: 2, nPositions: 256, batch: 4, seq: 128 },
};

function ids(batch: number, seq: number, vocab: number, seed: number): tf.Tensor2D {
  let s = seed;
  const data = Int32Array.from({ length: batch * seq }, () => ((s = (s * 1103515245 + 12345) % 2147483648) % (vocab - 10)) + 5);
  return tf.tensor2d(data, [batch, seq], 'int32');
}

async function measure(name: string, model: { forward(b: Batch): unknown; dispose(): void } & object, makeBatch: () => Batch): Promise<Record<string, number>> {
  const m = model as never;
  // Forward (eval mode, no gradients): median of STEPS runs after one warm-up.
  (model as unknown as { eval(): void }).eval();
  const fwd: number[] = [];
  for (let i = 0; i <= STEPS; i++) {
    const b = makeBatch();
    const t0 = performance.now();
    const out = tf.tidy(() => (model.forward(b) as { logits: tf.Tensor }).logits);
    await out.data();
    if (i > 0) fwd.push(performance.now() - t0);
    out.dispose();
    Object.values(b).forEach((t) => t.dispose());
  }
  // Training step through the Trainer (train mode: dropout on, AdamW, clipping).
  const steps: number[] = [];
  const data = Dataset.fromArray(Array.from({ length: STEPS + 1 }, (_, i) => ({ i })));
  const trainer = new Trainer({
    model: m, trainDataset: data, collator: () => makeBatch(), batchSize: 1, maxSteps: STEPS + 1, learningRate: 1e-4, logEvery: 1000,
    callbacks: [{ onStepEnd: (s, info) => { if (s.globalStep > 1) steps.push(info.seconds * 1000); } }],
  });
  await trainer.train();
  trainer.optimizer.dispose();
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const r = { forwardMs: median(fwd), trainStepMs: median(steps) };
  console.log(`${name} [${mode}] forward ${r.forwardMs.toFixed(1)} ms, train step ${r.trainStepMs.toFixed(1)} ms, ratio ${(r.trainStepMs / r.forwardMs).toFixed(2)}`);
  return r;
}

it(`training-step benchmark on ${mode}`, async () => {
  const registry = createRegistry();
  registerAllBackends(registry);
  const activation = await useBackend(registry, mode === 'cpu' ? 'cpu' : 'wasm', mode === 'cpu' ? {} : { threads: mode === 'wasm-all' ? 'all' : 1 });
  if (without) tf.unregisterKernel(without, tf.getBackend());
  const { batch: bb, seq: bs, ...bertConfig } = SHAPES.bertMini;
  const bert = new BertForSequenceClassification(bertConfig, { seed: 0 });
  const bertResult = await measure('bert-mini', bert as never, () => ({ inputIds: ids(bb, bs, bertConfig.vocabSize, 1), attentionMask: tf.ones([bb, bs], 'int32'), labels: tf.tensor1d(Array.from({ length: bb }, (_, i) => i % 2), 'int32') }));
  bert.dispose();
  const { batch: gb, seq: gs, ...gptConfig } = SHAPES.gpt2Tiny;
  const gpt = new GPT2LMHeadModel(gptConfig, { seed: 0 } as never);
  const gptResult = await measure('gpt2-tiny', gpt as never, () => {
    const x = ids(gb, gs, gptConfig.vocabSize, 2);
    return { inputIds: x, labels: tf.clone(x) };
  });
  gpt.dispose();
  const file = new URL(`./results-${mode}${without ? `-without-${without}` : ''}.json`, import.meta.url);
  await fs.writeFile(file, `${JSON.stringify({ mode, backend: activation.backend, threads: activation.threads, without, bertMini: bertResult, gpt2Tiny: gptResult }, null, 2)}\n`);
}, 1_800_000);
