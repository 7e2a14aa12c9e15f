/**
 * tfkit's `generate` and `text-generation` pipeline over a GPT-2 exported with past keys/values,
 * each step in ONNX Runtime (registerOnnxRuntime): the same ids as tfkit's own model and Hugging
 * Face's, greedy, with rows that finish early, and in beam search (rows reordered in the cache).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { AutoModel, createRegistry, pipeline, type PretrainedModel } from '@tfkit/core-tensor';
import { generate, type GenerationModel } from '@tfkit/generation';
import { registerGpt2, type GPT2LMHeadModel } from '@tfkit/models-gpt';
import { fixturePath, readFixtureJson, repoRootDir, withBackend } from '@tfkit/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportOnnx } from './export.js';
import { registerOnnxRuntime, type OnnxRuntimePackage } from './runtime.js';
import { loadRuntimes } from './test/onnx-parity.js';
import type { Runtime } from './test/ort.js';

type Ids = number[][];
interface Scenario { input_ids: Ids; attention_mask: Ids; _generation_config: Record<string, number> }
const inputs = readFixtureJson<Record<'generate' | 'generate_early_eos', Scenario>>('models', 'gpt2-lm', 'inputs.json');
const expectedJson = readFixtureJson<Record<'generate' | 'generate_early_eos', { sequences: Ids }>>('models', 'gpt2-lm', 'expected.json');
const tinyGpt2 = path.join(repoRootDir, 'packages/all/assets/tiny-gpt2');
const runtimes = Object.keys(await loadRuntimes()).map((runtime): OnnxRuntimePackage => `onnxruntime-${runtime as Runtime}`);

let tmp: string;
const dirs = { fixture: '', tiny: '' };
let fixtureModel: GPT2LMHeadModel;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-onnx-generation-'));
  const registry = registerGpt2(createRegistry());
  await withBackend('cpu', async () => {
    fixtureModel = await AutoModel.fromPretrained<GPT2LMHeadModel>(fixturePath('models', 'gpt2-lm'), { registry });
    dirs.fixture = path.join(tmp, 'gpt2-lm');
    await exportOnnx(fixtureModel, dirs.fixture, { registry, withPast: true, copyFrom: fixturePath('models', 'gpt2-lm') });
    const tiny = await AutoModel.fromPretrained<GPT2LMHeadModel>(tinyGpt2, { registry });
    dirs.tiny = path.join(tmp, 'tiny-gpt2');
    await exportOnnx(tiny, dirs.tiny, { registry, withPast: true, copyFrom: tinyGpt2 });
    tiny.dispose();
  });
}, 120_000);

afterAll(async () => {
  await withBackend('cpu', () => fixtureModel.dispose());
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe.each(runtimes)('generate over an exported GPT-2 in %s', (runtime) => {
  // The fixture has no tokenizer (ids only): its pipeline gets a stand-in, and the tests drive its model.
  const idsOnly = { encode: (): number[] => [], decode: (): string => '' };
  const open = async (task: string, dir: string, tokenizer?: object) =>
    pipeline(task as 'text-generation', dir, { registry: registerOnnxRuntime(registerGpt2(createRegistry()), { runtime }), ...(tokenizer ? { tokenizer } : {}) }) as unknown as
      Promise<{ model: GenerationModel & { dispose(): void }; call(...args: unknown[]): Promise<unknown> }>;

  it.each(['generate', 'generate_early_eos'] as const)('%s: greedy ids equal tfkit\'s model and Hugging Face', async (scenario) => {
    await withBackend('cpu', async () => {
      const pipe = await open('text-generation', dirs.fixture, idsOnly);
      const { input_ids, attention_mask, _generation_config: g } = inputs[scenario];
      const options = { attentionMask: attention_mask, maxNewTokens: g['max_new_tokens'], eosTokenId: g['eos_token_id'], padTokenId: g['pad_token_id'], doSample: false, numBeams: 1 };
      const before = tf.memory().numTensors;
      const onnx = await generate(pipe.model, input_ids, options);
      expect(tf.memory().numTensors).toBe(before);
      const tfkit = await generate(fixtureModel, input_ids, options);
      expect(onnx.sequences).toEqual(tfkit.sequences);
      expect(onnx.sequences).toEqual(expectedJson[scenario].sequences);
      pipe.model.dispose();
    });
  }, 120_000);

  it('beam search (rows reordered in the ONNX cache) gives tfkit\'s beams and scores', async () => {
    await withBackend('cpu', async () => {
      const pipe = await open('text-generation', dirs.fixture, idsOnly);
      const { input_ids, attention_mask } = inputs.generate;
      const options = { attentionMask: attention_mask, maxNewTokens: 8, numBeams: 3, numReturnSequences: 2, padTokenId: 999, eosTokenId: 999, doSample: false };
      const onnx = await generate(pipe.model, input_ids, options);
      const tfkit = await generate(fixtureModel, input_ids, options);
      expect(onnx.sequences).toEqual(tfkit.sequences);
      expect(onnx.sequencesScores).toHaveLength(4);
      pipe.model.dispose();
      onnx.sequencesScores?.forEach((s, i) => expect(Math.abs(s - (tfkit.sequencesScores?.[i] as number))).toBeLessThan(1e-4));
    });
  }, 120_000);

  it('the text-generation pipeline on the embedded tiny GPT-2 continues a prompt as the tfkit model does', async () => {
    await withBackend('cpu', async () => {
      const registry = registerGpt2(createRegistry());
      const onnx = await open('text-generation', dirs.tiny);
      const own = await pipeline('text-generation', tinyGpt2, { registry }) as unknown as { call(...args: unknown[]): Promise<unknown>; model: PretrainedModel };
      const prompts = ['Emma was', 'The little dog'];
      const a = await onnx.call(prompts, { maxNewTokens: 16 });
      const b = await own.call(prompts, { maxNewTokens: 16 });
      expect(a).toEqual(b);
      own.model.dispose();
      onnx.model.dispose();
    });
  }, 120_000);
});
