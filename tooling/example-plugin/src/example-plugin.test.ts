import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { AutoModel, ConfigError, createRegistry, Random, saveCheckpoint, type ModelArchitecture } from '@tfkit/core-tensor';
import { expectAllClose, expectNoLeaks } from '@tfkit/test-utils';
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import { ExampleMlpForRegression, ExampleMlpModel, examplePlugin, registerExamplePlugin, type ExampleRegressionPipeline } from './index.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-example-plugin-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const INPUT = 3;
const HIDDEN = 4;
const rng = new Random(17);
const matrix = (rows: number, cols: number) => Array.from({ length: rows }, () => Array.from({ length: cols }, () => rng.normal(0, 1)));
// PyTorch layouts: Linear weights are [out, in].
const fc1 = matrix(HIDDEN, INPUT);
const fc1Bias = matrix(1, HIDDEN)[0]!;
const head = matrix(1, HIDDEN);
const headBias = [0.25];

/** The same network in plain JavaScript, from the PyTorch-layout numbers. */
function reference(rows: number[][]): number[] {
  return rows.map((x) => {
    const hidden = fc1.map((w, j) => Math.max(0, w.reduce((a, wi, i) => a + wi * x[i]!, fc1Bias[j]!)));
    return head[0]!.reduce((a, w, j) => a + w * hidden[j]!, headBias[0]!);
  });
}

/** What the author's users have: a checkpoint directory (written here with the public saveCheckpoint). */
async function writeCheckpoint(name: string, config: Record<string, unknown>, withHead = true): Promise<string> {
  const dir = path.join(root, name);
  const weights = new Map<string, tf.Tensor>([
    ['mlp.fc1.weight', tf.tensor2d(fc1)],
    ['mlp.fc1.bias', tf.tensor1d(fc1Bias)],
    ...(withHead ? ([['head.weight', tf.tensor2d(head)], ['head.bias', tf.tensor1d(headBias)]] as const) : []),
  ]);
  await saveCheckpoint(dir, { config: { model_type: 'example-mlp', input_size: INPUT, hidden_size: HIDDEN, hidden_act: 'relu', ...config }, weights });
  weights.forEach((t) => t.dispose());
  return dir;
}

const rows = [
  [0.5, -1, 2],
  [1, 1, 1],
  [-3, 0.25, 0],
];

describe('a third-party plugin', () => {
  it('lets AutoModel build its model from a checkpoint and load the weights', async () => {
    const dir = await writeCheckpoint('regression', { architectures: ['ExampleMlpForRegression'] });
    const registry = createRegistry();
    registerExamplePlugin(registry);
    await expectNoLeaks(async () => {
      const model = await AutoModel.fromPretrained<ExampleMlpForRegression>(dir, { registry });
      expect(model).toBeInstanceOf(ExampleMlpForRegression);
      expect([model.modelType, model.architecture]).toEqual(['example-mlp', 'ExampleMlpForRegression']);
      const x = tf.tensor2d(rows);
      const y = model.predict(x);
      expectAllClose(y, reference(rows), { atol: 1e-5 });
      tf.dispose([x, y]);

      // Its task head, through the registry.
      const predict = registry.task.get('example-regression').create({ model });
      expectAllClose(predict.call(rows), reference(rows), { atol: 1e-5 });

      // savePretrained → fromPretrained gives the same model.
      await model.savePretrained(path.join(root, 'resaved'));
      model.dispose();
      const again = await AutoModel.fromPretrained<ExampleMlpForRegression>(path.join(root, 'resaved'), { registry });
      expectAllClose(registry.task.get('example-regression').create({ model: again }).call(rows), reference(rows), { atol: 1e-5 });
      again.dispose();
    });
  });

  it('builds the base architecture by default and checks the weights against it', async () => {
    const registry = createRegistry().use(examplePlugin).use(examplePlugin);
    expect(registry.plugins).toEqual(['@tfkit/example-plugin']);
    const base = await AutoModel.fromPretrained(await writeCheckpoint('base', {}, false), { registry });
    expect(base).toBeInstanceOf(ExampleMlpModel);
    expect(base.architecture).toBe('ExampleMlpModel');
    base.dispose();
    const withHead = await writeCheckpoint('with-head', {});
    await expect(AutoModel.fromPretrained(withHead, { registry })).rejects.toThrow(/unexpected weights head\.bias, head\.weight \(pass strict: false/);
    const lenient = await AutoModel.fromPretrained(withHead, { registry, strict: false });
    lenient.dispose();
  });

  it('reports config problems and unknown architectures with the registry\'s lists', async () => {
    const registry = createRegistry();
    registerExamplePlugin(registry);
    const badSize = await writeCheckpoint('bad-size', { hidden_size: -4 });
    await expect(AutoModel.fromPretrained(badSize, { registry })).rejects.toThrow(new ConfigError(`${badSize}/config.json: "hidden_size" must be a positive integer, got -4`));
    const vision = await writeCheckpoint('vision', { architectures: ['ExampleMlpForVision'] });
    await expect(AutoModel.fromPretrained(vision, { registry })).rejects.toThrow(/architecture "ExampleMlpForVision" is not provided by model_type "example-mlp"\. Known: ExampleMlpModel, ExampleMlpForRegression/);
    await expect(AutoModel.fromPretrained(vision, { registry: createRegistry() })).rejects.toThrow(/model_type "example-mlp" is not registered/);
  });

  it('gets typed registry keys through declaration merging', () => {
    const registry = createRegistry();
    registerExamplePlugin(registry);
    expectTypeOf(registry.model.get('example-mlp').architectures.ExampleMlpForRegression).toEqualTypeOf<ModelArchitecture<ExampleMlpForRegression>>();
    const create = () => registry.task.get('example-regression').create({ model: null as unknown as ExampleMlpForRegression });
    expectTypeOf(create).returns.toEqualTypeOf<ExampleRegressionPipeline>();
    // @ts-expect-error the family's entry must provide both architectures
    registry.model.register('example-mlp', { architectures: {}, defaultArchitecture: 'ExampleMlpModel' }, { override: true });
  });
});
