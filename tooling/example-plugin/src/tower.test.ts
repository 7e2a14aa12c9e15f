import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { AutoModel, createRegistry, pipeline, saveCheckpoint, type Registry } from '@tfkit/core-tensor';
import type { LoraModel} from '@tfkit/finetune';
import { AdamW, freezeLayers, layerwiseLrScale, registerFinetune, reinitTopLayers } from '@tfkit/finetune';
import { expectAllClose, expectNoLeaks } from '@tfkit/test-utils';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import type { ExampleRegressionPipeline} from './index.js';
import { ExampleTowerForRegression, registerExamplePlugin } from './index.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-example-tower-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const rows = [
  [0.5, -1, 2],
  [1, 1, 1],
  [-3, 0.25, 0],
];
let towerDir = '';
let mlpDir = '';

beforeAll(async () => {
  const tower = new ExampleTowerForRegression({ inputSize: 3, hiddenSize: 32, numTiers: 4, initStd: 0.3 }, { seed: 5 });
  towerDir = path.join(root, 'tower');
  await tower.savePretrained(towerDir);
  tower.dispose();
  // An example-mlp checkpoint saved under its base architecture: the task loads it with its head anyway.
  const mlp = new Map<string, tf.Tensor>([
    ['mlp.fc1.weight', tf.tensor2d([[1, 0, -1], [0.5, 0.5, 0.5]])],
    ['mlp.fc1.bias', tf.tensor1d([0, 0.1])],
    ['head.weight', tf.tensor2d([[2, -1]])],
    ['head.bias', tf.tensor1d([0.25])],
  ]);
  mlpDir = path.join(root, 'mlp');
  await saveCheckpoint(mlpDir, { config: { model_type: 'example-mlp', input_size: 3, hidden_size: 2, hidden_act: 'relu' }, weights: mlp });
  mlp.forEach((t) => t.dispose());
});

function registry(): Registry {
  const r = createRegistry();
  registerExamplePlugin(r);
  registerFinetune(r);
  return r;
}

const load = (r: Registry) => AutoModel.fromPretrained<ExampleTowerForRegression>(towerDir, { registry: r });
const predict = (m: ExampleTowerForRegression) => tf.tidy(() => Array.from(m.predict(tf.tensor2d(rows)).dataSync()));

describe('a third-party task through pipeline()', () => {
  it('serves example-regression for both of the plugin’s model types, each loaded as its task class', async () => {
    const r = registry();
    expect(r.task.get('example-regression').modelTypes).toEqual(['example-mlp', 'example-tower']);
    await expectNoLeaks(async () => {
      const tower = await pipeline('example-regression', towerDir, { registry: r });
      expectTypeOf(tower).toEqualTypeOf<ExampleRegressionPipeline>();
      const direct = await load(r);
      expectAllClose(tower.call(rows), predict(direct), { atol: 1e-6 });
      direct.dispose();
      tower.dispose();

      const mlp = await pipeline('example-regression', mlpDir, { registry: r });
      expect(mlp.model.architecture).toBe('ExampleMlpForRegression');
      // relu(W·x + b) then 2·h0 − h1 + 0.25, by hand.
      const expected = rows.map(([a, b, c]) => {
        const h0 = Math.max(0, a! - c!);
        const h1 = Math.max(0, 0.5 * (a! + b! + c!) + 0.1);
        return 2 * h0 - h1 + 0.25;
      });
      expectAllClose(mlp.call(rows), expected, { atol: 1e-6 });
      mlp.dispose();
    });
  });
});

describe('fine-tuning defaults from the family’s registry entry', () => {
  it('layer-wise LR decay and freezing find tiers.{i} and intake only through the entry', async () => {
    const r = registry();
    const model = await load(r);
    expect(() => layerwiseLrScale(model, { decay: 0.5 })).toThrow(/no layer index found/);
    const scale = layerwiseLrScale(model, { decay: 0.5, registry: r });
    expect(['head.weight', 'tiers.3.ff.weight', 'tiers.2.norm.bias', 'tiers.0.out.weight', 'intake.weight'].map(scale)).toEqual([1, 1, 0.5, 0.125, 0.0625]);
    expect(freezeLayers(model, { embeddings: true, bottomLayers: 2 })).toEqual([]);
    const frozen = r.adapter.get('freeze').apply(model, { embeddings: true, bottomLayers: 2 }) as string[];
    expect(new Set(frozen.map((n) => n.split('.').slice(0, 2).join('.')))).toEqual(new Set(['intake.weight', 'intake.bias', 'tiers.0', 'tiers.1']));
    expect(model.namedParameters({ trainableOnly: true }).map(([n]) => n).filter((n) => n.startsWith('tiers.'))[0]).toBe('tiers.2.ff.weight');
    model.dispose();
  });

  it('LoRA targets the family’s default modules, starts as the base model and trains only the adapters', async () => {
    const r = registry();
    const model = await load(r);
    const before = predict(model);
    const lora = r.adapter.get('lora').apply(model, { r: 2, loraAlpha: 4 }) as LoraModel;
    expect(lora.loraLayers().map(([p]) => p)).toEqual(['tiers.0.ff', 'tiers.1.ff', 'tiers.2.ff', 'tiers.3.ff']);
    expectAllClose(predict(model), before, { atol: 1e-6 }); // B starts at zero
    const trainable = model.namedParameters({ trainableOnly: true });
    expect(trainable.every(([n]) => /\.lora_[AB]\./.test(n))).toBe(true);
    const opt = new AdamW(trainable, { lr: 0.05 });
    const target = tf.tensor1d([1, -1, 0.5]);
    const x = tf.tensor2d(rows);
    const { value, grads } = tf.variableGrads(() => tf.losses.meanSquaredError(target, model.predict(x)) as tf.Scalar, trainable.map(([, p]) => p.value));
    opt.step(new Map(trainable.map(([n, p]) => [n, grads[p.value.name] as tf.Tensor])));
    tf.dispose([target, x, value, ...Object.values(grads)]);
    expect(Math.max(...predict(model).map((v, i) => Math.abs(v - before[i]!)))).toBeGreaterThan(1e-4);
    opt.dispose();
    lora.dispose();
    model.dispose();
  });

  it('re-initialises the top tier with the family’s init rules (std from init_std, residual projection scaled)', async () => {
    const r = registry();
    const model = new ExampleTowerForRegression({ inputSize: 3, hiddenSize: 128, numTiers: 4, initStd: 0.3 }, { hfConfig: { init_std: 0.05 } });
    const std = (t: tf.Tensor) => tf.tidy(() => tf.sqrt(tf.moments(t).variance).dataSync()[0]!);
    const paths = reinitTopLayers(model, { topLayers: 1, registry: r, seed: 3 });
    expect(paths).toEqual(['tiers.3.ff', 'tiers.3.out', 'tiers.3.norm']);
    expect(std(model.tiers.at(3).ff.weight.value)).toBeCloseTo(0.05, 2);
    expect(std(model.tiers.at(3).out.weight.value)).toBeCloseTo(0.05 / Math.sqrt(8), 2);
    expect(std(model.tiers.at(2).ff.weight.value)).toBeCloseTo(0.3, 1);
    model.dispose();
  });
});
