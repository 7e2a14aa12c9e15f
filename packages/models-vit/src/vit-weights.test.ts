import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createRegistry, safetensorsToTensors, saveCheckpoint, AutoModel } from '@tfkit/core-tensor';
import { StateDictError } from '@tfkit/layers';
import { expectAllClose, expectNoLeaks, fixturePath, readFixtureJson } from '@tfkit/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { ViTForImageClassification } from './vit-heads.js';
import { ViTModel } from './vit-modeling.js';
import { registerViT } from './vit-register.js';

const NAME = 'vit-image-classification';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-vit-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function readWeights(file: string) {
  return safetensorsToTensors(fs.readFileSync(file), file).tensors;
}

const pixelValues = () => readFixtureJson<{ forward: { pixel_values: number[][][][] } }>('models', NAME, 'inputs.json').forward.pixel_values;

describe('ViT save → load', () => {
  it('writes the Hugging Face file back exactly: same names, shapes and values, every config key kept', async () => {
    const model = await ViTForImageClassification.fromPretrained(fixturePath('models', NAME));
    const dir = path.join(tmp, 'round-trip');
    await expectNoLeaks(() => model.savePretrained(dir), 'savePretrained');
    const original = readWeights(fixturePath('models', NAME, 'model.safetensors'));
    const saved = readWeights(path.join(dir, 'model.safetensors'));
    expect([...saved.keys()].sort()).toEqual([...original.keys()].sort());
    for (const [name, t] of original) {
      expect(saved.get(name)!.shape, name).toEqual(t.shape);
      expectAllClose(saved.get(name)!, t, { atol: 0, label: name });
    }
    const json = readFixtureJson<Record<string, unknown>>('models', NAME, 'config.json');
    const written = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(written).toEqual(json);

    const again = await ViTForImageClassification.fromPretrained(dir);
    await expectNoLeaks(() => tf.tidy(() => {
      const px = pixelValues();
      expectAllClose(again.forward({ pixelValues: px }).logits, model.forward({ pixelValues: px }).logits, { atol: 0 });
    }));
    tf.dispose([...original.values(), ...saved.values()]);
    model.dispose();
    again.dispose();
  });

  it('a freshly built model saves the names and shapes transformers expects and loads back through AutoModel', async () => {
    const config = readFixtureJson<Record<string, unknown>>('models', NAME, 'config.json');
    const fresh = new ViTForImageClassification({ hiddenSize: 32, numHiddenLayers: 2, numAttentionHeads: 4, intermediateSize: 64, imageSize: 32, patchSize: 8, numLabels: 3 }, { seed: 3 });
    const dir = path.join(tmp, 'fresh');
    await fresh.savePretrained(dir);
    const saved = readWeights(path.join(dir, 'model.safetensors'));
    const original = readWeights(fixturePath('models', NAME, 'model.safetensors'));
    expect(Object.fromEntries([...saved].map(([n, t]) => [n, t.shape]))).toEqual(Object.fromEntries([...original].map(([n, t]) => [n, t.shape])));
    const written = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    for (const key of ['architectures', 'model_type', 'hidden_size', 'image_size', 'patch_size', 'num_channels', 'qkv_bias', 'id2label', 'label2id']) {
      expect(written[key], key).toEqual(config[key]);
    }
    const loaded = await AutoModel.fromPretrained<ViTForImageClassification>(dir, { registry: registerViT(createRegistry()) });
    for (const [name, p] of fresh.namedParameters()) expectAllClose(loaded.namedParameters().find(([n]) => n === name)![1].variable, p.variable, { atol: 0, label: name });
    tf.dispose([...saved.values(), ...original.values()]);
    fresh.dispose();
    loaded.dispose();
  });

  it('a ViTModel checkpoint gives a classifier a new head; missing backbone weights and other head sizes are errors naming them', async () => {
    const base = await ViTModel.fromPretrained(fixturePath('models', NAME));
    const baseDir = path.join(tmp, 'base');
    await base.savePretrained(baseDir);
    const baseNames = [...readWeights(path.join(baseDir, 'model.safetensors')).entries()].map(([n, t]) => (t.dispose(), n));
    expect(baseNames).toContain('embeddings.cls_token');
    expect(baseNames).toContain('pooler.dense.weight');
    expect(baseNames.some((n) => n.startsWith('vit.'))).toBe(false);

    const classifier = await ViTForImageClassification.fromPretrained(baseDir, { configOverrides: { num_labels: 5 } });
    expect(classifier.loadReport.missing.sort()).toEqual(['classifier.bias', 'classifier.weight']);
    expect(classifier.loadReport.unexpected.sort()).toEqual(['vit.pooler.dense.bias', 'vit.pooler.dense.weight']);
    const w = classifier.classifier.weight.variable;
    const [mean, std] = tf.tidy(() => { const m = tf.moments(w); return [m.mean.dataSync()[0]!, Math.sqrt(m.variance.dataSync()[0]!)]; });
    expect(Math.abs(mean)).toBeLessThan(0.1);
    expect(std).toBeGreaterThan(0.15); // N(0, initializer_range = 0.25)
    expect(std).toBeLessThan(0.35);
    expectAllClose(classifier.vit.embeddings.cls_token.variable, base.embeddings.cls_token.variable, { atol: 0 });
    classifier.dispose();

    // Five labels against the file's three: mis-shaped unless asked to start the head anew.
    await expect(ViTForImageClassification.fromPretrained(fixturePath('models', NAME), { configOverrides: { num_labels: 5 } }))
      .rejects.toThrow(/classifier\.weight \(expected \[5,32\], got \[3,32\]\).*ignoreMismatchedSizes/);
    const resized = await ViTForImageClassification.fromPretrained(fixturePath('models', NAME), { configOverrides: { num_labels: 5 }, ignoreMismatchedSizes: true });
    expect(resized.loadReport.mismatched.map((m) => m.name).sort()).toEqual(['classifier.bias', 'classifier.weight']);
    expect(resized.classifier.outFeatures).toBe(5);
    resized.dispose();

    const weights = readWeights(fixturePath('models', NAME, 'model.safetensors'));
    weights.get('vit.encoder.layer.1.layernorm_after.weight')!.dispose();
    weights.delete('vit.encoder.layer.1.layernorm_after.weight');
    const broken = path.join(tmp, 'broken');
    await saveCheckpoint(broken, { config: readFixtureJson('models', NAME, 'config.json'), weights });
    const error = await ViTForImageClassification.fromPretrained(broken).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateDictError);
    expect((error as StateDictError).missing).toEqual(['vit.encoder.layer.1.layernorm_after.weight']);
    const lenient = await ViTForImageClassification.fromPretrained(broken, { strict: false });
    expect(lenient.loadReport.missing).toEqual(['vit.encoder.layer.1.layernorm_after.weight']);
    tf.tidy(() => expectAllClose(lenient.vit.encoder.layer.at(1).layernorm_after.weight!.variable, tf.ones([32]), { atol: 0 }));
    lenient.dispose();
    tf.dispose([...weights.values()]);
    base.dispose();
  });
});
