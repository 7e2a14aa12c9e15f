import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { AutoModel, createRegistry, safetensorsToTensors, saveCheckpoint } from '@tfkit/core-tensor';
import { StateDictError } from '@tfkit/layers';
import { expectAllClose, expectNoLeaks, fixturePath, readFixtureJson } from '@tfkit/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { BartForConditionalGeneration, BartForSequenceClassification } from './bart-heads.js';
import { BartModel } from './bart-modeling.js';
import { registerBart } from './bart-register.js';

const NAME = 'bart-conditional-generation';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-bart-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function readWeights(file: string) {
  return safetensorsToTensors(fs.readFileSync(file), file).tensors;
}
const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
const forward = readFixtureJson<{ forward: Record<string, number[][]> }>('models', NAME, 'inputs.json').forward;
const args = { inputIds: forward['input_ids']!, attentionMask: forward['attention_mask']!, decoderInputIds: forward['decoder_input_ids']! };

describe('BART save → load', () => {
  it('writes the Hugging Face files back exactly: same names, shapes and values (tied weights dropped), every config key kept', async () => {
    const model = await BartForConditionalGeneration.fromPretrained(fixturePath('models', NAME));
    const dir = path.join(tmp, 'round-trip');
    await expectNoLeaks(() => model.savePretrained(dir), 'savePretrained');
    const original = readWeights(fixturePath('models', NAME, 'model.safetensors'));
    const saved = readWeights(path.join(dir, 'model.safetensors'));
    expect([...saved.keys()].sort()).toEqual([...original.keys()].sort());
    expect(saved.has('model.shared.weight') && !saved.has('lm_head.weight') && !saved.has('model.encoder.embed_tokens.weight')).toBe(true);
    for (const [name, t] of original) {
      expect(saved.get(name)!.shape, name).toEqual(t.shape);
      expectAllClose(saved.get(name)!, t, { atol: 0, label: name });
    }
    expect(readJson(path.join(dir, 'config.json'))).toEqual(readFixtureJson('models', NAME, 'config.json'));
    expect(readJson(path.join(dir, 'generation_config.json'))).toEqual(readFixtureJson('models', NAME, 'generation_config.json'));

    const again = await AutoModel.fromPretrained<BartForConditionalGeneration>(dir, { registry: registerBart(createRegistry()) });
    await expectNoLeaks(() => tf.tidy(() => expectAllClose(again.forward(args).logits, model.forward(args).logits, { atol: 0 })));
    tf.dispose([...original.values(), ...saved.values()]);
    model.dispose();
    again.dispose();
  });

  it('a fresh model saves the names and shapes transformers expects, generation_config.json from its config, and loads back', async () => {
    const config = readFixtureJson<Record<string, unknown>>('models', NAME, 'config.json');
    const fresh = new BartForConditionalGeneration({
      vocabSize: 1000, maxPositionEmbeddings: 64, dModel: 32, encoderLayers: 2, decoderLayers: 2, encoderAttentionHeads: 4, decoderAttentionHeads: 4,
      encoderFfnDim: 64, decoderFfnDim: 64, initStd: 0.2,
    }, { seed: 3 });
    const dir = path.join(tmp, 'fresh');
    await fresh.savePretrained(dir);
    const saved = readWeights(path.join(dir, 'model.safetensors'));
    const original = readWeights(fixturePath('models', NAME, 'model.safetensors'));
    expect(Object.fromEntries([...saved].map(([n, t]) => [n, t.shape]))).toEqual(Object.fromEntries([...original].map(([n, t]) => [n, t.shape])));
    const written = readJson(path.join(dir, 'config.json'));
    for (const key of ['architectures', 'model_type', 'd_model', 'encoder_layers', 'decoder_ffn_dim', 'max_position_embeddings', 'vocab_size', 'is_encoder_decoder', 'decoder_start_token_id']) {
      expect(written[key], key).toEqual(config[key]);
    }
    expect(readJson(path.join(dir, 'generation_config.json'))).toEqual({
      _from_model_config: true, bos_token_id: 0, decoder_start_token_id: 2, eos_token_id: 2, forced_eos_token_id: 2, pad_token_id: 1,
    });
    // Hugging Face's init: the padding row of the token table is zero, final_logits_bias starts at zero.
    tf.tidy(() => {
      expectAllClose(tf.slice(fresh.model.shared.weight.value, [1, 0], [1, -1]), tf.zeros([1, 32]), { atol: 0 });
      expectAllClose(fresh.final_logits_bias.value, tf.zeros([1, 1000]), { atol: 0 });
    });
    const loaded = await BartForConditionalGeneration.fromPretrained(dir);
    const params = new Map(loaded.namedParameters());
    for (const [name, p] of fresh.namedParameters()) expectAllClose(params.get(name)!.variable, p.variable, { atol: 0, label: name });
    tf.dispose([...saved.values(), ...original.values()]);
    fresh.dispose();
    loaded.dispose();
  });

  it('BartModel and the task models load each other\'s checkpoints (model. prefix, new heads initialised and reported)', async () => {
    const base = await BartModel.fromPretrained(fixturePath('models', NAME));
    expect(base.loadReport.unexpected).toEqual(['final_logits_bias']);
    const baseDir = path.join(tmp, 'base');
    await base.savePretrained(baseDir);
    const names = [...readWeights(path.join(baseDir, 'model.safetensors')).entries()].map(([n, t]) => (t.dispose(), n));
    expect(names).toContain('shared.weight');
    expect(names.some((n) => n.startsWith('model.') || n.startsWith('encoder.embed_tokens'))).toBe(false);
    expect(fs.existsSync(path.join(baseDir, 'generation_config.json'))).toBe(false);

    const lm = await BartForConditionalGeneration.fromPretrained(baseDir);
    expect(lm.loadReport.missing).toEqual(['final_logits_bias']);
    const classifier = await BartForSequenceClassification.fromPretrained(fixturePath('models', NAME), { configOverrides: { num_labels: 4 } });
    expect(classifier.loadReport.missing.sort()).toEqual(['classification_head.dense.bias', 'classification_head.dense.weight', 'classification_head.out_proj.bias', 'classification_head.out_proj.weight']);
    expect(classifier.loadReport.unexpected).toEqual(['final_logits_bias']);
    expect(classifier.classification_head.out_proj.outFeatures).toBe(4);
    const std = tf.tidy(() => Math.sqrt(tf.moments(classifier.classification_head.dense.weight.value).variance.dataSync()[0]!));
    expect(std).toBeGreaterThan(0.15); // N(0, init_std = 0.2)
    expect(std).toBeLessThan(0.25);
    await expectNoLeaks(() => tf.tidy(() => {
      expectAllClose(lm.model.forward(args).lastHiddenState, base.forward(args).lastHiddenState, { atol: 0 });
      expectAllClose(classifier.model.forward(args).encoderLastHiddenState, base.forward(args).encoderLastHiddenState, { atol: 0 });
    }));
    const clsDir = path.join(tmp, 'classifier');
    await classifier.savePretrained(clsDir);
    const clsNames = [...readWeights(path.join(clsDir, 'model.safetensors')).entries()].map(([n, t]) => (t.dispose(), n));
    expect(clsNames.filter((n) => n.startsWith('classification_head.')).sort()).toEqual(classifier.loadReport.missing.sort());
    expect(readJson(path.join(clsDir, 'config.json'))).toMatchObject({ architectures: ['BartForSequenceClassification'], id2label: { 3: 'LABEL_3' } });
    await expect(BartForSequenceClassification.fromPretrained(clsDir, { configOverrides: { num_labels: 2 } })).rejects.toThrow(/classification_head\.out_proj\.weight \(expected \[2,32\], got \[4,32\]\).*ignoreMismatchedSizes/);
    const resized = await BartForSequenceClassification.fromPretrained(clsDir, { configOverrides: { num_labels: 2 }, ignoreMismatchedSizes: true });
    expect(resized.loadReport.mismatched.map((m) => m.name).sort()).toEqual(['classification_head.out_proj.bias', 'classification_head.out_proj.weight']);
    expect(resized.loadReport.missing).toEqual([]);
    for (const m of [base, lm, classifier, resized]) m.dispose();
  });

  it('resizeTokenEmbeddings grows the table, the tied head and final_logits_bias; old tokens keep their logits; saves and loads', async () => {
    const model = await BartForConditionalGeneration.fromPretrained(fixturePath('models', NAME));
    const before = tf.tidy(() => model.forward(args).logits);
    await expectNoLeaks(() => model.resizeTokenEmbeddings(1004, { seed: 1 }), 'resize');
    expect([model.config.vocabSize, model.model.config.vocabSize]).toEqual([1004, 1004]);
    expect(model.lm_head.weight).toBe(model.model.shared.weight);
    expect(model.model.encoder.embed_tokens.weight).toBe(model.model.shared.weight);
    expect(model.final_logits_bias.shape).toEqual([1, 1004]);
    expect(model.final_logits_bias.trainable).toBe(false);
    tf.tidy(() => {
      const after = model.forward({ ...args, decoderInputIds: args.decoderInputIds.map((r) => [...r.slice(0, -1), 1003]) }).logits;
      expect(after.shape).toEqual([2, 6, 1004]);
      expectAllClose(tf.slice(after, [0, 0, 0], [2, 5, 1000]), tf.slice(before, [0, 0, 0], [2, 5, 1000]), { atol: 1e-5 });
      expectAllClose(tf.slice(model.final_logits_bias.value, [0, 1000], [1, 4]), tf.zeros([1, 4]), { atol: 0 });
      const std = Math.sqrt(tf.moments(tf.slice(model.model.shared.weight.value, [1000, 0], [4, -1])).variance.dataSync()[0]!);
      expect(std).toBeGreaterThan(0.12); // N(0, init_std = 0.2), 128 draws
      expect(std).toBeLessThan(0.28);
    });
    const dir = path.join(tmp, 'resized');
    await model.savePretrained(dir);
    expect(readJson(path.join(dir, 'config.json'))['vocab_size']).toBe(1004);
    const again = await BartForConditionalGeneration.fromPretrained(dir);
    tf.tidy(() => expectAllClose(again.model.shared.weight.value, model.model.shared.weight.value, { atol: 0 }));
    expect(() => model.resizeTokenEmbeddings(2)).toThrow(/eos_token_id must be a token id in \[0, vocab_size = 2\)/);
    tf.dispose(before);
    model.dispose();
    again.dispose();
  });

  it('a file holding the tied aliases loads; a missing or surplus backbone weight is an error naming it', async () => {
    const weights = readWeights(fixturePath('models', NAME, 'model.safetensors'));
    const config = readFixtureJson<Record<string, unknown>>('models', NAME, 'config.json');
    // Older exports store the table under the encoder's name and the head's, not model.shared.
    const shared = weights.get('model.shared.weight')!;
    weights.delete('model.shared.weight');
    weights.set('model.encoder.embed_tokens.weight', shared);
    weights.set('lm_head.weight', shared);
    const aliased = path.join(tmp, 'aliased');
    await saveCheckpoint(aliased, { config, weights });
    const model = await BartForConditionalGeneration.fromPretrained(aliased);
    expect(model.loadReport).toEqual({ missing: [], unexpected: [], mismatched: [] });
    tf.tidy(() => expectAllClose(model.model.decoder.embed_tokens.weight.value, shared, { atol: 0 }));
    model.dispose();

    weights.get('model.decoder.layers.1.fc2.bias')!.dispose();
    weights.delete('model.decoder.layers.1.fc2.bias');
    const extra = tf.zeros([32]);
    weights.set('model.encoder.layers.2.fc1.bias', extra);
    const broken = path.join(tmp, 'broken');
    await saveCheckpoint(broken, { config, weights });
    const error = await BartForConditionalGeneration.fromPretrained(broken).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateDictError);
    expect((error as StateDictError).missing).toEqual(['model.decoder.layers.1.fc2.bias']);
    expect((error as StateDictError).unexpected).toEqual(['model.encoder.layers.2.fc1.bias']);
    const lenient = await BartForConditionalGeneration.fromPretrained(broken, { strict: false });
    expect(lenient.loadReport.missing).toEqual(['model.decoder.layers.1.fc2.bias']);
    lenient.dispose();
    tf.dispose([...weights.values()]);
  });
});
