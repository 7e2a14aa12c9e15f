/**
 * GPT-2 and BART exports on configs the reference fixtures do not cover (per-layer attention
 * scaling, untied LM heads, other activations, scaled embeddings, no pad token), run in
 * onnxruntime-web against tfkit; and the typed errors for architectures that have no export.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, createRegistry } from '@tfkit/core-tensor';
import { BartForConditionalGeneration, BartModel, registerBart } from '@tfkit/models-bart';
import { GPT2LMHeadModel, registerGpt2 } from '@tfkit/models-gpt';
import { withBackend } from '@tfkit/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportOnnx } from './export.js';
import { emptyPast, int64, openSession, type OrtModule, type OrtTensor } from './test/onnx-decoding.js';
import { loadOrt } from './test/ort.js';

const registry = registerBart(registerGpt2(createRegistry()));
let tmp: string;
let ort: OrtModule;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-onnx-decoders-'));
  const loaded = await loadOrt('web');
  if (typeof loaded === 'string') throw new Error(loaded);
  ort = loaded as unknown as OrtModule;
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** max |a − b| over two float arrays of the same length. */
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

async function run(file: string, feeds: Record<string, unknown>): Promise<Record<string, OrtTensor>> {
  const session = await openSession(ort, file);
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

describe('GPT-2 export on other configs', () => {
  it.each([
    { name: 'per-layer scaling, untied head, relu, n_inner', scaleAttnByInverseLayerIdx: true, tieWordEmbeddings: false, activationFunction: 'relu', nInner: 24 },
    { name: 'unscaled attention, gelu (erf)', scaleAttnWeights: false, activationFunction: 'gelu' },
  ])('$name: a prompt then one cached step equal tfkit within 1e-4', async ({ name: _name, ...overrides }) => {
    await withBackend('cpu', async () => {
      const model = new GPT2LMHeadModel({ vocabSize: 50, nPositions: 32, nEmbd: 16, nLayer: 3, nHead: 2, initializerRange: 0.3, ...overrides }, { seed: 3 });
      model.eval();
      const dir = path.join(tmp, `gpt2-${Object.keys(overrides).join('-')}`);
      try {
        const before = tf.memory().numTensors;
        await exportOnnx(model, dir, { registry, withPast: true });
        expect(tf.memory().numTensors).toBe(before);
        const file = path.join(dir, 'onnx/model.onnx');
        const ids = [[3, 17, 42, 8], [1, 1, 25, 9]];
        const mask = [[1, 1, 1, 1], [0, 0, 1, 1]];
        const positions = [[0, 1, 2, 3], [1, 1, 0, 1]];
        const feeds: Record<string, unknown> = { input_ids: int64(ort, ids), attention_mask: int64(ort, mask), position_ids: int64(ort, positions) };
        for (let i = 0; i < 3; i++) for (const kv of ['key', 'value']) feeds[`past_key_values.${i}.${kv}`] = emptyPast(ort, 2, 2, 8);
        const first = await run(file, feeds);
        // The prompt alone (a padding query row sees every key Hugging Face leaves at the float32 minimum, later ones included).
        const promptOnly = model.forward({ inputIds: ids, attentionMask: mask, positionIds: positions });
        expect(maxDiff(first['logits']?.data as Float32Array, promptOnly.logits.dataSync())).toBeLessThan(1e-4);
        const full = model.forward({ inputIds: ids.map((r, i) => [...r, 30 + i]), attentionMask: mask.map((r) => [...r, 1]), positionIds: positions.map((r) => [...r, (r.at(-1) as number) + 1]) });
        const next: Record<string, unknown> = { input_ids: int64(ort, [[30], [31]]), attention_mask: int64(ort, mask.map((r) => [...r, 1])), position_ids: int64(ort, [[4], [2]]) };
        for (let i = 0; i < 3; i++) for (const kv of ['key', 'value']) next[`past_key_values.${i}.${kv}`] = first[`present.${i}.${kv}`];
        const step = await run(file, next);
        const last = tf.slice(full.logits, [0, 4, 0], [2, 1, -1]);
        expect(maxDiff(step['logits']?.data as Float32Array, last.dataSync())).toBeLessThan(1e-4);
        tf.dispose([full as unknown as tf.TensorContainer, promptOnly as unknown as tf.TensorContainer, last]);
      } finally {
        model.dispose();
      }
    });
  }, 60_000);
});

describe('BART export on other configs', () => {
  it('scaled embeddings, relu, more decoder than encoder layers, untied head: the merged decoder equals tfkit within 1e-4', async () => {
    await withBackend('cpu', async () => {
      const model = new BartForConditionalGeneration({
        vocabSize: 60, dModel: 16, encoderLayers: 1, decoderLayers: 2, encoderAttentionHeads: 2, decoderAttentionHeads: 4,
        encoderFfnDim: 24, decoderFfnDim: 20, maxPositionEmbeddings: 32, scaleEmbedding: true, activationFunction: 'relu',
        tieWordEmbeddings: false, initStd: 0.3,
      }, { seed: 5 });
      model.eval();
      const dir = path.join(tmp, 'bart-untied');
      try {
        await exportOnnx(model, dir, { registry, withPast: true });
        const ids = [[0, 11, 23, 35, 2], [0, 40, 2, 1, 1]];
        const mask = [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]];
        const decoderIds = [[2, 0, 14, 33], [2, 0, 52, 7]];
        const encoder = await run(path.join(dir, 'onnx/encoder_model.onnx'), { input_ids: int64(ort, ids), attention_mask: int64(ort, mask) });
        const empty = Object.fromEntries([0, 1].flatMap((i) => ['decoder', 'encoder'].flatMap((p) => ['key', 'value'].map((k) => [`past_key_values.${i}.${p}.${k}`, emptyPast(ort, 2, 4, 4)]))));
        const out = await run(path.join(dir, 'onnx/decoder_model_merged.onnx'), {
          input_ids: int64(ort, decoderIds), encoder_attention_mask: int64(ort, mask), encoder_hidden_states: encoder['last_hidden_state'], ...empty,
          use_cache_branch: new ort.Tensor('bool', [false], [1]),
        });
        const tfkit = model.forward({ inputIds: ids, attentionMask: mask, decoderInputIds: decoderIds });
        expect(maxDiff(encoder['last_hidden_state']?.data as Float32Array, tfkit.encoderLastHiddenState.dataSync())).toBeLessThan(1e-4);
        expect(maxDiff(out['logits']?.data as Float32Array, tfkit.logits.dataSync())).toBeLessThan(1e-4);
        tf.dispose(tfkit as unknown as tf.TensorContainer);
      } finally {
        model.dispose();
      }
    });
  }, 60_000);

  it('a BART class with no export is a ConfigError naming the one that has, and nothing is written', async () => {
    await withBackend('cpu', async () => {
      const model = new BartModel({ vocabSize: 30, dModel: 8, encoderLayers: 1, decoderLayers: 1, encoderAttentionHeads: 2, decoderAttentionHeads: 2, encoderFfnDim: 8, decoderFfnDim: 8, maxPositionEmbeddings: 16 });
      const dir = path.join(tmp, 'bart-model');
      try {
        const error = await exportOnnx(model, dir, { registry }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as Error).message).toMatch(/BartModel has no ONNX export; export BartForConditionalGeneration/);
        expect(fs.existsSync(dir)).toBe(false);
      } finally {
        model.dispose();
      }
    });
  });
});
