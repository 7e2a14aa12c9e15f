/**
 * BART exported to ONNX as Optimum splits it (encoder, decoder, decoder with past, merged decoder)
 * runs in onnxruntime-web (wasm, in Node) and onnxruntime-node: encoder states and logits within
 * 1e-4 of tfkit and of Hugging Face's reference outputs, and greedy ids from loops over the merged
 * decoder and over decoder + decoder-with-past equal to tfkit's `generate` and to Hugging Face's.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { AutoModel, createRegistry, safetensorsToTensors } from '@tfkit/core-tensor';
import { registerBart, type BartForConditionalGeneration } from '@tfkit/models-bart';
import { fixturePath, readFixtureJson, withBackend } from '@tfkit/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportOnnx } from './export.js';
import { decodeModel } from './serialize.js';
import { emptyPast, greedySeq2Seq, int64, type OrtModule, type OrtTensor } from './test/onnx-decoding.js';
import { exportPlainAndPast, loadRuntimes, ortRunner } from './test/onnx-parity.js';
import type { Runtime } from './test/ort.js';

type Ids = number[][];
interface Scenario {
  input_ids: Ids;
  attention_mask: Ids;
  _generation_config: Record<string, number | null | boolean>;
}
interface Inputs {
  forward: { input_ids: Ids; attention_mask: Ids; decoder_input_ids: Ids; decoder_attention_mask: Ids };
  generate_greedy: Scenario;
}

const NAME = 'bart-conditional-generation';
const inputs = readFixtureJson<Inputs>('models', NAME, 'inputs.json');
const expectedJson = readFixtureJson<Record<string, { sequences?: Ids }>>('models', NAME, 'expected.json');
const registry = registerBart(createRegistry());
const runtimes = await loadRuntimes();
const SHAPE = { layers: 2, heads: 4, headDim: 8 };

let model: BartForConditionalGeneration;
let expected: Map<string, tf.Tensor>;
const dirs: Record<'plain' | 'past', string> = { plain: '', past: '' };

beforeAll(async () => {
  await withBackend('cpu', async () => {
    model = await AutoModel.fromPretrained<BartForConditionalGeneration>(fixturePath('models', NAME), { registry });
    expected = safetensorsToTensors(fs.readFileSync(fixturePath('models', NAME, 'expected.safetensors')), NAME).tensors;
    Object.assign(dirs, await exportPlainAndPast(model, registry, 'bart', fixturePath('models', NAME)));
  });
}, 120_000);

afterAll(async () => {
  await withBackend('cpu', () => {
    model.dispose();
    tf.dispose([...expected.values()]);
  });
  for (const dir of Object.values(dirs)) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const names = (file: string, which: 'input' | 'output') => {
  const graph = decodeModel(fs.readFileSync(file)).graph;
  return (which === 'input' ? graph?.input : graph?.output)?.map((v) => v.name);
};

describe('BART ONNX layout', () => {
  it('writes Optimum\'s split files with its input and output names', () => {
    expect(fs.readdirSync(path.join(dirs.plain, 'onnx')).sort()).toEqual(['decoder_model.onnx', 'encoder_model.onnx']);
    expect(fs.readdirSync(path.join(dirs.past, 'onnx')).sort()).toEqual(['decoder_model.onnx', 'decoder_model_merged.onnx', 'decoder_with_past_model.onnx', 'encoder_model.onnx']);
    expect(names(path.join(dirs.past, 'onnx/encoder_model.onnx'), 'input')).toEqual(['input_ids', 'attention_mask']);
    expect(names(path.join(dirs.past, 'onnx/encoder_model.onnx'), 'output')).toEqual(['last_hidden_state']);
    expect(names(path.join(dirs.plain, 'onnx/decoder_model.onnx'), 'input')).toEqual(['encoder_attention_mask', 'input_ids', 'encoder_hidden_states']);
    expect(names(path.join(dirs.plain, 'onnx/decoder_model.onnx'), 'output')).toEqual(['logits']);
    const kv = (prefix: string, parts: string[]) => [0, 1].flatMap((i) => parts.flatMap((p) => ['key', 'value'].map((k) => `${prefix}.${i}.${p}.${k}`)));
    expect(names(path.join(dirs.past, 'onnx/decoder_with_past_model.onnx'), 'input')).toEqual(['encoder_attention_mask', 'input_ids', ...kv('past_key_values', ['decoder', 'encoder'])]);
    expect(names(path.join(dirs.past, 'onnx/decoder_with_past_model.onnx'), 'output')).toEqual(['logits', ...kv('present', ['decoder'])]);
    expect(names(path.join(dirs.past, 'onnx/decoder_model_merged.onnx'), 'input')).toEqual([
      'encoder_attention_mask', 'input_ids', 'encoder_hidden_states', ...kv('past_key_values', ['decoder', 'encoder']), 'use_cache_branch',
    ]);
    expect(names(path.join(dirs.past, 'onnx/decoder_model_merged.onnx'), 'output')).toEqual(['logits', ...kv('present', ['decoder', 'encoder'])]);
    expect(fs.existsSync(path.join(dirs.past, 'generation_config.json'))).toBe(true);
  });
});

describe.each(Object.keys(runtimes) as Runtime[])('BART exported to ONNX in onnxruntime-%s', (runtime) => {
  const ort = runtimes[runtime] as OrtModule;
  const { run, close } = ortRunner(ort);

  it('forward: encoder states and decoder logits within 1e-4 of Hugging Face and tfkit, from every decoder file', async () => {
    const f = inputs.forward;
    const encoder = await run(path.join(dirs.past, 'onnx/encoder_model.onnx'), { input_ids: int64(ort, f.input_ids), attention_mask: int64(ort, f.attention_mask) });
    const states = encoder['last_hidden_state'] as OrtTensor;
    await close(states, expected.get('encoder_last_hidden_state') as tf.Tensor, 'encoder_last_hidden_state');
    // The exported decoder is causal only (Optimum's inputs): Hugging Face's logits with a decoder padding mask agree on the unpadded positions.
    const unpadded = f.decoder_attention_mask.map((r) => r.filter((v) => v === 1).length);
    const tfkit = await withBackend('cpu', () => model.forward({ inputIds: f.input_ids, attentionMask: f.attention_mask, decoderInputIds: f.decoder_input_ids }));
    const common = { input_ids: int64(ort, f.decoder_input_ids), encoder_attention_mask: int64(ort, f.attention_mask), encoder_hidden_states: states };
    const empty = Object.fromEntries([0, 1].flatMap((i) => ['decoder', 'encoder'].flatMap((p) => ['key', 'value'].map((k) => [`past_key_values.${i}.${p}.${k}`, emptyPast(ort, 2, 4, 8)]))));
    for (const [label, file, feeds] of [
      ['decoder_model (no past)', path.join(dirs.plain, 'onnx/decoder_model.onnx'), common],
      ['decoder_model (with presents)', path.join(dirs.past, 'onnx/decoder_model.onnx'), common],
      ['decoder_model_merged (no cache branch)', path.join(dirs.past, 'onnx/decoder_model_merged.onnx'), { ...common, ...empty, use_cache_branch: new ort.Tensor('bool', [false], [1]) }],
    ] as const) {
      const out = await run(file, feeds);
      await close(out['logits'] as OrtTensor, expected.get('logits') as tf.Tensor, `${label} vs Hugging Face`, unpadded);
      await close(out['logits'] as OrtTensor, tfkit.logits, `${label} vs tfkit`);
    }
    await withBackend('cpu', () => tf.dispose(tfkit as unknown as tf.TensorContainer));
  }, 120_000);

  it.each([17, 21])('opset %i: the merged decoder (If branches) and the encoder give the same outputs', async (opset) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tfkit-bart-onnx-${opset}-`));
    try {
      await withBackend('cpu', () => exportOnnx(model, dir, { registry, withPast: true, opset }));
      const { input_ids, attention_mask, _generation_config: g } = inputs.generate_greedy;
      const ids = await greedySeq2Seq(ort, dir, input_ids, attention_mask, SHAPE, {
        maxNewTokens: g['max_new_tokens'] as number, eosTokenId: g['eos_token_id'] as number, padTokenId: g['pad_token_id'] as number,
        decoderStartTokenId: g['decoder_start_token_id'] as number, files: 'merged',
      });
      expect(ids).toEqual(expectedJson['generate_greedy']?.sequences);
      const f = inputs.forward;
      const encoder = await run(path.join(dir, 'onnx/encoder_model.onnx'), { input_ids: int64(ort, f.input_ids), attention_mask: int64(ort, f.attention_mask) });
      await close(encoder['last_hidden_state'] as OrtTensor, expected.get('encoder_last_hidden_state') as tf.Tensor, `opset ${opset} encoder`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('one step with past (decoder_with_past and the merged cache branch) equals the last position of a full pass', async () => {
    const f = inputs.forward;
    const states = (await run(path.join(dirs.past, 'onnx/encoder_model.onnx'), { input_ids: int64(ort, f.input_ids), attention_mask: int64(ort, f.attention_mask) }))['last_hidden_state'] as OrtTensor;
    const prefix = f.decoder_input_ids.map((r) => r.slice(0, 3));
    const last = f.decoder_input_ids.map((r) => [r[3] as number]);
    const mask = int64(ort, f.attention_mask);
    const first = await run(path.join(dirs.past, 'onnx/decoder_model.onnx'), { input_ids: int64(ort, prefix), encoder_attention_mask: mask, encoder_hidden_states: states });
    const past = Object.fromEntries([0, 1].flatMap((i) => ['decoder', 'encoder'].flatMap((p) => ['key', 'value'].map((k) => [`past_key_values.${i}.${p}.${k}`, first[`present.${i}.${p}.${k}`]]))));
    const full = await withBackend('cpu', () => model.forward({ inputIds: f.input_ids, attentionMask: f.attention_mask, decoderInputIds: f.decoder_input_ids.map((r) => r.slice(0, 4)) }));
    const want = await withBackend('cpu', () => tf.slice(full.logits, [0, 3, 0], [-1, 1, -1]));
    const withPast = await run(path.join(dirs.past, 'onnx/decoder_with_past_model.onnx'), { input_ids: int64(ort, last), encoder_attention_mask: mask, ...past });
    await close(withPast['logits'] as OrtTensor, want, 'decoder_with_past step');
    expect((withPast['present.0.decoder.key'] as OrtTensor).dims).toEqual([2, 4, 4, 8]);
    const merged = await run(path.join(dirs.past, 'onnx/decoder_model_merged.onnx'), {
      input_ids: int64(ort, last), encoder_attention_mask: mask, encoder_hidden_states: states, ...past, use_cache_branch: new ort.Tensor('bool', [true], [1]),
    });
    await close(merged['logits'] as OrtTensor, want, 'merged step (cache branch)');
    await withBackend('cpu', () => tf.dispose([full as unknown as tf.TensorContainer, want]));
  }, 120_000);

  it.each([
    ['generate_greedy', null],
    ['generate_greedy with eos 29 (rows finish early)', 29],
  ] as const)('%s: greedy ids over the merged and the split decoders equal tfkit generate', async (_label, eos) => {
    const { input_ids, attention_mask, _generation_config: g } = inputs.generate_greedy;
    const options = {
      maxNewTokens: g['max_new_tokens'] as number, eosTokenId: eos ?? (g['eos_token_id'] as number),
      padTokenId: g['pad_token_id'] as number, decoderStartTokenId: g['decoder_start_token_id'] as number,
    };
    const merged = await greedySeq2Seq(ort, dirs.past, input_ids, attention_mask, SHAPE, { ...options, files: 'merged' });
    const split = await greedySeq2Seq(ort, dirs.past, input_ids, attention_mask, SHAPE, { ...options, files: 'split' });
    const tfkit = await withBackend('cpu', () => model.generate(input_ids, { attentionMask: attention_mask, ...options, bosTokenId: g['bos_token_id'] as number, doSample: false, numBeams: 1 }));
    expect(merged).toEqual(tfkit.sequences);
    expect(split).toEqual(tfkit.sequences);
    if (eos === null) expect(merged).toEqual(expectedJson['generate_greedy']?.sequences);
    else expect(merged.some((row) => row.includes(eos) && row.at(-1) === options.padTokenId)).toBe(true);
  }, 120_000);
});
