import * as tf from '@tensorflow/tfjs-core';
import { createRegistry } from '@tfkit/core-tensor';
import { registerAllBackends, useBackend } from '@tfkit/backends';
import { GPT2LMHeadModel } from '@tfkit/models-gpt';
const registry = createRegistry(); registerAllBackends(registry);
const CONFIG = { vocabSize: 50257, nPositions: 1024, nEmbd: 768, nLayer: 12, nHead: 12 };
const configs = (process.env.CONFIGS ?? '1:tfkit,2:tfkit,2:xnnpack').split(',').map((c) => { const [t, p] = c.split(':'); return { threads: Number(t), products: p as 'tfkit' | 'xnnpack' }; });
const times: Record<string, number[]> = {};
const prompt = Array.from({ length: 128 }, (_, i) => (i * 37 + 11) % 50257);
for (let round = 0; round < Number(process.env.ROUNDS ?? 3); round++) {
  for (const c of round % 2 ? [...configs].reverse() : configs) {
    await useBackend(registry, 'wasm', c);
    const model = new GPT2LMHeadModel(CONFIG, { seed: 0 });
    const s = model.startDecoding({ inputIds: [prompt], attentionMask: [prompt.map(() => 1)] }, { useCache: true });
    s.nextTokenLogits().dispose(); s.append([5]);
    for (let i = 0; i < 3; i++) { s.nextTokenLogits().dispose(); s.append([5]); }
    const t0 = performance.now();
    for (let i = 0; i < 15; i++) { const l = s.nextTokenLogits(); await l.data(); l.dispose(); s.append([5]); }
    (times[`${c.threads}t ${c.products}`] ??= []).push((performance.now() - t0) / 15);
    s.dispose?.(); model.dispose();
  }
}
const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
for (const [k, v] of Object.entries(times)) console.log(`decode step ${k}: median ${med(v).toFixed(1)} ms (${Math.min(...v).toFixed(1)}–${Math.max(...v).toFixed(1)})`);
