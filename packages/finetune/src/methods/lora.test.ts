import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Random, safetensorsToTensors, tensorsToSafetensors } from '@tfkit/core-tensor';
import { Embedding, Linear } from '@tfkit/layers';
import { expectAllClose, expectNoLeaks } from '@tfkit/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { bytesSavedForBackward } from '../testing/saved-bytes.js';
import { ToyClassifier, toyCollator, toyDataset } from '../testing/toy.js';
import { Trainer } from '../train/trainer.js';
import { LoraEmbedding } from './lora-embedding.js';
import { LoraLinear } from './lora-linear.js';
import { LoraModel } from './lora.js';
import { loadLoraAdapter, saveLoraAdapter } from './lora-io.js';

const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'tfkit-lora-'));
afterAll(() => fs.rm(tmp, { recursive: true, force: true }));

const batch = () => toyCollator(toyDataset(6, 3).toArray());
function logits(model: ToyClassifier): Float32Array {
  const b = batch();
  const out = model.forward(b).logits;
  const data = out.dataSync() as Float32Array;
  out.dispose();
  Object.values(b).forEach((t) => t.dispose());
  return data;
}

/** Gives every B matrix random values so the adapter changes the output. */
function randomizeB(lora: LoraModel, name: string, seed: number): void {
  for (const [, layer] of lora.loraLayers()) {
    if (!layer.adapterNames().includes(name)) continue;
    const B = layer.weights(name).B;
    tf.tidy(() => B.value.assign(tf.randomNormal(B.shape, 0, 0.3, 'float32', seed++)));
  }
}

/** Gives every A matrix random values (an Embedding adapter's A starts at 0). */
function randomizeA(lora: LoraModel, name: string, seed: number): void {
  for (const [, layer] of lora.loraLayers()) {
    if (!layer.adapterNames().includes(name)) continue;
    const A = layer.weights(name).A;
    tf.tidy(() => A.value.assign(tf.randomNormal(A.shape, 0, 0.3, 'float32', seed++)));
  }
}

const maxAbsDiff = (a: Float32Array, b: Float32Array) => Math.max(...a.map((v, i) => Math.abs(v - (b[i] as number))));

