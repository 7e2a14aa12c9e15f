import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeaks, fixturePath, tempFolders } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { CheckpointError, ConfigError, SafetensorsError } from '../errors.js';
import type { Checkpoint } from '../model-types.js';
import { serializeSafetensors } from '../safetensors/format.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';

const tempDir = tempFolders('checkpoint');

const dispose = (c: { weights: Map<string, tf.Tensor> }) => c.weights.forEach((t) => t.dispose());

function tinyWeights(): Map<string, tf.Tensor> {
  return new Map<string, tf.Tensor>([
    ['encoder.weight', tf.tensor2d([[1, 2, 3], [4, 5, 6]])], // 24 bytes
    ['encoder.bias', tf.tensor1d([0.5, -0.5])], // 8
    ['decoder.weight', tf.tensor2d([[1, 0], [0, 1], [2, 2]])], // 24
    ['position_ids', tf.tensor1d([0, 1, 2, 3], 'int32')], // 16
    ['mask', tf.tensor1d([true, false], 'bool')], // 2
  ]);
}

function expectSameWeights(actual: Map<string, tf.Tensor>, expected: Map<string, tf.Tensor>) {
  expect(new Set(actual.keys())).toEqual(new Set(expected.keys()));
  for (const [name, t] of expected) {
    const u = actual.get(name)!;
    expect([u.dtype, u.shape], name).toEqual([t.dtype, t.shape]);
    expect(Array.from(u.dataSync()), name).toEqual(Array.from(t.dataSync()));
  }
}

describe('loadCheckpoint', () => {
  it('reads config, generation config and weights of every fixture model', async () => {
    for (const name of fs.readdirSync(fixturePath('models'))) {
      const dir = fixturePath('models', name);
      await expectNoLeaks(async () => {
        const checkpoint = await loadCheckpoint(dir);
        expect(checkpoint.source).toBe(dir);
        expect(checkpoint.config).toEqual(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')));
        const generation = path.join(dir, 'generation_config.json');
        expect(checkpoint.generationConfig).toEqual(fs.existsSync(generation) ? JSON.parse(fs.readFileSync(generation, 'utf8')) : undefined);
        expect(checkpoint.metadata).toEqual({ format: 'pt' });
        expect(checkpoint.weights.size).toBeGreaterThan(10);
        expect(await checkpoint.files.exists('inputs.json')).toBe(true);
        dispose(checkpoint);
      }, name);
    }
  });

  it('re-saves a Hugging Face checkpoint to the byte-identical model.safetensors', async () => {
    const dir = tempDir();
    const source = fixturePath('models', 'gpt2-lm');
    const checkpoint = await loadCheckpoint(source);
    await saveCheckpoint(dir, { config: checkpoint.config, weights: checkpoint.weights, generationConfig: checkpoint.generationConfig });
    dispose(checkpoint);
    expect(fs.readFileSync(path.join(dir, 'model.safetensors')).equals(fs.readFileSync(path.join(source, 'model.safetensors')))).toBe(true);
    // Hugging Face writes JSON with sorted keys, a two-space indent and a trailing newline.
    const config = fs.readFileSync(path.join(dir, 'config.json'), 'utf8');
    expect(config).toBe(`${JSON.stringify(JSON.parse(config), null, 2)}\n`);
    expect(Object.keys(JSON.parse(config))).toEqual(Object.keys(JSON.parse(config)).sort());
    expect(JSON.parse(config)).toEqual(JSON.parse(fs.readFileSync(path.join(source, 'config.json'), 'utf8')));
  });

  it('names the file and the field of a malformed config', async () => {
    const cases: [string, RegExp][] = [
      ['{"model_type": "bert",', /config\.json: not valid JSON/],
      ['[1, 2]', /config\.json: expected a JSON object, got an array/],
      ['{"model_type": 5}', /config\.json: "model_type" must be a string, got number 5/],
      ['{"model_type": "bert", "architectures": "BertModel"}', /config\.json: "architectures" must be a list of class names, got the string "BertModel"/],
    ];
    for (const [text, message] of cases) {
      const dir = tempDir();
      fs.writeFileSync(path.join(dir, 'config.json'), text);
      fs.writeFileSync(path.join(dir, 'model.safetensors'), serializeSafetensors({}));
      const error = await loadCheckpoint(dir).catch((e: unknown) => e);
      expect(error, text).toBeInstanceOf(ConfigError);
      expect((error as Error).message, text).toMatch(new RegExp(`^${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/${message.source}`));
    }
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'config.json'), '{}');
    fs.writeFileSync(path.join(dir, 'generation_config.json'), '"greedy"');
    await expect(loadCheckpoint(dir)).rejects.toThrow(/generation_config\.json: expected a JSON object/);
  });

  it('explains missing weights, and never reads a pickle', async () => {
    const dir = tempDir();
    await expect(loadCheckpoint(dir)).rejects.toThrow(`${dir}: file "config.json" not found`);
    fs.writeFileSync(path.join(dir, 'config.json'), '{"model_type": "bert"}');
    await expect(loadCheckpoint(dir)).rejects.toThrow(`${dir}: no model.safetensors or model.safetensors.index.json.`);
    fs.writeFileSync(path.join(dir, 'pytorch_model.bin'), 'not read');
    const error = await loadCheckpoint(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as Error).message).toMatch(/pytorch_model\.bin, a pickle that tfkit never executes: re-save it with save_pretrained\(dir, safe_serialization=True\)/);
  });

  it('reports a truncated weights file with the file name', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'config.json'), '{}');
    fs.writeFileSync(path.join(dir, 'model.safetensors'), fs.readFileSync(fixturePath('models', 'gpt2-lm', 'model.safetensors')).subarray(0, 5000));
    const error = await loadCheckpoint(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SafetensorsError);
    expect((error as SafetensorsError).file).toBe(`${dir}/model.safetensors`);
    expect((error as Error).message).toMatch(/run past the end of the data/);
  });
});

