/**
 * Writes BERT-base (bert-base-uncased's config, random weights, seed 1) once into argv[2]: the
 * Hugging Face layout (config.json + model.safetensors) and onnx/model.onnx from `exportOnnx`.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createRegistry } from '@tfkit/core-tensor';
import { registerAllBackends, useBackend } from '@tfkit/backends';
import { BertModel, registerBert } from '@tfkit/models-bert';
import { exportOnnx } from '../../src/index.js';

const dir = process.argv[2]!;
const registry = registerBert(createRegistry());
registerAllBackends(registry);
await useBackend(registry, 'cpu');
const model = new BertModel({}, { seed: 1 });
await model.savePretrained(dir);
await exportOnnx(model, dir, { registry });
model.dispose();
for (const f of ['config.json', 'model.safetensors', 'onnx/model.onnx']) console.log(f, (fs.statSync(path.join(dir, f)).size / 2 ** 20).toFixed(1), 'MiB');
console.log('tensors left:', tf.memory().numTensors);
