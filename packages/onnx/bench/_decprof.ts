import * as tf from '@tensorflow/tfjs-core';
import { createRegistry } from '@tfkit/core-tensor';
import { registerAllBackends, useBackend } from '@tfkit/backends';
import { GPT2LMHeadModel } from '@tfkit/models-gpt';
import { wasmHeapInUse } from '../../../tooling/test-utils/src/wasm-heap.js';
const registry = createRegistry(); registerAllBackends(registry);
const CONFIG = { vocabSize: 50257, nPositions: 1024, nEmbd: 768, nLayer: 12, nHead: 12 };
const [t, p] = (process.env.CONF ?? '2:tfkit').split(':');
await useBackend(registry, 'wasm', { threads: Number(t), products: p as 'tfkit' });
const prompt = Array.from({ length: 128 }, (_, i) => (i * 37 + 11) % 50257);
const model = new GPT2LMHeadModel(CONFIG, { seed: 0 });
const s = model.startDecoding({ inputIds: [prompt], attentionMask: [prompt.map(() => 1)] }, { useCache: true });
for (let i = 0; i < 4; i++) { const l = s.nextTokenLogits(); await l.data(); l.dispose(); s.append([5]); }
const agg = new Map<string, number>(); let total = 0; let wall = 0;
for (let r = 0; r < 5; r++) {
  const t0 = performance.now();
  const info = await tf.profile(async () => { const l = s.nextTokenLogits(); await l.data(); l.dispose(); });
  wall += performance.now() - t0;
  s.append([5]);
  for (const k of info.kernels) { const key = `${k.name} ${JSON.stringify(k.inputShapes?.map((x) => x?.join('x')))}`; agg.set(key, (agg.get(key) ?? 0) + (k.kernelTimeMs as number) / 5); total += (k.kernelTimeMs as number) / 5; }
}
console.log(`${process.env.CONF}: wall/step ${(wall / 5).toFixed(1)} kernels/step ${total.toFixed(1)}`);
for (const [k, v] of [...agg].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log('  ', k.padEnd(60), v.toFixed(2));
const mem = (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.byteLength; console.log(`wasm heap ${(mem / 2 ** 20).toFixed(0)} MiB, in use ${(wasmHeapInUse() / 2 ** 20).toFixed(0)} MiB`);
process.exit(0);
