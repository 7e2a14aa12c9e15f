/**
 * The facts each family puts on its registry entry fit its real checkpoints: the layer naming
 * finds every layer and the embeddings, LoRA's default targets exist, the init rules and the
 * position limit read the right config keys. Shared code (finetune, pipelines) relies on them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { AutoModel, createRegistry, type HfConfig } from '@tfkit/core-tensor';
import { countLayers, depthOf, reinitTopLayers, type LoraModel } from '@tfkit/finetune';
import type { Module } from '@tfkit/layers';
import { expectNoLeaks, fixturePath } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { registerAll } from './register-all.js';

const registry = registerAll(createRegistry());

const std = (t: tf.Tensor) => tf.tidy(() => tf.sqrt(tf.moments(t).variance).dataSync()[0]!);

describe.each([
  // fixture, LoRA-wrapped layers (2 layers; BART: encoder self, decoder self and cross attention), position limit
  ['bert-for-pretraining', 4, 64],
  ['gpt2-lm', 2, 128],
  ['bart-conditional-generation', 12, 64],
  ['vit-image-classification', 4, (32 / 8) ** 2 + 1],
] as const)('family facts of %s', (name, loraLayers, positions) => {
  it('layer naming, LoRA targets and positions fit the checkpoint', async () => {
    await expectNoLeaks(async () => {
      const model = (await AutoModel.fromPretrained(fixturePath('models', name), { registry })) as unknown as Module & { modelType: string; hfConfig: HfConfig };
      const entry = registry.model.get(model.modelType);
      expect(countLayers(model, entry.layerNaming)).toBe(2);
      const names = model.namedParameters().map(([n]) => n);
      const embeddings = names.filter((n) => depthOf(n, entry.layerNaming).kind === 'embeddings');
      expect(embeddings.length).toBeGreaterThan(0);
      for (const n of embeddings) expect(n).toMatch(/embed|wte|wpe|shared/);
      for (const n of names.filter((x) => /\.(layer|h|layers)\.\d+\./.test(x))) expect(depthOf(n, entry.layerNaming).kind, n).toBe('layer');
      expect(entry.maxPositions?.(model.hfConfig)).toBe(positions);
      const lora = registry.adapter.get('lora').apply(model, { r: 2 }) as LoraModel;
      expect(lora.loraLayers()).toHaveLength(loraLayers);
      lora.dispose();
      model.dispose();
    });
  });
});

describe('init rules', () => {
  it('GPT-2 re-initialises residual projections at std/√(2·layers); BART reads init_std', async () => {
    const gpt2 = (await AutoModel.fromPretrained(fixturePath('models', 'gpt2-lm'), { registry })) as unknown as Module;
    expect(reinitTopLayers(gpt2, { topLayers: 1, registry, seed: 1 })).toContain('transformer.h.1.mlp.c_proj');
    const weight = (m: Module, path: string) => (m.getModule(path) as unknown as { weight: { value: tf.Tensor } }).weight.value;
    expect(std(weight(gpt2, 'transformer.h.1.mlp.c_proj'))).toBeCloseTo(0.3 / Math.sqrt(4), 1); // initializer_range 0.3, 2 layers
    expect(std(weight(gpt2, 'transformer.h.1.mlp.c_fc'))).toBeCloseTo(0.3, 1);
    gpt2.dispose();
    const bart = (await AutoModel.fromPretrained(fixturePath('models', 'bart-conditional-generation'), { registry })) as unknown as Module;
    reinitTopLayers(bart, { topLayers: 1, registry, seed: 1 });
    expect(std(weight(bart, 'model.encoder.layers.1.fc1'))).toBeCloseTo(0.2, 1); // init_std 0.2
    bart.dispose();
  });
});