describe('LoRA', () => {
  it('wraps target layers with PEFT names, freezes the base, starts as the identity', async () => {
    const model = new ToyClassifier({ dim: 8 });
    const before = logits(model);
    const lora = LoraModel.apply(model, { r: 2, loraAlpha: 4, targetModules: ['dense'] });
    expect(model.getModule('encoder.layer.0.dense')).toBeInstanceOf(LoraLinear);
    expect(model.namedParameters({ trainableOnly: true }).map(([n]) => n)).toEqual([
      'encoder.layer.0.dense.lora_A.default.weight', 'encoder.layer.0.dense.lora_B.default.weight',
      'encoder.layer.1.dense.lora_A.default.weight', 'encoder.layer.1.dense.lora_B.default.weight',
    ]);
    expect(model.stateDict().get('encoder.layer.0.dense.lora_A.default.weight')?.shape).toEqual([2, 8]);
    expectAllClose(logits(model), before, { atol: 1e-6 });
    expect(lora.trainableParameters()).toEqual({ trainable: 64, total: model.parameterCount(), percent: (100 * 64) / model.parameterCount() });
    expect(() => LoraModel.apply(new ToyClassifier(), { r: 2, targetModules: ['query'] })).toThrow(/matched no Linear or Embedding layer.*encoder\.layer\.0\.dense/);
    lora.dispose();
    model.dispose();
  });

  it('keeps no output-sized tensor of an adapted layer for the backward pass', async () => {
    const [n, din, dout] = [64, 48, 96];
    const base = new Linear(din, dout, { rng: new Random(1) });
    base.freeze();
    const layer = new LoraLinear(base);
    layer.addAdapter('default', { r: 4, loraAlpha: 8, loraDropout: 0 }, new Random(2));
    layer.activeAdapters = ['default'];
    tf.tidy(() => layer.weights('default').B.value.assign(tf.randomNormal([4, dout], 0, 0.3, 'float32', 3)));
    const x = tf.randomNormal([n, din], 0, 1, 'float32', 4);
    // Bytes in tensors when the backward pass starts: what the forward left saved for it.
    const saved = await bytesSavedForBackward(() => layer.forward(x), layer.trainableVariables(), (grads) => {
      expect(Object.keys(grads).length).toBe(2); // A and B
    });
    // x·A (n × r) and the scaled B (r × out); before, the base output, the adapter output and its
    // scaled copy (3 · n · out floats) were kept as well.
    expect(saved).toBeLessThan(n * dout * 4);
    tf.dispose(x);
    layer.dispose();
  });

  it('merged and unmerged outputs agree within 1e-5; disabling gives the base model', async () => {
    const model = new ToyClassifier({ dim: 8 });
    const base = logits(model);
    const lora = LoraModel.apply(model, { r: 4, loraAlpha: 8, targetModules: 'encoder\\.layer\\.\\d+\\.dense', modulesToSave: ['classifier'] });
    randomizeB(lora, 'default', 1);
    tf.tidy(() => model.classifier.weight.value.assign(tf.mul(model.classifier.weight.value, 2)));
    await expectNoLeaks(async () => {
      const adapted = logits(model);
      expect(Math.max(...adapted.map((v, i) => Math.abs(v - (base[i] as number))))).toBeGreaterThan(1e-2);
      lora.merge();
      expectAllClose(logits(model), adapted, { atol: 1e-5 });
      lora.unmerge();
      expectAllClose(logits(model), adapted, { atol: 1e-5 });
      await lora.withAdaptersDisabled(() => expectAllClose(logits(model), base, { atol: 1e-6 }));
      expectAllClose(logits(model), adapted, { atol: 1e-6 });
    });
    lora.dispose();
    model.dispose();
  });

  // Linear LoRA on the encoder, Embedding LoRA on the embedding table, and both at once.
  it.each([
    ['Linear', ['dense']],
    ['Embedding', ['embeddings']],
    ['Linear and Embedding', ['embeddings', 'dense']],
  ])('mergeAndUnload keeps the adapter (%s): plain layers whose outputs are the adapted ones, not the base', async (_kind, targetModules) => {
    const model = new ToyClassifier({ dim: 8 });
    const base = logits(model);
    const lora = LoraModel.apply(model, { r: 4, loraAlpha: 8, targetModules, modulesToSave: ['classifier'] });
    randomizeB(lora, 'default', 1);
    randomizeA(lora, 'default', 50); // an embedding adapter starts with A = 0
    tf.tidy(() => model.classifier.weight.value.assign(tf.mul(model.classifier.weight.value, 2)));
    const adapted = logits(model); // captured before anything is merged
    expect(maxAbsDiff(adapted, base)).toBeGreaterThan(1e-2);
    const numTensors = tf.memory().numTensors;
    const merged = lora.mergeAndUnload();
    expect(merged).toBe(model);
    for (const [path, kind] of [['embeddings', Embedding], ['encoder.layer.0.dense', Linear], ['encoder.layer.1.dense', Linear]] as const) {
      expect(merged.getModule(path)).toBeInstanceOf(kind);
    }
    expect(merged.namedParameters().map(([n]) => n).filter((n) => n.includes('lora'))).toEqual([]);
    expect(merged.parameterCount({ trainableOnly: true })).toBe(merged.parameterCount());
    // The adapter weights and the LoraModel's copies are freed; nothing else is allocated.
    expect(tf.memory().numTensors).toBeLessThan(numTensors);
    const out = logits(model);
    expectAllClose(out, adapted, { atol: 1e-5 });
    expect(maxAbsDiff(out, base)).toBeGreaterThan(1e-2);
    // The update lives in the base weights themselves (a fresh model with the same seed has the originals).
    const adaptedOnly = (merged.getModule(targetModules.includes('dense') ? 'encoder.layer.0.dense' : 'embeddings') as Linear | Embedding).weight.value;
    const fresh = new ToyClassifier({ dim: 8 });
    const original = (fresh.getModule(targetModules.includes('dense') ? 'encoder.layer.0.dense' : 'embeddings') as Linear | Embedding).weight.value;
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(adaptedOnly, original))).dataSync()[0])).toBeGreaterThan(1e-3);

    // The merged model's weights reload into a plain model with the same outputs.
    const weights = merged.stateDict();
    const bytes = await tensorsToSafetensors(weights, { format: 'pt' });
    weights.forEach((t) => t.dispose());
    const { tensors } = safetensorsToTensors(bytes);
    fresh.loadStateDict(tensors);
    tensors.forEach((t) => t.dispose());
    expectAllClose(logits(fresh), adapted, { atol: 1e-5 });
    [model, fresh].forEach((m) => m.dispose());
  });

  it('deleteAdapter on a merged adapter leaves its update in the base weights, as PEFT does', () => {
    const model = new ToyClassifier({ dim: 8 });
    const base = logits(model);
    const lora = LoraModel.apply(model, { r: 2, targetModules: ['embeddings', 'dense'] });
    randomizeB(lora, 'default', 7);
    randomizeA(lora, 'default', 70);
    const adapted = logits(model);
    lora.merge();
    lora.deleteAdapter('default');
    for (const [, layer] of lora.loraLayers()) {
      expect(layer.adapterNames()).toEqual([]);
      expect(layer.merged).toEqual([]); // nothing left that unmerge could subtract
    }
    expectAllClose(logits(model), adapted, { atol: 1e-5 });
    lora.unmerge(); // a no-op now
    expectAllClose(logits(model), adapted, { atol: 1e-5 });
    expect(maxAbsDiff(adapted, base)).toBeGreaterThan(1e-2);
    lora.dispose();
    model.dispose();
  });

  it('mergeAndUnload while the adapters are disabled merges the active adapter and its head (PEFT)', async () => {
    const model = new ToyClassifier({ dim: 8 });
    const base = logits(model);
    const lora = LoraModel.apply(model, { r: 2, targetModules: ['embeddings', 'dense'], modulesToSave: ['classifier'] });
    randomizeB(lora, 'default', 9);
    randomizeA(lora, 'default', 90);
    tf.tidy(() => model.classifier.bias?.value.assign(tf.tensor1d([0.5, -0.5])));
    const adapted = logits(model);
    lora.disableAdapters();
    expectAllClose(logits(model), base, { atol: 1e-6 });
    lora.mergeAndUnload();
    expectAllClose(logits(model), adapted, { atol: 1e-5 });
    model.dispose();
  });

  it('several adapters on one base, hot-swapped, each with its own head', () => {
    const model = new ToyClassifier({ dim: 8 });
    const lora = LoraModel.apply(model, { r: 2, targetModules: ['dense'], modulesToSave: ['classifier'] }, 'a');
    randomizeB(lora, 'a', 10);
    tf.tidy(() => model.classifier.bias?.value.assign(tf.tensor1d([1, -1])));
    const outA = logits(model);
    lora.addAdapter('b', { r: 3, loraAlpha: 6, targetModules: ['encoder.layer.1.dense'], modulesToSave: ['classifier'], seed: 5 });
    expect(lora.activeAdapter).toBe('a');
    lora.setAdapter('b');
    randomizeB(lora, 'b', 20);
    expect(model.classifier.bias?.value.arraySync()).not.toEqual([1, -1]); // b has its own (original) head
    const outB = logits(model);
    expect(model.namedParameters({ trainableOnly: true }).map(([n]) => n)).toEqual([
      'encoder.layer.1.dense.lora_A.b.weight', 'encoder.layer.1.dense.lora_B.b.weight', 'classifier.weight', 'classifier.bias',
    ]);
    lora.setAdapter('a');
    expectAllClose(logits(model), outA, { atol: 1e-6 });
    lora.setAdapter('b');
    expectAllClose(logits(model), outB, { atol: 1e-6 });
    lora.dispose();
    model.dispose();
  });

  it('saves PEFT files (config keys, tensor names, shapes) and loads them back exactly', async () => {
    const model = new ToyClassifier({ dim: 8 });
    const lora = LoraModel.apply(model, { r: 2, loraAlpha: 16, loraDropout: 0.1, targetModules: ['dense'], modulesToSave: ['classifier'], bias: 'lora_only', taskType: 'SEQ_CLS' });
    randomizeB(lora, 'default', 3);
    const out = logits(model);
    const dir = path.join(tmp, 'adapter');
    await saveLoraAdapter(lora, dir);
    expect((await fs.readdir(dir)).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    const config = JSON.parse(await fs.readFile(path.join(dir, 'adapter_config.json'), 'utf8'));
    expect(config).toMatchObject({ peft_type: 'LORA', r: 2, lora_alpha: 16, lora_dropout: 0.1, target_modules: ['dense'], modules_to_save: ['classifier'], bias: 'lora_only', task_type: 'SEQ_CLS', fan_in_fan_out: false, inference_mode: true });
    const { tensors, metadata } = safetensorsToTensors(new Uint8Array(await fs.readFile(path.join(dir, 'adapter_model.safetensors'))));
    expect(metadata).toEqual({ format: 'pt' });
    expect(Object.fromEntries([...tensors].map(([k, t]) => [k, t.shape]))).toEqual({
      'base_model.model.encoder.layer.0.dense.lora_A.weight': [2, 8],
      'base_model.model.encoder.layer.0.dense.lora_B.weight': [8, 2],
      'base_model.model.encoder.layer.1.dense.lora_A.weight': [2, 8],
      'base_model.model.encoder.layer.1.dense.lora_B.weight': [8, 2],
      'base_model.model.encoder.layer.0.dense.base_layer.bias': [8],
      'base_model.model.encoder.layer.1.dense.base_layer.bias': [8],
      'base_model.model.classifier.weight': [2, 8],
      'base_model.model.classifier.bias': [2],
    });
    // B [out, r] as PyTorch's nn.Linear: the transpose of tfkit's [r, out].
    const B = lora.loraLayers()[0]?.[1].weights('default').B.value as tf.Tensor;
    expectAllClose(tensors.get('base_model.model.encoder.layer.0.dense.lora_B.weight') as tf.Tensor, tf.transpose(B), { atol: 0 });
    tensors.forEach((t) => t.dispose());

    const fresh = new ToyClassifier({ dim: 8 });
    const loaded = await loadLoraAdapter(fresh, dir);
    expect(loaded.config()).toMatchObject({ r: 2, loraAlpha: 16, modulesToSave: ['classifier'], bias: 'lora_only' });
    expectAllClose(logits(fresh), out, { atol: 1e-6 });
    const other = new ToyClassifier({ dim: 4 });
    await expect(loadLoraAdapter(other, dir)).rejects.toThrow(/does not fit the model: .*mis-shaped/);
    [lora, loaded].forEach((l) => l.dispose());
    [model, fresh, other].forEach((m) => m.dispose());
  });

  it('trains with the Trainer: only adapter weights change', async () => {
    const model = new ToyClassifier({ dim: 8 });
    const baseW = Array.from(model.getModule('encoder.layer.0.dense').namedParameters()[0]?.[1].value.dataSync() ?? []);
    const lora = LoraModel.apply(model, { r: 4, loraAlpha: 8, targetModules: ['dense'], modulesToSave: ['classifier'] });
    const trainer = new Trainer({ model, trainDataset: toyDataset(64, 1), evalDataset: toyDataset(32, 2), collator: toyCollator, batchSize: 8, epochs: 4, learningRate: 0.05 });
    const before = await trainer.evaluate();
    await trainer.train();
    const after = await trainer.evaluate();
    expect(after['eval_loss']).toBeLessThan((before['eval_loss'] as number) * 0.8);
    const layer = lora.loraLayers()[0]?.[1] as LoraLinear;
    expect(Array.from(layer.base_layer.weight.value.dataSync())).toEqual(baseW);
    trainer.optimizer.dispose();
    lora.dispose();
    model.dispose();
  });

  it('adapts an Embedding as PEFT does: lora_embedding_A/B, identity at start, merge, PEFT names, training moves only A/B', async () => {
    const model = new ToyClassifier({ dim: 8 });
    const before = logits(model);
    const lora = LoraModel.apply(model, { r: 2, loraAlpha: 4, targetModules: ['embeddings', 'dense'] });
    const layer = model.getModule('embeddings') as LoraEmbedding;
    expect(layer).toBeInstanceOf(LoraEmbedding);
    // The base table stays reachable as `.weight` (what a tied LM head reads).
    expect(layer.weight).toBe(layer.base_layer.weight);
    expect(model.namedParameters({ trainableOnly: true }).map(([n]) => n).slice(0, 2)).toEqual(['embeddings.lora_embedding_A.default', 'embeddings.lora_embedding_B.default']);
    expectAllClose(logits(model), before, { atol: 1e-6 }); // A = 0
    // Random A: the update for id i is (α/r)·B·A[:, i].
    const { A, B } = layer.weights('default');
    tf.tidy(() => A.value.assign(tf.randomNormal(A.shape, 0, 0.5, 'float32', 4)));
    const ids = tf.tensor2d([[3, 7], [0, 11]], undefined, 'int32');
    const expected = tf.tidy(() => tf.add(layer.base_layer.forward(ids), tf.mul(tf.gather(tf.matMul(A.value, B.value), ids), 2)));
    expectAllClose(layer.forward(ids), expected, { atol: 1e-5 });
    const adapted = logits(model);
    lora.merge();
    expectAllClose(logits(model), adapted, { atol: 1e-5 });
    lora.unmerge();
    const dir = path.join(tmp, 'embedding-adapter');
    await saveLoraAdapter(lora, dir);
    const { tensors } = safetensorsToTensors(new Uint8Array(await fs.readFile(path.join(dir, 'adapter_model.safetensors'))));
    expect(tensors.get('base_model.model.embeddings.lora_embedding_A')?.shape).toEqual([2, 12]);
    expect(tensors.get('base_model.model.embeddings.lora_embedding_B')?.shape).toEqual([8, 2]);
    expect(JSON.parse(await fs.readFile(path.join(dir, 'adapter_config.json'), 'utf8'))).toMatchObject({ target_modules: ['embeddings', 'dense'], fan_in_fan_out: false });
    tensors.forEach((t) => t.dispose());
    const fresh = new ToyClassifier({ dim: 8 });
    const loaded = await loadLoraAdapter(fresh, dir);
    expectAllClose(logits(fresh), adapted, { atol: 1e-6 });

    const table = Array.from(layer.base_layer.weight.value.dataSync());
    const numTensors = tf.memory().numTensors;
    const trainer = new Trainer({ model, trainDataset: toyDataset(32, 1), collator: toyCollator, batchSize: 8, epochs: 2, learningRate: 0.05 });
    await trainer.train();
    trainer.optimizer.dispose();
    expect(tf.memory().numTensors).toBe(numTensors);
    expect(Array.from(layer.base_layer.weight.value.dataSync())).toEqual(table);
    expect(tf.tidy(() => tf.max(tf.abs(A.value)).dataSync()[0])).toBeGreaterThan(0);
    tf.dispose([ids, expected]);
    [lora, loaded].forEach((l) => l.dispose());
    [model, fresh].forEach((m) => m.dispose());
  });

  it("an Embedding adapter's A gets no gradient on the base layer's padding row (PEFT passes padding_idx)", () => {
    const base = new Embedding(6, 4, { paddingIdx: 0 });
    const layer = new LoraEmbedding(base);
    layer.addAdapter('default', { r: 2, loraAlpha: 4, loraDropout: 0 }, new Random(3));
    layer.activeAdapters = ['default'];
    const { A } = layer.weights('default');
    const ids = tf.tensor2d([[0, 2, 0]], undefined, 'int32');
    const numTensors = tf.memory().numTensors;
    const { grads, value } = tf.variableGrads(() => tf.sum(layer.forward(ids)) as tf.Scalar, [A.value as tf.Variable]);
    const gradA = grads[(A.value as tf.Variable).name]!.arraySync() as number[][];
    expect(gradA[0]).toEqual([0, 0]); // the padding row, looked up twice
    expect(gradA[2]!.some((v) => v !== 0)).toBe(true); // an ordinary row learns
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(numTensors);
    tf.dispose(ids);
    layer.dispose();
  });
});
