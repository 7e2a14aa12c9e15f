import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { AutoModel, createRegistry, loadCheckpoint, safetensorsToTensors } from '@tfkit/core-tensor';
import { StateDictError } from '@tfkit/layers';
import { expectAllClose, expectNoLeaks, fixturePath } from '@tfkit/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { GPT2ForSequenceClassification, GPT2LMHeadModel } from './gpt2-heads.js';
import type { Gpt2Config } from './gpt2-config.js';
import { GPT2Model, type GPT2PreTrainedModel } from './gpt2-modeling.js';
import { registerGpt2 } from './gpt2-register.js';

const fixture = fixturePath('models', 'gpt2-lm');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-gpt2-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const registry = registerGpt2(createRegistry());
const ids = [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]];

function savedNames(dir: string): string[] {
  const { tensors } = safetensorsToTensors(fs.readFileSync(path.join(dir, 'model.safetensors')), dir);
  const names = [...tensors.keys()];
  tf.dispose([...tensors.values()]);
  return names;
}

describe('savePretrained → fromPretrained', () => {
  it('round-trips the fixture: same logits, tied lm_head not saved, config and generation config written', async () => {
    const model = await GPT2LMHeadModel.fromPretrained(fixture);
    const dir = path.join(tmp, 'roundtrip');
    await expectNoLeaks(() => model.savePretrained(dir), 'savePretrained');
    expect(savedNames(dir)).not.toContain('lm_head.weight');
    expect(savedNames(dir)).toContain('transformer.h.1.attn.c_attn.weight');
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], n_embd: 32, n_head: 4, vocab_size: 1000, activation_function: 'gelu_new' });
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'generation_config.json'), 'utf8'))).toMatchObject({ eos_token_id: 999, bos_token_id: 999 });
    // The saved weights are byte-for-byte the fixture's tensors.
    const original = await loadCheckpoint(fixture);
    const saved = await loadCheckpoint(dir);
    for (const [name, t] of original.weights) expectAllClose(saved.weights.get(name) as tf.Tensor, t, { atol: 0, label: name });
    tf.dispose([...original.weights.values(), ...saved.weights.values()]);
    const again = await AutoModel.fromPretrained<GPT2LMHeadModel>(dir, { registry });
    const a = model.forward({ inputIds: ids });
    const b = again.forward({ inputIds: ids });
    expectAllClose(b.logits, a.logits, { atol: 0 });
    tf.dispose([a.logits, b.logits]);
    model.dispose();
    again.dispose();
  });

  it('loads across classes: LM checkpoint into GPT2Model and a classifier; base checkpoint into the LM', async () => {
    const lm = await GPT2LMHeadModel.fromPretrained(fixture);
    const base = await AutoModel.fromPretrained<GPT2Model>(fixture, { registry, architecture: 'GPT2Model' });
    expect(base).toBeInstanceOf(GPT2Model);
    const h1 = lm.transformer.forward({ inputIds: ids }).lastHiddenState;
    const h2 = base.forward({ inputIds: ids }).lastHiddenState;
    expectAllClose(h2, h1, { atol: 0 });
    const baseDir = path.join(tmp, 'base');
    await base.savePretrained(baseDir);
    expect(savedNames(baseDir)).toContain('h.0.attn.c_attn.weight');
    expect(fs.existsSync(path.join(baseDir, 'generation_config.json'))).toBe(false);
    const lm2 = await GPT2LMHeadModel.fromPretrained(baseDir);
    const h3 = lm2.transformer.forward({ inputIds: ids }).lastHiddenState;
    expectAllClose(h3, h1, { atol: 0 });
    const cls = await GPT2ForSequenceClassification.fromPretrained(fixture, { configOverrides: { num_labels: 3, pad_token_id: 999 } });
    expect(cls.loadReport.missing).toEqual(['score.weight']);
    const out = cls.forward({ inputIds: ids });
    expect(out.logits.shape).toEqual([2, 3]);
    tf.dispose([h1, h2, h3, out.logits]);
    for (const m of [lm, base, lm2, cls] as GPT2PreTrainedModel[]) m.dispose();
  });

  it('ignores legacy attention buffers and reports mis-shaped weights by name', async () => {
    const model = new GPT2LMHeadModel({ vocabSize: 20, nPositions: 8, nEmbd: 8, nLayer: 1, nHead: 2 });
    const dir = path.join(tmp, 'legacy');
    await model.savePretrained(dir);
    const ckpt = await loadCheckpoint(dir);
    ckpt.weights.set('transformer.h.0.attn.bias', tf.ones([1, 1, 8, 8]));
    ckpt.weights.set('transformer.h.0.attn.masked_bias', tf.scalar(-1e4));
    const reloaded = await AutoModel.fromCheckpoint(ckpt, { registry });
    expect((reloaded as GPT2LMHeadModel).loadReport).toEqual({ missing: [], unexpected: [] });
    ckpt.weights.get('transformer.wpe.weight')?.dispose();
    ckpt.weights.set('transformer.wpe.weight', tf.zeros([9, 8]));
    await expect(AutoModel.fromCheckpoint(ckpt, { registry })).rejects.toThrow(/transformer\.wpe\.weight \(expected \[8,8\], got \[9,8\]\)/);
    await expect(AutoModel.fromCheckpoint(ckpt, { registry })).rejects.toBeInstanceOf(StateDictError);
    tf.dispose([...ckpt.weights.values()]);
    reloaded.dispose();
    model.dispose();
  });
});

