// LoRA and the Trainer on real model classes (tfkit's BERT and GPT-2, dev dependencies only).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { safetensorsToTensors } from '@tfkit/core-tensor';
import { BertForSequenceClassification } from '@tfkit/models-bert';
import { GPT2ForSequenceClassification } from '@tfkit/models-gpt';
import { expectAllClose, fixturePath } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { PrefixTuningModel } from './prefix-tuning.js';
import { LoraModel } from './lora.js';
import { loadLoraAdapter, saveLoraAdapter } from './lora-io.js';

const inputs = { inputIds: tf.tensor2d([[2, 15, 27, 99, 3, 0], [2, 8, 41, 3, 0, 0]], undefined, 'int32'), attentionMask: tf.tensor2d([[1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 0, 0]], undefined, 'int32') };

describe('LoRA on BERT (Hugging Face fixture checkpoint)', () => {
  it('uses PEFT tensor names for BERT and round-trips; merge keeps outputs', async () => {
    const model = await BertForSequenceClassification.fromPretrained(fixturePath('models', 'bert-sequence-classification'));
    const lora = LoraModel.apply(model, { r: 4, loraAlpha: 8, targetModules: ['query', 'value'], modulesToSave: ['classifier'], taskType: 'SEQ_CLS' });
    for (const [, layer] of lora.loraLayers()) tf.tidy(() => layer.weights('default').B.value.assign(tf.randomNormal(layer.weights('default').B.shape, 0, 0.2, 'float32', 7)));
    const logits = () => tf.tidy(() => (model.forward(inputs) as { logits: tf.Tensor }).logits);
    const adapted = logits();
    lora.merge();
    expectAllClose(logits(), adapted, { atol: 1e-5 });
    lora.unmerge();
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tfkit-lora-bert-'));
    await saveLoraAdapter(lora, dir);
    const { tensors } = safetensorsToTensors(new Uint8Array(await fs.readFile(path.join(dir, 'adapter_model.safetensors'))));
    expect([...tensors.keys()].sort()).toEqual([
      'base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight', 'base_model.model.bert.encoder.layer.0.attention.self.query.lora_B.weight',
      'base_model.model.bert.encoder.layer.0.attention.self.value.lora_A.weight', 'base_model.model.bert.encoder.layer.0.attention.self.value.lora_B.weight',
      'base_model.model.bert.encoder.layer.1.attention.self.query.lora_A.weight', 'base_model.model.bert.encoder.layer.1.attention.self.query.lora_B.weight',
      'base_model.model.bert.encoder.layer.1.attention.self.value.lora_A.weight', 'base_model.model.bert.encoder.layer.1.attention.self.value.lora_B.weight',
      'base_model.model.classifier.bias', 'base_model.model.classifier.weight',
    ]);
    expect(tensors.get('base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight')?.shape).toEqual([4, 32]);
    expect(tensors.get('base_model.model.bert.encoder.layer.0.attention.self.query.lora_B.weight')?.shape).toEqual([32, 4]);
    tensors.forEach((t) => t.dispose());
    const fresh = await BertForSequenceClassification.fromPretrained(fixturePath('models', 'bert-sequence-classification'));
    await loadLoraAdapter(fresh, dir);
    expectAllClose(tf.tidy(() => (fresh.forward(inputs) as { logits: tf.Tensor }).logits), adapted, { atol: 1e-6 });
    await fs.rm(dir, { recursive: true });
    lora.dispose();
    model.dispose();
    fresh.dispose();
  });
});

describe('LoRA merge-and-unload on BERT (Hugging Face fixture checkpoint)', () => {
  it('the saved merged checkpoint (Linear and Embedding LoRA) reloads to the adapted logits, not the base ones', async () => {
    const source = fixturePath('models', 'bert-sequence-classification');
    const model = await BertForSequenceClassification.fromPretrained(source);
    const logits = (m: BertForSequenceClassification) => tf.tidy(() => (m.forward(inputs) as { logits: tf.Tensor }).logits);
    const base = logits(model);
    const lora = LoraModel.apply(model, { r: 4, loraAlpha: 8, targetModules: ['query', 'value', 'word_embeddings'], modulesToSave: ['classifier'] });
    let seed = 11;
    for (const [, layer] of lora.loraLayers()) {
      const { A, B } = layer.weights('default');
      tf.tidy(() => {
        A.value.assign(tf.randomNormal(A.shape, 0, 0.2, 'float32', seed++));
        B.value.assign(tf.randomNormal(B.shape, 0, 0.2, 'float32', seed++));
      });
    }
    const adapted = logits(model);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(adapted, base))).dataSync()[0])).toBeGreaterThan(1e-2);
    lora.mergeAndUnload();
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tfkit-lora-merged-'));
    await model.savePretrained(dir);
    const { tensors } = safetensorsToTensors(new Uint8Array(await fs.readFile(path.join(dir, 'model.safetensors'))));
    expect([...tensors.keys()].filter((k) => k.includes('lora') || k.includes('base_layer'))).toEqual([]);
    tensors.forEach((t) => t.dispose());
    const reloaded = await BertForSequenceClassification.fromPretrained(dir);
    const out = logits(reloaded);
    expectAllClose(out, adapted, { atol: 1e-5 });
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(out, base))).dataSync()[0])).toBeGreaterThan(1e-2);
    await fs.rm(dir, { recursive: true });
    tf.dispose([base, adapted, out]);
    model.dispose();
    reloaded.dispose();
  });
});

describe('prefix tuning on GPT-2 (Hugging Face fixture checkpoint)', () => {
  it('runs the prefix as past keys/values, and a zero-length effect only through the prefix', async () => {
    const model = await GPT2ForSequenceClassification.fromPretrained(fixturePath('models', 'gpt2-lm'), { configOverrides: { num_labels: 2, pad_token_id: 0 }, strict: false } as never);
    const config = (model as unknown as { config: { nLayer: number; nHead: number; nEmbd: number } }).config;
    const prefix = new PrefixTuningModel(model, { numVirtualTokens: 5, numLayers: config.nLayer, numAttentionHeads: config.nHead, tokenDim: config.nEmbd, modulesToSave: ['score'] });
    const out = tf.tidy(() => (prefix.forward(inputs) as { logits: tf.Tensor }).logits);
    const plain = tf.tidy(() => (model.forward(inputs) as { logits: tf.Tensor }).logits);
    expect(out.shape).toEqual([2, 2]);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(out, plain))).dataSync()[0])).toBeGreaterThan(1e-4);
    // Gradients reach the prefix through GPT-2's attention.
    const { grads, value } = tf.variableGrads(() => tf.sum((prefix.forward(inputs) as { logits: tf.Tensor }).logits) as tf.Scalar, prefix.trainableVariables());
    const g = grads[prefix.encoder.embedding.weight.variable.name] as tf.Tensor;
    expect(tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0])).toBeGreaterThan(0);
    [out, plain, value, ...Object.values(grads)].forEach((t) => t.dispose());
    prefix.dispose();
  });
});
