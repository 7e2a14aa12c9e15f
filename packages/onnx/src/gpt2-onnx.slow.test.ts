/**
 * GPT-2 exported to ONNX (with and without past keys/values) runs in onnxruntime-web (wasm, in
 * Node) and onnxruntime-node: logits within 1e-4 of tfkit and of Hugging Face's reference outputs,
 * presents equal to Hugging Face's past_key_values, and greedy ids from a loop over the exported
 * model with past equal to tfkit's `generate` and to Hugging Face's.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { AutoModel, createRegistry, safetensorsToTensors } from '@tfkit/core-tensor';
import { registerGpt2, type GPT2LMHeadModel } from '@tfkit/models-gpt';
import { fixturePath, readFixtureJson, withBackend } from '@tfkit/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportOnnx } from './export.js';
import { decodeModel } from './serialize.js';
import { emptyPast, greedyDecoderOnly, int64, openSession, type OrtModule, type OrtTensor } from './test/onnx-decoding.js';
import { exportPlainAndPast, loadRuntimes, ortRunner } from './test/onnx-parity.js';
import type { Runtime } from './test/ort.js';

type Ids = number[][];
interface Inputs {
  forward: { input_ids: Ids; attention_mask: Ids };
  left_padded: { input_ids: Ids; attention_mask: Ids; position_ids: Ids };
  kv_cache: { prompt: { input_ids: Ids; attention_mask: Ids; position_ids: Ids }; step: { input_ids: Ids; attention_mask: Ids; position_ids: Ids } };
  generate: { input_ids: Ids; attention_mask: Ids; _generation_config: Record<string, number> };
  generate_early_eos: { input_ids: Ids; attention_mask: Ids; _generation_config: Record<string, number> };
}

const inputs = readFixtureJson<Inputs>('models', 'gpt2-lm', 'inputs.json');
const expectedJson = readFixtureJson<Record<'generate' | 'generate_early_eos', { sequences: Ids }>>('models', 'gpt2-lm', 'expected.json');
const registry = registerGpt2(createRegistry());
const runtimes = await loadRuntimes();

let model: GPT2LMHeadModel;
let expected: Map<string, tf.Tensor>;
const dirs: Record<'plain' | 'past', string> = { plain: '', past: '' };
const want = (name: string) => expected.get(name) as tf.Tensor;

beforeAll(async () => {
  await withBackend('cpu', async () => {
    model = await AutoModel.fromPretrained<GPT2LMHeadModel>(fixturePath('models', 'gpt2-lm'), { registry });
    expected = safetensorsToTensors(fs.readFileSync(fixturePath('models', 'gpt2-lm', 'expected.safetensors')), 'gpt2-lm').tensors;
    Object.assign(dirs, await exportPlainAndPast(model, registry, 'gpt2', fixturePath('models', 'gpt2-lm')));
  });
}, 120_000);

afterAll(async () => {
  await withBackend('cpu', () => {
    model.dispose();
    tf.dispose([...expected.values()]);
  });
  for (const dir of Object.values(dirs)) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('GPT-2 ONNX layout', () => {
  it('names inputs and outputs as Optimum and transformers.js do', () => {
    const plain = decodeModel(fs.readFileSync(path.join(dirs.plain, 'onnx/model.onnx')));
    expect(plain.graph?.input?.map((i) => i.name)).toEqual(['input_ids', 'attention_mask', 'position_ids']);
    expect(plain.graph?.output?.map((o) => o.name)).toEqual(['logits']);
    const past = decodeModel(fs.readFileSync(path.join(dirs.past, 'onnx/model.onnx')));
    const layers = [0, 1].flatMap((i) => [`${i}.key`, `${i}.value`]);
    expect(past.graph?.input?.map((i) => i.name)).toEqual(['input_ids', 'attention_mask', 'position_ids', ...layers.map((l) => `past_key_values.${l}`)]);
    expect(past.graph?.output?.map((o) => o.name)).toEqual(['logits', ...layers.map((l) => `present.${l}`)]);
    // transformers.js sizes its empty first-step cache from these: numeric heads and head size, symbolic batch and length.
    const dims = past.graph?.input?.[3]?.type?.tensorType?.shape?.dim?.map((d) => d.dimParam || Number(d.dimValue));
    expect(dims).toEqual(['batch_size', 4, 'past_sequence_length', 8]);
    // The tied head is stored once: the token table plus the position table and the blocks.
    const tables = past.graph?.initializer?.filter((t) => t.name === 'transformer.wte.weight' || t.name === 'lm_head.weight').map((t) => t.name);
    expect(tables).toEqual(['transformer.wte.weight']);
    expect(fs.existsSync(path.join(dirs.past, 'config.json'))).toBe(true);
    expect(fs.existsSync(path.join(dirs.past, 'generation_config.json'))).toBe(true);
  });
});

describe.each(Object.keys(runtimes) as Runtime[])('GPT-2 exported to ONNX in onnxruntime-%s', (runtime) => {
  const ort = runtimes[runtime] as OrtModule;

  const { run, close } = ortRunner(ort);

  it('forward (right padding) and left padding: logits within 1e-4 of tfkit and Hugging Face, with and without past', async () => {
    for (const kind of ['plain', 'past'] as const) {
      const file = path.join(dirs[kind], 'onnx/model.onnx');
      for (const [scenario, ref] of [['forward', 'logits'], ['left_padded', 'left_padded.logits']] as const) {
        const s = inputs[scenario];
        const positionIds = 'position_ids' in s ? s.position_ids : s.input_ids.map((r) => r.map((_, j) => j));
        const feeds: Record<string, unknown> = { input_ids: int64(ort, s.input_ids), attention_mask: int64(ort, s.attention_mask), position_ids: int64(ort, positionIds) };
        if (kind === 'past') for (let i = 0; i < 2; i++) for (const kv of ['key', 'value']) feeds[`past_key_values.${i}.${kv}`] = emptyPast(ort, s.input_ids.length, 4, 8);
        const out = await run(file, feeds);
        await close(out['logits'] as OrtTensor, want(ref), `${kind} ${scenario} vs Hugging Face`);
        const tfkit = await withBackend('cpu', () => model.forward({ inputIds: s.input_ids, attentionMask: s.attention_mask, positionIds }));
        await close(out['logits'] as OrtTensor, tfkit.logits, `${kind} ${scenario} vs tfkit`);
        await withBackend('cpu', () => tf.dispose(tfkit as unknown as tf.TensorContainer));
      }
    }
  }, 120_000);

  it.each([17, 20, 21])('opset %i (LayerNormalization, Gelu, Split from an input): the graph with past gives the same logits', async (opset) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tfkit-gpt2-onnx-${opset}-`));
    try {
      await withBackend('cpu', () => exportOnnx(model, dir, { registry, withPast: true, opset }));
      const s = inputs.left_padded;
      const feeds: Record<string, unknown> = { input_ids: int64(ort, s.input_ids), attention_mask: int64(ort, s.attention_mask), position_ids: int64(ort, s.position_ids) };
      for (let i = 0; i < 2; i++) for (const kv of ['key', 'value']) feeds[`past_key_values.${i}.${kv}`] = emptyPast(ort, 2, 4, 8);
      const out = await run(path.join(dir, 'onnx/model.onnx'), feeds);
      await close(out['logits'] as OrtTensor, want('left_padded.logits'), `opset ${opset}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('GPT2Model (last_hidden_state) and GPT2ForSequenceClassification (logits at each row\'s last token before pad_token_id)', async () => {
    const { input_ids, attention_mask } = inputs.forward;
    const positionIds = input_ids.map((r) => r.map((_, j) => j));
    for (const architecture of ['GPT2Model', 'GPT2ForSequenceClassification']) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tfkit-${architecture}-`));
      const other = await withBackend('cpu', () => AutoModel.fromPretrained<GPT2LMHeadModel>(fixturePath('models', 'gpt2-lm'), {
        registry, architecture, configOverrides: { pad_token_id: 999, num_labels: 3 }, strict: false,
      }));
      try {
        // Past keys/values are only for the LM head: these graphs have none even when asked.
        await withBackend('cpu', () => exportOnnx(other, dir, { registry, withPast: true }));
        const file = path.join(dir, 'onnx/model.onnx');
        expect(decodeModel(fs.readFileSync(file)).graph?.input?.map((i) => i.name)).toEqual(['input_ids', 'attention_mask', 'position_ids']);
        const out = await run(file, { input_ids: int64(ort, input_ids), attention_mask: int64(ort, attention_mask), position_ids: int64(ort, positionIds) });
        const tfkit = await withBackend('cpu', () => (other as unknown as { forward(i: object): Record<string, tf.Tensor> }).forward({ inputIds: input_ids, attentionMask: attention_mask }));
        if (architecture === 'GPT2Model') {
          await close(out['last_hidden_state'] as OrtTensor, want('last_hidden_state'), 'GPT2Model vs Hugging Face');
        } else {
          expect((out['logits'] as OrtTensor).dims).toEqual([2, 3]);
          await close(out['logits'] as OrtTensor, tfkit['logits'] as tf.Tensor, 'GPT2ForSequenceClassification vs tfkit');
        }
        await withBackend('cpu', () => tf.dispose(tfkit as unknown as tf.TensorContainer));
      } finally {
        await withBackend('cpu', () => other.dispose());
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  }, 120_000);

  it('KV cache: the prompt with empty past gives Hugging Face\'s presents; one step with them gives its step logits', async () => {
    const file = path.join(dirs.past, 'onnx/model.onnx');
    const { prompt, step } = inputs.kv_cache;
    const feeds: Record<string, unknown> = { input_ids: int64(ort, prompt.input_ids), attention_mask: int64(ort, prompt.attention_mask), position_ids: int64(ort, prompt.position_ids) };
    for (let i = 0; i < 2; i++) for (const kv of ['key', 'value']) feeds[`past_key_values.${i}.${kv}`] = emptyPast(ort, 2, 4, 8);
    const first = await run(file, feeds);
    await close(first['logits'] as OrtTensor, want('kv_cache.prompt_logits'), 'prompt_logits');
    const next: Record<string, unknown> = { input_ids: int64(ort, step.input_ids), attention_mask: int64(ort, step.attention_mask), position_ids: int64(ort, step.position_ids) };
    for (let i = 0; i < 2; i++) {
      for (const kv of ['key', 'value']) {
        await close(first[`present.${i}.${kv}`] as OrtTensor, want(`kv_cache.present.${i}.${kv}`), `present.${i}.${kv}`);
        next[`past_key_values.${i}.${kv}`] = first[`present.${i}.${kv}`];
      }
    }
    const second = await run(file, next);
    await close(second['logits'] as OrtTensor, want('kv_cache.step_logits'), 'step_logits');
    expect((second['present.0.key'] as OrtTensor).dims).toEqual([2, 4, 8, 8]);
  }, 120_000);

  it.each(['generate', 'generate_early_eos'] as const)('%s: greedy ids over the exported model with past equal tfkit generate and Hugging Face', async (scenario) => {
    const { input_ids, attention_mask, _generation_config: g } = inputs[scenario];
    const options = { maxNewTokens: g['max_new_tokens'] as number, eosTokenId: g['eos_token_id'] as number, padTokenId: g['pad_token_id'] as number };
    const session = await openSession(ort, path.join(dirs.past, 'onnx/model.onnx'));
    let onnxIds: Ids;
    try {
      onnxIds = await greedyDecoderOnly(ort, session, input_ids, attention_mask, { layers: 2, heads: 4, headDim: 8 }, options);
    } finally {
      await session.release();
    }
    const tfkit = await withBackend('cpu', () => model.generate(input_ids, { attentionMask: attention_mask, ...options, bosTokenId: g['bos_token_id'] as number, doSample: false, numBeams: 1 }));
    expect(onnxIds).toEqual(tfkit.sequences);
    expect(onnxIds).toEqual(expectedJson[scenario].sequences);
  }, 120_000);
});
