// Fuzz: seeded random and hostile inputs to BertModel.forward, and mutated config.json files
// through fromPretrained. Anything but success or a typed tfkit error fails, and so does a case
// over 10 s or one that changes tf.memory().numTensors.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { TfkitError } from '@tfkit/core-tensor';
import { fuzzCases, intMatrix, mutateConfig, mutateIntArray, withBackend, HOSTILE_VALUES, type FuzzRandom } from '@tfkit/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { BertForSequenceClassification } from './bert-heads.js';
import { BertModel, type BertModelInputs } from './bert-modeling.js';

const tiny = { vocabSize: 50, hiddenSize: 8, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 16, maxPositionEmbeddings: 16, typeVocabSize: 2, numLabels: 3 };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-bert-fuzz-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const isTyped = (e: unknown) => e instanceof TfkitError;

/** Valid inputs for a random batch, then (mostly) one field made hostile. */
function bertInputs(rng: FuzzRandom, made: tf.Tensor[]): unknown {
  const b = rng.int(1, 3);
  const t = rng.int(1, 16);
  const inputs: Record<string, unknown> = { inputIds: intMatrix(rng, b, t, 0, tiny.vocabSize) };
  if (rng.chance(0.5)) inputs['attentionMask'] = intMatrix(rng, b, t, 0, 2);
  if (rng.chance(0.4)) inputs['tokenTypeIds'] = intMatrix(rng, b, t, 0, 2);
  if (rng.chance(0.3)) inputs['positionIds'] = intMatrix(rng, b, t, 0, 16);
  if (rng.chance(0.3)) inputs['outputHiddenStates'] = true;
  if (rng.chance(0.3)) inputs['outputAttentions'] = true;
  const r = rng.next();
  if (r < 0.1) return inputs;
  if (r < 0.15) return rng.pick(HOSTILE_VALUES);
  if (r < 0.2) inputs[rng.pick(['pastKeyValues', 'inputsEmbeds'])] = rng.pick(HOSTILE_VALUES);
  else {
    const key = rng.pick(['inputIds', 'inputIds', 'attentionMask', 'tokenTypeIds', 'positionIds']);
    const valid = (inputs[key] as number[][] | undefined) ?? intMatrix(rng, b, t, 0, 2);
    inputs[key] = mutateIntArray(rng, valid, made);
  }
  return inputs;
}

describe.each([['cpu', 2000], ['wasm', 300]] as const)('fuzz: BertModel.forward on %s', (backend, cases) => {
  it(`${cases} seeded hostile inputs: each succeeds or is a typed error, fast, leaking nothing`, () => withBackend(backend, async () => {
    const model = new BertModel(tiny);
    const report = await fuzzCases({
      seed: 11, cases, isTyped,
      make: (rng, _i, made) => bertInputs(rng, made),
      run: (inputs) => model.forward(inputs as BertModelInputs),
    });
    model.dispose();
    expect(report.failures).toEqual([]);
    // The suite exercises both outcomes, and the typed errors are the input checks'.
    expect(report.passed).toBeGreaterThan(cases / 20);
    expect(report.typed['InputError']).toBeGreaterThan(cases / 2);
  }));
});

describe('fuzz: BERT config.json through fromPretrained', () => {
  it('400 mutated configs of a tiny saved checkpoint: each loads or is a typed error', async () => {
    const dir = path.join(tmp, 'ckpt');
    const source = new BertForSequenceClassification(tiny);
    await source.savePretrained(dir);
    source.dispose();
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    const report = await fuzzCases({
      seed: 12, cases: 400, isTyped,
      make: (rng) => ({ config: mutateConfig(rng, config, ['num_labels', 'is_decoder', 'add_cross_attention']), strict: rng.chance(0.7) }),
      run: async ({ config: mutated, strict }) => {
        fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(mutated));
        const model = await BertForSequenceClassification.fromPretrained(dir, { strict });
        model.dispose();
      },
    });
    expect(report.failures).toEqual([]);
    expect(report.passed).toBeGreaterThan(20);
    expect(report.typed['BertConfigError']).toBeGreaterThan(100);
  });
});
