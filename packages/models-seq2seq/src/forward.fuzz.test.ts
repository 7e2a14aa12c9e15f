// Fuzz: seeded random and hostile inputs to Seq2SeqModel.forward (every cell and attention), and
// mutated config.json files through fromPretrained. Anything but success or a typed tfkit error
// fails, and so does a case over 10 s or one that changes tf.memory().numTensors.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { TfkitError } from '@tfkit/core-tensor';
import { fuzzCases, intMatrix, mutateConfig, mutateIntArray, showCase, HOSTILE_VALUES, type FuzzRandom } from '@tfkit/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { Seq2SeqModel, type Seq2SeqInputs } from './seq2seq-model.js';
import { TINY, VARIANTS } from './seq2seq-test-utils.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-seq2seq-fuzz-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const isTyped = (e: unknown) => e instanceof TfkitError;

function seq2seqInputs(rng: FuzzRandom, made: tf.Tensor[]): unknown {
  const b = rng.int(1, 3);
  const s = rng.int(1, 8);
  const t = rng.int(1, 8);
  const inputs: Record<string, unknown> = { inputIds: intMatrix(rng, b, s, 0, 13) };
  if (rng.chance(0.5)) inputs['attentionMask'] = intMatrix(rng, b, s, 1, 2);
  if (rng.chance(0.6)) inputs['labels'] = intMatrix(rng, b, t, 0, 11).map((r) => r.map((v) => (rng.chance(0.1) ? -100 : v)));
  if (!inputs['labels'] || rng.chance(0.3)) inputs['decoderInputIds'] = intMatrix(rng, b, t, 0, 11);
  if (rng.chance(0.2)) inputs['teacherForcingRatio'] = rng.pick([0, 0.5, 1]);
  if (rng.chance(0.2)) inputs['outputAttentions'] = true;
  const r = rng.next();
  if (r < 0.1) return inputs;
  if (r < 0.15) return rng.pick(HOSTILE_VALUES);
  if (r < 0.2) inputs['teacherForcingRatio'] = rng.pick(HOSTILE_VALUES);
  else {
    const key = rng.pick(['inputIds', 'inputIds', 'attentionMask', 'labels', 'decoderInputIds']);
    const valid = (inputs[key] as number[][] | undefined) ?? intMatrix(rng, b, s, 0, 2);
    inputs[key] = mutateIntArray(rng, valid, made);
  }
  return inputs;
}

describe('fuzz: Seq2SeqModel.forward', () => {
  it('2000 seeded hostile inputs over every cell and attention: each succeeds or is a typed error, fast, leaking nothing', async () => {
    const models = VARIANTS.map(([, config]) => new Seq2SeqModel({ ...TINY, ...config }));
    const report = await fuzzCases({
      seed: 51, cases: 2000, isTyped,
      make: (rng, i, made) => ({ model: i % models.length, inputs: seq2seqInputs(rng, made) }),
      run: ({ model, inputs }) => (models[model] as Seq2SeqModel).forward(inputs as Seq2SeqInputs),
      describe: ({ model, inputs }) => `${VARIANTS[model]?.[0]}: ${showCase(inputs)}`,
    });
    for (const m of models) m.dispose();
    expect(report.failures).toEqual([]);
    expect(report.passed).toBeGreaterThan(100);
    expect(report.typed['InputError']).toBeGreaterThan(1000);
  });
});

describe('fuzz: seq2seq config.json through fromPretrained', () => {
  it('400 mutated configs of a tiny saved checkpoint: each loads or is a typed error', async () => {
    const dir = path.join(tmp, 'ckpt');
    const source = new Seq2SeqModel({ ...TINY, attention: 'bahdanau', bidirectional: true });
    await source.savePretrained(dir);
    source.dispose();
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    const report = await fuzzCases({
      seed: 52, cases: 400, isTyped,
      make: (rng) => ({ config: mutateConfig(rng, config, ['vocab_size']), strict: rng.chance(0.7) }),
      run: async ({ config: mutated, strict }) => {
        fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(mutated));
        const model = await Seq2SeqModel.fromPretrained(dir, { strict });
        model.dispose();
      },
    });
    expect(report.failures).toEqual([]);
    expect(report.passed).toBeGreaterThan(20);
    expect(report.typed['Seq2SeqConfigError']).toBeGreaterThan(100);
  });
});