describe('saveCheckpoint', () => {
  it('round-trips config, generation config, metadata and weights of every dtype', async () => {
    await expectNoLeaks(async () => {
      const dir = path.join(tempDir(), 'nested', 'out');
      const weights = tinyWeights();
      const config = { model_type: 'tiny', architectures: ['TinyModel'], hidden_size: 3, nested: { b: 1, a: [2] } };
      await saveCheckpoint(dir, { config, weights, generationConfig: { max_length: 5 }, metadata: { step: '12' } });
      expect(fs.readdirSync(dir).sort()).toEqual(['config.json', 'generation_config.json', 'model.safetensors']);
      const checkpoint = await loadCheckpoint(dir);
      expect(checkpoint.config).toEqual(config);
      expect(checkpoint.generationConfig).toEqual({ max_length: 5 });
      expect(checkpoint.metadata).toEqual({ format: 'pt', step: '12' });
      expectSameWeights(checkpoint.weights, weights);
      dispose(checkpoint);
      weights.forEach((t) => t.dispose());
    });
  });

  it('shards by maxShardSize, writes the index as Hugging Face does, and loads the shards back', async () => {
    await expectNoLeaks(async () => {
      const dir = tempDir();
      const weights = tinyWeights();
      await saveCheckpoint(dir, { config: { model_type: 'tiny' }, weights, maxShardSize: '0.032KB', metadata: { step: '3' } });
      const files = fs.readdirSync(dir).sort();
      expect(files).toEqual(['config.json', 'model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors', 'model.safetensors.index.json']);
      const index = JSON.parse(fs.readFileSync(path.join(dir, 'model.safetensors.index.json'), 'utf8'));
      // 32 bytes per shard, filled greedily in state-dict order: [24 + 8] [24] [16 + 2].
      expect(index).toEqual({
        metadata: { total_size: 74 },
        weight_map: {
          'decoder.weight': 'model-00002-of-00003.safetensors',
          'encoder.bias': 'model-00001-of-00003.safetensors',
          'encoder.weight': 'model-00001-of-00003.safetensors',
          mask: 'model-00003-of-00003.safetensors',
          position_ids: 'model-00003-of-00003.safetensors',
        },
      });
      expect(Object.keys(index.weight_map)).toEqual(Object.keys(index.weight_map).sort());
      const checkpoint = await loadCheckpoint(dir);
      expectSameWeights(checkpoint.weights, weights);
      expect(checkpoint.metadata).toEqual({ format: 'pt', step: '3' });
      dispose(checkpoint);

      // Saving unsharded over it removes the shards and the index, and vice versa.
      await saveCheckpoint(dir, { config: { model_type: 'tiny' }, weights });
      expect(fs.readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors']);
      await saveCheckpoint(dir, { config: { model_type: 'tiny' }, weights, maxShardSize: 60 });
      expect(fs.readdirSync(dir).sort()).toEqual(['config.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'model.safetensors.index.json']);
      const again = await loadCheckpoint(dir);
      expectSameWeights(again.weights, weights);
      dispose(again);
      weights.forEach((t) => t.dispose());
    });
  });

  it('keeps a single file when everything fits in one shard, and rejects a bad size', async () => {
    const dir = tempDir();
    const weights = tinyWeights();
    await saveCheckpoint(dir, { config: {}, weights, maxShardSize: '1GiB' });
    expect(fs.readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors']);
    await expect(saveCheckpoint(dir, { config: {}, weights, maxShardSize: '5 parsecs' })).rejects.toThrow(/"maxShardSize" must be a positive size/);
    await expect(saveCheckpoint(dir, { config: {}, weights, maxShardSize: 0 })).rejects.toThrow(ConfigError);
    weights.forEach((t) => t.dispose());
  });

  it('rejects an index that disagrees with its shards, leaking nothing', async () => {
    const weights = tinyWeights();
    for (const [label, edit, message] of [
      ['a listed tensor missing from its shard', (m: Record<string, string>) => ({ ...m, ghost: 'model-00001-of-00003.safetensors' }), /places "ghost" in model-00001-of-00003\.safetensors, which does not hold it/],
      ['a shard tensor the index omits', (m: Record<string, string>) => ({ ...m, 'encoder.bias': undefined }), /model-00001-of-00003\.safetensors: holds tensor "encoder\.bias", which model\.safetensors\.index\.json does not list/],
      // position_ids first, so its shard (the one really holding "mask") is read first.
      ['a tensor placed in another shard', (m: Record<string, string>) => ({ position_ids: m['position_ids'], ...m, mask: 'model-00001-of-00003.safetensors' }), /model-00003-of-00003\.safetensors: holds tensor "mask", which model\.safetensors\.index\.json places in "model-00001-of-00003\.safetensors"/],
      ['a missing shard file', (m: Record<string, string>) => ({ ...m, extra: 'model-00009-of-00009.safetensors' }), /file "model-00009-of-00009\.safetensors" not found/],
      ['a weight_map that is not an object', () => 'all' as unknown as Record<string, string>, /"weight_map" must be an object/],
    ] as const) {
      const dir = tempDir();
      await saveCheckpoint(dir, { config: {}, weights, maxShardSize: 32 });
      const file = path.join(dir, 'model.safetensors.index.json');
      const index = JSON.parse(fs.readFileSync(file, 'utf8'));
      fs.writeFileSync(file, JSON.stringify({ ...index, weight_map: edit(index.weight_map) }));
      await expectNoLeaks(async () => {
        const error = await loadCheckpoint(dir).catch((e: unknown) => e);
        expect(error, label).toBeInstanceOf(CheckpointError);
        expect((error as Error).message, label).toMatch(message);
      }, label);
    }
    weights.forEach((t) => t.dispose());
  });

  it('stores int32 weights as I64 when asked (PyTorch ids), and reads them back as int32', async () => {
    const dir = tempDir();
    const ids = tf.tensor1d([1, 2, 3], 'int32');
    await saveCheckpoint(dir, { config: {}, weights: new Map([['ids', ids]]), int32As: 'I64' });
    const header = fs.readFileSync(path.join(dir, 'model.safetensors')).toString('utf8', 8, 80);
    expect(header).toContain('"dtype":"I64"');
    const checkpoint: Checkpoint = await loadCheckpoint(dir);
    expectSameWeights(checkpoint.weights, new Map([['ids', ids]]));
    dispose(checkpoint);
    ids.dispose();
  });
});
