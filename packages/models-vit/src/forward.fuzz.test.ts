// Fuzz: seeded random and hostile pixel values to ViTModel.forward (layouts, sizes, interpolation),
// and mutated config.json files through fromPretrained. Anything but success or a typed tfkit
// error fails, and so does a case over 10 s or one that changes tf.memory().numTensors.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { TfkitError } from '@tfkit/core-tensor';
import { fuzzCases, mutateConfig, withBackend, HOSTILE_VALUES, type FuzzRandom } from '@tfkit/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { ViTForImageClassification } from './vit-heads.js';
import { ViTModel, type ViTModelInputs } from './vit-modeling.js';

const tiny = { hiddenSize: 8, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 16, imageSize: 8, patchSize: 4, numChannels: 3, numLabels: 3 };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-vit-fuzz-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const isTyped = (e: unknown) => e instanceof TfkitError;

/** Pixels of a random (often valid) shape, as a tensor or nested arrays, sometimes hostile. */
function pixels(rng: FuzzRandom, made: tf.Tensor[]): unknown {
  const shape = [rng.pick([0, 1, 1, 2]), rng.pick([1, 3, 3, 3, 4]), rng.pick([0, 4, 8, 8, 8, 12, 16]), rng.pick([0, 4, 8, 8, 8, 12, 16])];
  const r = rng.next();
  if (r < 0.05) return rng.pick(HOSTILE_VALUES);
  const t = tf.randomUniform(rng.chance(0.1) ? shape.slice(0, rng.int(0, 3)) : shape, -1, 1, 'float32', rng.int(0, 1e6));
  made.push(t);
  if (r < 0.6) return rng.chance(0.1) ? (made.push(tf.cast(t, 'int32')), made[made.length - 1]) : t;
  const arrays = t.arraySync() as unknown;
  if (r < 0.9 || !Array.isArray(arrays) || !arrays.length) return arrays;
  // A hostile value somewhere, or a ragged row.
  let level: unknown = arrays;
  while (Array.isArray(level) && Array.isArray(level[0]) && rng.chance(0.7)) level = level[0];
  if (Array.isArray(level) && level.length) {
    if (rng.chance(0.5)) level.pop();
    else level[rng.int(0, level.length - 1)] = rng.pick(HOSTILE_VALUES);
  }
  return arrays;
}

describe.each([['cpu', 1500], ['wasm', 300]] as const)('fuzz: ViTModel.forward on %s', (backend, cases) => {
  it(`${cases} seeded hostile pixel inputs: each succeeds or is a typed error, fast, leaking nothing`, () => withBackend(backend, async () => {
    const model = new ViTModel(tiny);
    const report = await fuzzCases({
      seed: 41, cases, isTyped,
      make: (rng, _i, made): unknown => {
        if (rng.chance(0.03)) return rng.pick(HOSTILE_VALUES);
        const inputs: Record<string, unknown> = { pixelValues: pixels(rng, made) };
        if (rng.chance(0.3)) inputs['dataFormat'] = rng.pick(['channelsFirst', 'channelsLast', 'nchw']);
        if (rng.chance(0.4)) inputs['interpolatePosEncoding'] = true;
        for (const flag of ['outputHiddenStates', 'outputAttentions']) if (rng.chance(0.3)) inputs[flag] = true;
        return inputs;
      },
      run: (inputs) => model.forward(inputs as ViTModelInputs),
    });
    model.dispose();
    expect(report.failures).toEqual([]);
    expect(report.passed).toBeGreaterThan(cases / 15);
    expect(report.typed['InputError']).toBeGreaterThan(cases / 5);
  }));
});

describe('fuzz: ViT config.json through fromPretrained', () => {
  it('400 mutated configs of a tiny saved checkpoint: each loads or is a typed error', async () => {
    const dir = path.join(tmp, 'ckpt');
    const source = new ViTForImageClassification(tiny);
    await source.savePretrained(dir);
    source.dispose();
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    const report = await fuzzCases({
      seed: 42, cases: 400, isTyped,
      make: (rng) => ({ config: mutateConfig(rng, config, ['num_labels', 'encoder_stride']), strict: rng.chance(0.7), ignoreMismatchedSizes: rng.chance(0.3) }),
      run: async ({ config: mutated, strict, ignoreMismatchedSizes }) => {
        fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(mutated));
        const model = await ViTForImageClassification.fromPretrained(dir, { strict, ignoreMismatchedSizes });
        model.dispose();
      },
    });
    expect(report.failures).toEqual([]);
    expect(report.passed).toBeGreaterThan(20);
    expect(report.typed['ViTConfigError']).toBeGreaterThan(100);
  });
});