describe('other configurations', () => {
  const variants: Record<string, Partial<Gpt2Config>> = {
    'relu, n_inner 24, one head': { activationFunction: 'relu', nInner: 24, nHead: 1 },
    'gelu, 8 heads, scale by inverse layer index': { activationFunction: 'gelu', nHead: 8, scaleAttnByInverseLayerIdx: true },
    'untied head, no score scaling': { tieWordEmbeddings: false, scaleAttnWeights: false, nHead: 4 },
  };
  it.each(Object.entries(variants))('%s: cached generation equals recomputation, batching equals one prompt at a time, save → load', async (name, variant) => {
    const model = new GPT2LMHeadModel({ vocabSize: 30, nPositions: 32, nEmbd: 16, nLayer: 3, eosTokenId: null, bosTokenId: null, ...variant }, { seed: 7 });
    const prompts = [[3, 4, 5, 6], [7, 8], [9]];
    await expectNoLeaks(async () => {
      const batched = await model.generate(prompts, { maxNewTokens: 8, padTokenId: 0 });
      const uncached = await model.generate(prompts, { maxNewTokens: 8, padTokenId: 0, useCache: false });
      expect(uncached.sequences).toEqual(batched.sequences);
      for (const [i, p] of prompts.entries()) {
        const alone = await model.generate([p], { maxNewTokens: 8 });
        expect((batched.sequences[i] as number[]).slice(4 - p.length)).toEqual(alone.sequences[0]);
      }
    }, name);
    const dir = path.join(tmp, name.replace(/\W+/g, '-'));
    await model.savePretrained(dir);
    if (variant.tieWordEmbeddings === false) expect(savedNames(dir)).toContain('lm_head.weight');
    const again = await AutoModel.fromPretrained<GPT2LMHeadModel>(dir, { registry });
    expect(again.config).toMatchObject(variant);
    const a = model.forward({ inputIds: ids });
    const b = again.forward({ inputIds: ids });
    expectAllClose(b.logits, a.logits, { atol: 0 });
    tf.dispose([a.logits, b.logits]);
    model.dispose();
    again.dispose();
  });
});

describe('task tokens', () => {
  it('resizeTokenEmbeddings keeps old rows, keeps the head tied, and the new ids can be generated from', async () => {
    const model = new GPT2LMHeadModel({ vocabSize: 20, nPositions: 16, nEmbd: 8, nLayer: 1, nHead: 2 }, { seed: 2 });
    const before = model.transformer.wte.weight.value.arraySync() as number[][];
    const count = tf.memory().numTensors;
    model.resizeTokenEmbeddings(22);
    expect(tf.memory().numTensors).toBe(count);
    expect(model.config.vocabSize).toBe(22);
    expect(model.lm_head.weight).toBe(model.transformer.wte.weight);
    const after = model.transformer.wte.weight.value.arraySync() as number[][];
    expect(after.slice(0, 20)).toEqual(before);
    expect(after[21]?.some((x) => x !== 0)).toBe(true);
    const out = await model.generate([[1, 2, 21]], { maxNewTokens: 3 });
    expect(out.sequences[0]).toHaveLength(6);
    const { logits } = model.forward({ inputIds: [[21, 20]] });
    expect(logits.shape).toEqual([1, 2, 22]);
    logits.dispose();
    model.dispose();
  });
});

describe('memory', () => {
  it('no tensors leak across 100 generate calls (greedy, sampling, beam)', async () => {
    const model = await GPT2LMHeadModel.fromPretrained(fixture);
    await expectNoLeaks(async () => {
      for (let i = 0; i < 100; i++) {
        const mode = i % 3 === 0 ? { doSample: true, seed: i, topK: 10, topP: 0.9 } : i % 3 === 1 ? { numBeams: 2 } : {};
        await model.generate([[1, 2, 3]], { maxNewTokens: 4, ...mode });
      }
    }, '100 generate calls');
    model.dispose();
  });
});
