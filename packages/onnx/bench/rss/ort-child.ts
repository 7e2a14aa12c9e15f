/**
 * One fresh process: onnxruntime-node (1 intra-op thread) loads the BERT-base exported by
 * `exportOnnx` (onnx/model.onnx in argv[2]) and runs the same forwards as tfkit-child.ts.
 */
import * as ort from 'onnxruntime-node';
import path from 'node:path';
import { inputIds, report, sample, type MemorySample } from './memory.js';

const dir = process.argv[2]!;
const SEQ = 128;
const FORWARDS = 3;

const samples: MemorySample[] = [sample('import')];
const session = await ort.InferenceSession.create(path.join(dir, 'onnx/model.onnx'), { intraOpNumThreads: 1, interOpNumThreads: 1 });
samples.push(sample('load'));
const int64 = (row: number[]) => new ort.Tensor('int64', BigInt64Array.from(row, (v) => BigInt(v)), [1, SEQ]);
const ids = inputIds(SEQ);
const feeds = { input_ids: int64(ids), attention_mask: int64(ids.map(() => 1)), token_type_ids: int64(ids.map(() => 0)) };
let checksum = 0;
for (let i = 0; i < FORWARDS; i++) {
  const data = (await session.run(feeds))['last_hidden_state']!.data as Float32Array;
  checksum = data[0]! + data[data.length - 1]!;
  if (i === 0) samples.push(sample('forward 1'));
}
samples.push(sample(`forward ${FORWARDS}`));
report('onnxruntime-node-1t', samples, { checksum });
await session.release();
