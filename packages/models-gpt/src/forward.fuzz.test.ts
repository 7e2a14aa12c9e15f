// Fuzz: seeded random and hostile inputs to GPT2Model.forward (with and without a cache), and
// mutated config.json files through fromPretrained. Anything but success or a typed tfkit error
// fails, and so does a case over 10 s or one that changes tf.memory().numTensors.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { TfkitError } from '@tfkit/core-tensor';
import { fuzzCases, intMatrix, mutateConfig, mutateIntArray, HOSTILE_VALUES, type FuzzRandom } from '@tfkit/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { GPT2LMHeadModel } from './gpt2-heads.js';
import { GPT2Model, type Gpt2ModelInputs, type PastKeyValues } from './gpt2-modeling.js';

const tiny = { vocabSize: 50, nPositions: 16, nEmbd: 8, nLayer: 2, nHead: 2 };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-gpt2-fuzz-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const isTyped = (e: unknown) => e instanceof TfkitError;

/** Past keys/values `[b, 2, p, 4]` per layer, sometimes of the wrong shape or count. */
function past(rng: FuzzRandom, b: number, p: number, made: tf.Tensor[]): PastKeyValues {
  const layers = rng.chance(0.8) ? 2 : rng.int(0, 3);
  return Array.from({ length: layers }, () => {
    const shape: [number, number, number, number] = rng.chance(0.85) ? [b, 2, p, 4] : [b, rng.int(1, 3), p, rng.int(3, 5)];
    const key = tf.zeros(shape) as tf.Tensor4D;
    const value = tf.zeros(shape) as tf.Tensor4D;
    made.push(key, value);
    return { key, value };
  });
}

function gpt2Inputs(rng: FuzzRandom, made: tf.Tensor[]): unknown {
  const b = rng.int(1, 3);
  const t = rng.int(1, 12);
  const p = rng.chance(0.3) ? rng.int(1, 6) : 0;
  const inputs: Record<string, unknown> = { inputIds: intMatrix(rng, b, t, 0, tiny.vocabSize) };
  if (p) inputs['pastKeyValues'] = past(rng, b, p, made);
  if (rng.chance(0.5)) inputs['attentionMask'] = intMatrix(rng, b, p + t, 0, 2);
  if (rng.chance(0.3)) inputs['positionIds'] = intMatrix(rng, b, t, 0, 16);
  for (const flag of ['useCache', 'outputHiddenStates', 'outputAttentions']) if (rng.chance(0.3)) inputs[flag] = true;
  const r = rng.next();
  if (r < 0.1) return inputs;
  if (r < 0.15) return rng.pick(HOSTILE_VALUES);
  if (r < 0.2) inputs['pastKeyValues'] = rng.pick(HOSTILE_VALUES);
  else {
    const key = rng.pick(['inputIds', 'inputIds', 'attentionMask', 'positionIds']);
    const valid = (inputs[key] as number[][] | undefined) ?? intMatrix(rng, b, key === 'attentionMask' ? p + t : t, 0, 2);
    inputs[key] = mutateIntArray(rng, valid, made);
  }
  return inputs;
}

describe('fuzz: GPT2Model.forward', () => {
  it('2000 seeded hostile inputs: each succeeds or is a typed error, fast, leaking nothing', async () => {
    const model = new GPT2Model(tiny);
    const report = await fuzzCases({
      seed: 21, cases: 2000, isTyped,
      make: (rng, _i, made) => gpt2Inputs(rng, made),
      run: (inputs) => model.forward(inputs as Gpt2ModelInputs),
    });
    model.dispose();
    expect(report.failures).toEqual([]);
    expect(report.passed).toBeGreaterThan(100);
    expect(report.typed['InputError']).toBeGreaterThan(1000);
  });

  it('generate with 200 hostile prompts: each generates or is a typed error', async () => {
    const model = new GPT2LMHeadModel(tiny);
    const report = await fuzzCases({
      seed: 22, cases: 200, isTyped,
      make: (rng, _i, made) => mutateIntArray(rng, intMatrix(rng, rng.int(1, 2), rng.int(1, 6), 0, tiny.vocabSize), made),
      run: async (prompt) => (await model.generate(prompt as number[][], { maxNewTokens: 2 })).sequences,
    });
    model.dispose();
    expect(report.failures).toEqual([]);
  });
});

describe('fuzz: GPT-2 config.json through fromPretrained', () => {
  it('400 mutated configs of a tiny saved checkpoint: each loads or is a typed error', async () => {
    const dir = path.join(tmp, 'ckpt');
    const source = new GPT2LMHeadModel(tiny);
    await source.savePretrained(dir);
    source.dispose();
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    const report = await fuzzCases({
      seed: 23, cases: 400, isTyped,
      make: (rng) => ({ config: mutateConfig(rng, config, ['num_labels', 'n_ctx', 'n_inner', 'add_cross_attention']), strict: rng.chance(0.7) }),
      run: async ({ config: mutated, strict }) => {
        fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(mutated));
        const model = await GPT2LMHeadModel.fromPretrained(dir, { strict });
        model.dispose();
      },
    });
    expect(report.failures).toEqual([]);
    expect(report.passed).toBeGreaterThan(20);
    expect(report.typed['Gpt2ConfigError']).toBeGreaterThan(100);
  });
});
