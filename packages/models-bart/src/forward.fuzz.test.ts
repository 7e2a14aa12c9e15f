// Fuzz: seeded random and hostile inputs to BartModel.forward (encoder, decoder, cache, encoder
// outputs), and mutated config.json files through fromPretrained. Anything but success or a typed
// tfkit error fails, and so does a case over 10 s or one that changes tf.memory().numTensors.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { TfkitError } from '@tfkit/core-tensor';
import { fuzzCases, intMatrix, mutateConfig, mutateIntArray, HOSTILE_VALUES, type FuzzRandom } from '@tfkit/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { BartForConditionalGeneration } from './bart-heads.js';
import { BartModel, type BartModelInputs } from './bart-modeling.js';

const tiny = { vocabSize: 50, maxPositionEmbeddings: 16, dModel: 8, encoderLayers: 1, decoderLayers: 2, encoderAttentionHeads: 2, decoderAttentionHeads: 2, encoderFfnDim: 16, decoderFfnDim: 16, numLabels: 3 };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-bart-fuzz-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const isTyped = (e: unknown) => e instanceof TfkitError;

function bartInputs(rng: FuzzRandom, made: tf.Tensor[]): unknown {
  const b = rng.int(1, 3);
  const s = rng.int(1, 12);
  const t = rng.int(1, 12);
  const inputs: Record<string, unknown> = { inputIds: intMatrix(rng, b, s, 0, tiny.vocabSize) };
  if (rng.chance(0.5)) inputs['attentionMask'] = intMatrix(rng, b, s, 0, 2);
  if (rng.chance(0.6)) inputs['decoderInputIds'] = intMatrix(rng, b, t, 0, tiny.vocabSize);
  if (inputs['decoderInputIds'] && rng.chance(0.4)) inputs['decoderAttentionMask'] = intMatrix(rng, b, t, 0, 2);
  if (inputs['decoderInputIds'] && rng.chance(0.15)) {
    const states = tf.zeros(rng.chance(0.8) ? [b, s, 8] : [rng.int(1, 3), s, rng.int(7, 9)]);
    made.push(states);
    inputs['encoderOutputs'] = { lastHiddenState: states };
    if (rng.chance(0.5)) delete inputs['inputIds'];
  }
  for (const flag of ['outputHiddenStates', 'outputAttentions']) if (rng.chance(0.3)) inputs[flag] = true;
  const r = rng.next();
  if (r < 0.1) return inputs;
  if (r < 0.15) return rng.pick(HOSTILE_VALUES);
  if (r < 0.2) inputs[rng.pick(['encoderOutputs', 'cache'])] = rng.pick(HOSTILE_VALUES);
  else {
    const key = rng.pick(['inputIds', 'attentionMask', 'decoderInputIds', 'decoderAttentionMask']);
    const valid = (inputs[key] as number[][] | undefined) ?? intMatrix(rng, b, s, 0, 2);
    inputs[key] = mutateIntArray(rng, valid, made);
  }
  return inputs;
}

describe('fuzz: BartModel.forward', () => {
  it('2000 seeded hostile inputs: each succeeds or is a typed error, fast, leaking nothing', async () => {
    const model = new BartModel(tiny);
    const report = await fuzzCases({
      seed: 31, cases: 2000, isTyped,
      make: (rng, _i, made) => bartInputs(rng, made),
      run: (inputs) => model.forward(inputs as BartModelInputs),
    });
    model.dispose();
    expect(report.failures).toEqual([]);
    expect(report.passed).toBeGreaterThan(100);
    expect(report.typed['InputError']).toBeGreaterThan(1000);
  });
});

describe('fuzz: BART config.json through fromPretrained', () => {
  it('400 mutated configs of a tiny saved checkpoint: each loads or is a typed error', async () => {
    const dir = path.join(tmp, 'ckpt');
    const source = new BartForConditionalGeneration(tiny);
    await source.savePretrained(dir);
    source.dispose();
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    const report = await fuzzCases({
      seed: 32, cases: 400, isTyped,
      make: (rng) => ({ config: mutateConfig(rng, config, ['num_labels', 'force_bos_token_to_be_generated']), strict: rng.chance(0.7), ignoreMismatchedSizes: rng.chance(0.3) }),
      run: async ({ config: mutated, strict, ignoreMismatchedSizes }) => {
        fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(mutated));
        const model = await BartForConditionalGeneration.fromPretrained(dir, { strict, ignoreMismatchedSizes });
        model.dispose();
      },
    });
    expect(report.failures).toEqual([]);
    expect(report.passed).toBeGreaterThan(20);
    expect(report.typed['BartConfigError']).toBeGreaterThan(100);
  });
});
