import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { AutoModel, createRegistry, loadCheckpoint, safetensorsToTensors } from '@tfkit/core-tensor';
import { StateDictError } from '@tfkit/layers';
import { expectAllClose, expectNoLeaks, fixturePath } from '@tfkit/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { BertForMaskedLM, BertForPreTraining, BertForSequenceClassification, BertForTokenClassification } from './bert-heads.js';
import { BertModel, type BertPreTrainedModel } from './bert-modeling.js';
import { registerBert } from './bert-register.js';
import { buildFromCheckpoint } from './bert-weights.js';

const FIXTURES = ['bert-for-pretraining', 'bert-sequence-classification', 'bert-token-classification', 'bert-question-answering'];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-bert-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const ids = [[2, 17, 40, 4, 99, 3, 0], [2, 5, 6, 3, 0, 0, 0]];
const mask = ids.map((row) => row.map((id) => (id === 0 ? 0 : 1)));

function names(file: string): [string, number[]][] {
  const { tensors } = safetensorsToTensors(fs.readFileSync(file), file);
  const out = [...tensors].map(([n, t]) => [n, t.shape] as [string, number[]]).sort(([a], [b]) => a.localeCompare(b));
  tf.dispose([...tensors.values()]);
  return out;
}

type AnyBert = BertPreTrainedModel & { forward(i: unknown): Record<string, tf.Tensor> };

describe('savePretrained → fromPretrained', () => {
  it.each(FIXTURES)('%s: same tensor names and shapes as the original file, identical outputs after reload', async (name) => {
    const registry = registerBert(createRegistry());
    const source = fixturePath('models', name);
    const model = await AutoModel.fromPretrained<AnyBert>(source, { registry });
    const dir = path.join(tmp, name);
    await expectNoLeaks(() => model.savePretrained(dir), 'savePretrained');
    expect(names(path.join(dir, 'model.safetensors'))).toEqual(names(path.join(source, 'model.safetensors')));

    const original = JSON.parse(fs.readFileSync(path.join(source, 'config.json'), 'utf8')) as Record<string, unknown>;
    const saved = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    for (const [key, value] of Object.entries(original)) expect(saved[key], key).toEqual(value);

    const reloaded = await AutoModel.fromPretrained<AnyBert>(dir, { registry });
    expect(reloaded.architecture).toBe(model.architecture);
    const before = model.forward({ inputIds: ids, attentionMask: mask });
    const after = reloaded.forward({ inputIds: ids, attentionMask: mask });
    for (const key of Object.keys(before)) expect(Array.from(after[key]!.dataSync())).toEqual(Array.from(before[key]!.dataSync()));
    tf.dispose([before, after] as unknown as tf.TensorContainer);
    model.dispose();
    reloaded.dispose();
  });
});

describe('tied MLM decoder', () => {
  it('predicts with the word embeddings, so editing them changes the logits; saving leaves the decoder out', async () => {
    const model = await BertForMaskedLM.fromPretrained(fixturePath('models', 'bert-for-pretraining'));
    expect(model.loadReport.unexpected.sort()).toEqual(['bert.pooler.dense.bias', 'bert.pooler.dense.weight', 'cls.seq_relationship.bias', 'cls.seq_relationship.weight']);
    const paramNames = model.namedParameters().map(([n]) => n);
    expect(paramNames).toContain('cls.predictions.bias');
    expect(paramNames.some((n) => n.startsWith('cls.predictions.decoder'))).toBe(false);
    const emb = model.bert.embeddings.word_embeddings.weight;
    const h = tf.tidy(() => model.forward({ inputIds: [[2, 7, 3]] }).logits);
    // logits[..., v] − bias[v] = transform(h) · E[v]: doubling row 9 of E doubles that part.
    const doubled = tf.tidy(() => tf.mul(emb.value, tf.concat([tf.ones([9, 1]), tf.fill([1, 1], 2), tf.ones([emb.shape[0]! - 10, 1])])));
    emb.variable.assign(doubled);
    const h2 = tf.tidy(() => model.forward({ inputIds: [[2, 7, 3]] }).logits);
    const bias = model.cls.predictions.bias.value.dataSync()[9]!;
    const a = h.dataSync();
    const b = h2.dataSync();
    const vocab = emb.shape[0]!;
    for (let t = 0; t < 3; t++) {
      expect(b[t * vocab + 9]! - bias).toBeCloseTo(2 * (a[t * vocab + 9]! - bias), 3);
      expect(b[t * vocab + 8]).toBe(a[t * vocab + 8]);
    }
    tf.dispose([h, h2, doubled]);
    const dir = path.join(tmp, 'mlm');
    await model.savePretrained(dir);
    const saved = names(path.join(dir, 'model.safetensors')).map(([n]) => n);
    expect(saved).not.toContain('cls.predictions.decoder.weight');
    expect(saved).not.toContain('cls.predictions.decoder.bias');
    expect(saved).toContain('cls.predictions.bias');
    model.dispose();
  });

  it('keeps a separate decoder when tie_word_embeddings is false, and round-trips it', async () => {
    const model = new BertForMaskedLM({ vocabSize: 50, hiddenSize: 16, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 32, tieWordEmbeddings: false }, { seed: 3 });
    const dir = path.join(tmp, 'untied');
    await model.savePretrained(dir);
    expect(names(path.join(dir, 'model.safetensors'))).toContainEqual(['cls.predictions.decoder.weight', [50, 16]]);
    const reloaded = await BertForMaskedLM.fromPretrained(dir);
    const [a, b] = [model, reloaded].map((m) => m.forward({ inputIds: [[1, 2, 3]] }).logits);
    expectAllClose(a!, b!, { atol: 0 });
    tf.dispose([a!, b!]);
    model.dispose();
    reloaded.dispose();
  });
});

