/**
 * Benchmark (not a test): what a language model's loss costs. GPT-2-tiny (train-step.run.ts's
 * shapes: 2 layers, width 128, vocab 50,257, batch 4 × 128) in eval mode on wasm with one thread:
 * the forward without labels, with labels (the loss over 512 × 50,257 logits), and forward +
 * backward of the loss, each the best of 3 after a warm-up; then tf.profile's kernel times of the
 * labelled forward. `BENCH_WITHOUT=<kernel>` unregisters one of tfkit's kernels first (e.g.
 * `TfkitSoftmaxCrossEntropy`: the composite loss).
 *
 *   npx vitest run --config evidence/vitest.config.ts bench/lm-loss-breakdown.run.ts   (in packages/finetune)
 */
import * as tf from '@tensorflow/tfjs-core';
import { registerAllBackends, useBackend } from '@tfkit/backends';
import { createRegistry } from '@tfkit/core-tensor';
import { GPT2LMHeadModel } from '@tfkit/models-gpt';
import { it } from 'vitest';

const without = process.env['BENCH_WITHOUT'];

it('language-model loss breakdown (GPT-2-tiny, wasm 1 thread)', async () => {
  const registry = createRegistry();
  registerAllBackends(registry);
  await useBackend(registry, 'wasm', { threads: 1 });
  if (without) tf.unregisterKernel(without, 'wasm');
  const model = new GPT2LMHeadModel({ vocabSize: 50257, nEmbd: 128, nLayer: 2, nHead: 2, nPositions: 256 }, { seed: 0 } as never);
  model.eval();
  const ids = tf.tensor2d(Int32Array.from({ length: 4 * 128 }, (_, i) => 5 + ((i * 7919) % 50000)), [4, 128], 'int32');
  const forward = (labels: boolean) => tf.tidy(() => {
    const out = model.forward(labels ? { inputIds: ids, labels: ids } : { inputIds: ids }) as { logits: tf.Tensor; loss?: tf.Tensor };
    return labels ? out.loss! : out.logits;
  });
  const params = model.namedParameters().map(([, p]) => p.variable);
  const backward = () => {
    const { value, grads } = tf.variableGrads(() => forward(true) as tf.Scalar, params);
    tf.dispose(Object.values(grads));
    return value;
  };
  const best = async (fn: () => tf.Tensor) => {
    let min = Infinity;
    for (let i = 0; i <= 3; i++) {
      const t0 = performance.now();
      const out = fn();
      await out.data();
      out.dispose();
      if (i > 0) min = Math.min(min, performance.now() - t0);
    }
    return min;
  };
  const plain = await best(() => forward(false));
  const labelled = await best(() => forward(true));
  const both = await best(backward);
  console.log(`${without ? `without ${without}: ` : ''}forward ${plain.toFixed(0)} ms, with the loss ${labelled.toFixed(0)} ms (the loss ≈ ${(labelled - plain).toFixed(0)} ms), forward + backward ${both.toFixed(0)} ms`);
  const info = await tf.profile(() => forward(true));
  tf.dispose(info.result as tf.Tensor);
  const byKernel = new Map<string, { ms: number; n: number }>();
  for (const k of info.kernels) {
    const e = byKernel.get(k.name) ?? { ms: 0, n: 0 };
    e.ms += k.kernelTimeMs as number;
    e.n++;
    byKernel.set(k.name, e);
  }
  console.log([...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 10).map(([k, e]) => `${k}: ${e.ms.toFixed(0)} ms (${e.n})`).join('\n'));
  ids.dispose();
  model.dispose();
}, 600_000);
