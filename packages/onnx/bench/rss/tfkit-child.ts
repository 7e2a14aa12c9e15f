/**
 * One fresh process: tfkit on tfjs-backend-wasm (1 thread) loads BERT-base from `model.safetensors`
 * + config.json in argv[2] and runs `forwards` forwards of batch 1 × 128 tokens, sampling memory
 * after import, load, the first forward and the last.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRegistry } from '@tfkit/core-tensor';
import { registerAllBackends, useBackend } from '@tfkit/backends';
import { BertModel } from '@tfkit/models-bert';
import { inputIds, report, sample, type MemorySample } from './memory.js';

const dir = process.argv[2]!;
/** argv[3] 'per-call': `weightPacking: 'per-call'` (no XNNPACK packed copies kept on the heap). */
const perCall = process.argv[3] === 'per-call';
const SEQ = 128;
const FORWARDS = 3;

const registry = createRegistry();
registerAllBackends(registry);
await useBackend(registry, 'wasm', { threads: 1, ...(perCall ? { weightPacking: 'per-call' as const } : {}) });
const backend = tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } };
const heap = () => backend.wasm.HEAPU8.buffer.byteLength;
const samples: MemorySample[] = [sample('import', heap())];

const model = await BertModel.fromPretrained(dir);
samples.push(sample('load', heap()));

const ids = [inputIds(SEQ)];
const mask = [ids[0]!.map(() => 1)];
const types = [ids[0]!.map(() => 0)];
let checksum = 0;
for (let i = 0; i < FORWARDS; i++) {
  const out = model.forward({ inputIds: ids, attentionMask: mask, tokenTypeIds: types });
  const data = (await out.lastHiddenState.data()) as Float32Array;
  checksum = data[0]! + data[data.length - 1]!;
  tf.dispose(out as unknown as tf.TensorContainer);
  if (i === 0) samples.push(sample('forward 1', heap()));
}
samples.push(sample(`forward ${FORWARDS}`, heap()));
report(perCall ? 'tfkit-wasm-1t-per-call' : 'tfkit-wasm-1t', samples, { checksum, numTensors: tf.memory().numTensors });
model.dispose();