describe('loading across classes and checkpoint dialects', () => {
  it('loads a task checkpoint into BertModel (bert. prefix stripped, heads ignored) and BertModel weights into a task model', async () => {
    const source = fixturePath('models', 'bert-sequence-classification');
    const base = await BertModel.fromPretrained(source);
    expect(base.loadReport.unexpected.sort()).toEqual(['classifier.bias', 'classifier.weight']);
    const dir = path.join(tmp, 'base');
    await base.savePretrained(dir);
    expect(names(path.join(dir, 'model.safetensors')).every(([n]) => !n.startsWith('bert.'))).toBe(true);
    const tagger = await BertForTokenClassification.fromPretrained(dir, { configOverrides: { num_labels: 7 } });
    expect(tagger.loadReport.missing.sort()).toEqual(['classifier.bias', 'classifier.weight']);
    const full = await BertForSequenceClassification.fromPretrained(source);
    const x = { inputIds: ids, attentionMask: mask };
    const [h1, h2] = [tagger, full].map((m) => tf.tidy(() => m.forward(x).lastHiddenState)) as [tf.Tensor, tf.Tensor];
    expectAllClose(h1, h2, { atol: 0 });
    const logits = tagger.forward(x).logits;
    expect(logits.shape).toEqual([2, 7, 7]);
    tf.dispose([h1, h2, logits]);
    for (const m of [base, tagger, full]) m.dispose();
  });

  it('initialises weights the checkpoint lacks as Hugging Face does (N(0, initializer_range), zero biases)', async () => {
    const model = await BertForSequenceClassification.fromPretrained(fixturePath('models', 'bert-question-answering'), { configOverrides: { num_labels: 4 } });
    expect(model.loadReport.missing.sort()).toEqual(['bert.pooler.dense.bias', 'bert.pooler.dense.weight', 'classifier.bias', 'classifier.weight']);
    for (const p of [model.classifier.weight, model.bert.pooler!.dense.weight]) {
      const w = Array.from(p.value.dataSync());
      const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
      expect(std).toBeGreaterThan(0.15);
      expect(std).toBeLessThan(0.35); // initializer_range 0.25
    }
    expect(Array.from(model.classifier.bias!.value.dataSync())).toEqual([0, 0, 0, 0]);
    model.dispose();
  });

  it('accepts TF-era gamma/beta names, old buffers and an explicit decoder bias', async () => {
    const checkpoint = await loadCheckpoint(fixturePath('models', 'bert-for-pretraining'));
    const weights = new Map<string, tf.Tensor>();
    for (const [n, t] of checkpoint.weights) {
      weights.set(n.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta').replace('cls.predictions.bias', 'cls.predictions.decoder.bias'), t);
    }
    const buffer = tf.range(0, 64, 1, 'int32');
    weights.set('bert.embeddings.position_ids', buffer);
    const legacy = buildFromCheckpoint(BertForPreTraining, { ...checkpoint, weights });
    const reference = buildFromCheckpoint(BertForPreTraining, checkpoint);
    const [a, b] = [legacy, reference].map((m) => m.forward({ inputIds: ids }).predictionLogits);
    expectAllClose(a!, b!, { atol: 0 });
    tf.dispose([a!, b!, buffer, ...checkpoint.weights.values()]);
    legacy.dispose();
    reference.dispose();
  });

  it('reports missing backbone weights and wrong shapes in one error', async () => {
    const checkpoint = await loadCheckpoint(fixturePath('models', 'bert-question-answering'));
    const weights = new Map(checkpoint.weights);
    weights.delete('bert.encoder.layer.1.output.dense.weight');
    const error = (() => {
      try {
        buildFromCheckpoint(BertForSequenceClassification, { ...checkpoint, weights });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(StateDictError);
    expect((error as StateDictError).missing).toEqual(['bert.encoder.layer.1.output.dense.weight']);
    expect(() => buildFromCheckpoint(BertForSequenceClassification, { ...checkpoint, config: { ...checkpoint.config, hidden_size: 16, num_attention_heads: 2 } })).toThrow(/mis-shaped/);
    tf.dispose([...checkpoint.weights.values()]);
  });
});
