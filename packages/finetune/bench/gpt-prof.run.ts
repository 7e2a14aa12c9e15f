import * as tf from '@tensorflow/tfjs-core';
import { useBackend, registerAllBackends } from '@tfkit/backends';
import { createRegistry } from '@tfkit/core-tensor';
import { GPT2LMHeadModel } from '@tfkit/models-gpt';
import { it } from 'vitest';
import { SHAPES } from './train-step.run.js';

it('gpt2-tiny forward profile', async () => {
  const registry = createRegistry();
  registerAllBackends(registry);
  await useBackend(registry, 'wasm', { threads: 1 });
  const { batch: gb, seq: gs, ...gptConfig } = SHAPES.gpt2Tiny;
  const gpt = new GPT2LMHeadModel(gptConfig, { seed: 0 } as never);
  gpt.eval();
  const x = tf.tensor2d(Int32Array.from({ length: gb * gs }, (_, i) => (i * 7919) % 50000), [gb, gs], 'int32');
  for (const withLabels of [false, true]) {
    const run = () => tf.tidy(() => (gpt.forward(withLabels ? { inputIds: x, labels: x } : { inputIds: x }) as { logits: tf.Tensor }).logits);
    tf.dispose(run());
    const t0 = performance.now();
    const out = run(); await out.data(); out.dispose();
    console.log(`labels ${withLabels}: ${(performance.now() - t0).toFixed(1)} ms`);
    const info = await tf.profile(() => run());
    tf.dispose(info.result as tf.Tensor);
    const by = new Map<string, { ms: number; n: number }>();
    for (const k of info.kernels) { const e = by.get(k.name) ?? { ms: 0, n: 0 }; e.ms += k.kernelTimeMs as number; e.n++; by.set(k.name, e); }
    console.log([...by].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12).map(([k, e]) => `${k}: ${e.ms.toFixed(0)} ms (${e.n})`).join('\n'));
  }
}, 600_000);
