import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeaks } from '@tfkit/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AutoModel } from './auto-model.js';
import { pipeline } from './pipeline.js';
import { CheckpointError, ConfigError, NoBackendError, ShapeError } from './errors.js';
import { saveCheckpoint } from './io/checkpoint.js';
import type { Checkpoint, FromPretrainedOptions, PretrainedModel } from './model-types.js';
import { createRegistry, type Registry } from './registry/registry.js';

/** A one-matrix "model": enough to see which architecture was built, with which config and weights. */
class Toy implements PretrainedModel {
  readonly modelType = 'toy';
  readonly weight: tf.Tensor;
  constructor(
    readonly architecture: string,
    readonly config: Record<string, unknown>,
    checkpoint: Checkpoint,
  ) {
    const w = checkpoint.weights.get('toy.weight');
    if (!w) throw new Error('toy.weight is missing');
    this.weight = tf.clone(w);
  }
  async savePretrained(dir: string) {
    await saveCheckpoint(dir, { config: { ...this.config, architectures: [this.architecture] }, weights: new Map([['toy.weight', this.weight]]) });
  }
  dispose() {
    this.weight.dispose();
  }
}

function toyRegistry(): Registry {
  const registry = createRegistry();
  const arch = (name: string) => ({ fromCheckpoint: (c: Checkpoint) => new Toy(name, c.config, c) });
  registry.model.register('toy', {
    architectures: {
      ToyModel: arch('ToyModel'),
      ToyForRegression: arch('ToyForRegression'),
      ToyBroken: { fromCheckpoint: () => Promise.reject(new Error('layer 3 has no bias')) },
      ToyShapes: {
        fromCheckpoint: () => {
          throw new ShapeError('toy.weight: expected [2, 2]');
        },
      },
    },
    defaultArchitecture: 'ToyModel',
  });
  registry.model.register('other', { architectures: {}, defaultArchitecture: 'Other' });
  return registry;
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-auto-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

async function checkpointDir(name: string, config: Record<string, unknown>): Promise<string> {
  const dir = path.join(root, name);
  const weight = tf.tensor2d([[1, 2], [3, 4]]);
  await saveCheckpoint(dir, { config, weights: new Map([['toy.weight', weight]]) });
  weight.dispose();
  return dir;
}

describe('AutoModel.fromPretrained', () => {
  let registry: Registry;
  let options: FromPretrainedOptions;
  beforeAll(() => {
    registry = toyRegistry();
    options = { registry };
  });

  it('builds the architecture named by config.architectures and loads its weights, keeping no checkpoint tensor', async () => {
    const dir = await checkpointDir('regression', { model_type: 'toy', architectures: ['ToyForRegression'], hidden: 2 });
    await expectNoLeaks(async () => {
      const model = await AutoModel.fromPretrained<Toy>(dir, options);
      expect(model).toBeInstanceOf(Toy);
      expect(model.architecture).toBe('ToyForRegression');
      expect(model.config).toEqual({ model_type: 'toy', architectures: ['ToyForRegression'], hidden: 2 });
      expect(Array.from(model.weight.dataSync())).toEqual([1, 2, 3, 4]);
      model.dispose();
    });
  });

  it('uses the family default without architectures, an explicit architecture, and config overrides', async () => {
    const dir = await checkpointDir('plain', { model_type: 'toy', hidden: 2 });
    const plain = await AutoModel.fromPretrained<Toy>(dir, options);
    expect(plain.architecture).toBe('ToyModel');
    plain.dispose();
    const chosen = await AutoModel.fromPretrained<Toy>(dir, { ...options, architecture: 'ToyForRegression', configOverrides: { hidden: 5, extra: true } });
    expect(chosen.architecture).toBe('ToyForRegression');
    expect(chosen.config).toEqual({ model_type: 'toy', hidden: 5, extra: true });
    // A model saved by tfkit loads again.
    await chosen.savePretrained(path.join(root, 'resaved'));
    chosen.dispose();
    const again = await AutoModel.fromPretrained<Toy>(path.join(root, 'resaved'), options);
    expect([again.architecture, again.config['hidden']]).toEqual(['ToyForRegression', 5]);
    again.dispose();
  });

  it('names the unknown model_type and lists the registered ones', async () => {
    const dir = await checkpointDir('unknown', { model_type: 'llama', architectures: ['LlamaForCausalLM'] });
    await expectNoLeaks(async () => {
      const error = await AutoModel.fromPretrained(dir, options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toBe(
        `${dir}/config.json: model_type "llama" is not registered. Registered: toy, other. Install and register its family, e.g. registerBert(registry).`,
      );
    });
    const empty = await AutoModel.fromPretrained(dir, { registry: createRegistry() }).catch((e: Error) => e.message);
    expect(empty).toMatch(/Registered: \(none\)/);
    await expect(AutoModel.fromPretrained(await checkpointDir('untyped', { hidden: 2 }), options)).rejects.toThrow(/"model_type" is missing or not a string/);
  });

  it('names the unknown architecture and lists the family\'s', async () => {
    const dir = await checkpointDir('bad-arch', { model_type: 'toy', architectures: ['ToyForVision'] });
    await expectNoLeaks(async () => {
      const error = await AutoModel.fromPretrained(dir, options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toBe(
        `${dir}/config.json: architecture "ToyForVision" is not provided by model_type "toy". Known: ToyModel, ToyForRegression, ToyBroken, ToyShapes`,
      );
    });
    await expect(AutoModel.fromPretrained(dir, { ...options, architecture: 'Nope' })).rejects.toThrow(/architecture "Nope" is not provided/);
  });

  it('never reaches the prototype chain: architectures or model_type naming Object members are unknown keys', async () => {
    for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      const dir = await checkpointDir(`proto-arch-${name}`, { model_type: 'toy', architectures: [name] });
      await expectNoLeaks(async () => {
        const error = await AutoModel.fromPretrained(dir, options).catch((e: unknown) => e);
        expect(error, name).toBeInstanceOf(ConfigError);
        expect((error as Error).message).toBe(`${dir}/config.json: architecture "${name}" is not provided by model_type "toy". Known: ToyModel, ToyForRegression, ToyBroken, ToyShapes`);
      });
      const plain = await checkpointDir(`proto-plain-${name}`, { model_type: 'toy' });
      await expect(AutoModel.fromPretrained(plain, { ...options, architecture: name })).rejects.toThrow(`architecture "${name}" is not provided`);
      const typeDir = await checkpointDir(`proto-type-${name}`, { model_type: name });
      const error = await AutoModel.fromPretrained(typeDir, options).catch((e: unknown) => e);
      expect(error, name).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toBe(`${typeDir}/config.json: model_type "${name}" is not registered. Registered: toy, other. Install and register its family, e.g. registerBert(registry).`);
    }
  });

  it('wraps a builder failure in a CheckpointError naming source and class; typed errors pass through', async () => {
    const dir = await checkpointDir('broken', { model_type: 'toy' });
    await expectNoLeaks(async () => {
      const error = await AutoModel.fromPretrained(dir, { ...options, architecture: 'ToyBroken' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CheckpointError);
      expect((error as Error).message).toBe(`${dir}: building ToyBroken failed: layer 3 has no bias`);
      await expect(AutoModel.fromPretrained(dir, { ...options, architecture: 'ToyShapes' })).rejects.toBeInstanceOf(ShapeError);
    });
  });

  it('from plain JavaScript: missing options or registry is a ConfigError saying what to pass, not a TypeError', async () => {
    const dir = await checkpointDir('no-options', { model_type: 'toy', architectures: ['ToyForRegression'], hidden: 2 });
    const call = AutoModel.fromPretrained as (source: string, options?: unknown) => Promise<unknown>;
    for (const bad of [undefined, {}, { registry: 3 }]) {
      const error = await call(dir, bad).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/^AutoModel\.fromPretrained: options\.registry is required/);
    }
    const bare = pipeline as (task: string, model?: string, options?: unknown) => Promise<unknown>;
    const error = await bare('fill-mask', dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^pipeline\("fill-mask"\): options\.registry is required/);
  });

  it('with no TensorFlow.js backend registered, says which package to install and what to call', async () => {
    const dir = await checkpointDir('no-backend', { model_type: 'toy', architectures: ['ToyForRegression'], hidden: 2 });
    const engine = tf.engine();
    const saved = engine.registryFactory;
    engine.registryFactory = {};
    try {
      const error = await AutoModel.fromPretrained(dir, options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NoBackendError);
      expect((error as Error).message).toMatch(/no TensorFlow\.js backend is registered\. Install one \(npm i @tensorflow\/tfjs-backend-wasm/);
    } finally {
      engine.registryFactory = saved;
    }
  });
});
