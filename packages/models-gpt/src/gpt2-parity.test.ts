import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { AutoModel, createRegistry, safetensorsToTensors } from '@tfkit/core-tensor';
import { expectAllClose, expectNoLeaks, fixturePath, readFixtureJson, withBackend } from '@tfkit/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GPT2LMHeadModel } from './gpt2-heads.js';
import { registerGpt2 } from './gpt2-register.js';

type Ids = number[][];
interface Inputs {
  forward: { input_ids: Ids; attention_mask: Ids };
  left_padded: { input_ids: Ids; attention_mask: Ids; position_ids: Ids };
  kv_cache: { prompt: { input_ids: Ids; attention_mask: Ids; position_ids: Ids }; step: { input_ids: Ids; attention_mask: Ids; position_ids: Ids } };
  generate: { input_ids: Ids; attention_mask: Ids; _generation_config: Record<string, number | boolean> };
  generate_early_eos: { input_ids: Ids; attention_mask: Ids; _generation_config: Record<string, number | boolean> };
}
interface Expected {
  generate: { sequences: Ids };
  generate_early_eos: { sequences: Ids };
}

const dir = fixturePath('models', 'gpt2-lm');
const inputs = readFixtureJson<Inputs>('models', 'gpt2-lm', 'inputs.json');
const expectedJson = readFixtureJson<Expected>('models', 'gpt2-lm', 'expected.json');

describe.each(['cpu', 'wasm'])('GPT-2 parity with Hugging Face (gpt2-lm) on %s', (backend) => {
  let model: GPT2LMHeadModel;
  let expected: Map<string, tf.Tensor>;
  const want = (name: string) => {
    const t = expected.get(name);
    if (!t) throw new Error(`expected.safetensors has no ${name}`);
    return t;
  };

  beforeAll(async () => {
    await withBackend(backend, async () => {
      model = await AutoModel.fromPretrained<GPT2LMHeadModel>(dir, { registry: registerGpt2(createRegistry()) });
      expected = safetensorsToTensors(fs.readFileSync(fixturePath('models', 'gpt2-lm', 'expected.safetensors')), 'gpt2-lm').tensors;
    });
  });
  afterAll(async () => {
    await withBackend(backend, () => {
      model.dispose();
      tf.dispose([...expected.values()]);
    });
  });

  it('loads the checkpoint as GPT2LMHeadModel with a tied head', async () => {
    expect(model.architecture).toBe('GPT2LMHeadModel');
    expect(model.lm_head.weight).toBe(model.transformer.wte.weight);
    expect(model.loadReport).toEqual({ missing: [], unexpected: [] });
  });

  it('forward: logits, last hidden state, every hidden state and attention map within 1e-4', async () => {
    await withBackend(backend, () =>
      expectNoLeaks(() => {
        const { input_ids, attention_mask } = inputs.forward;
        const out = model.forward({ inputIds: input_ids, attentionMask: attention_mask, outputHiddenStates: true, outputAttentions: true });
        const base = model.transformer.forward({ inputIds: input_ids, attentionMask: attention_mask });
        expectAllClose(out.logits, want('logits'), { label: 'logits' });
        expectAllClose(base.lastHiddenState, want('last_hidden_state'), { label: 'last_hidden_state' });
        expect(out.hiddenStates).toHaveLength(3);
        out.hiddenStates?.forEach((h, i) => expectAllClose(h, want(`hidden_states.${i}`), { label: `hidden_states.${i}` }));
        out.attentions?.forEach((a, i) => expectAllClose(a, want(`attentions.${i}`), { label: `attentions.${i}` }));
        expect(out.attentions).toHaveLength(2);
        tf.dispose([out as unknown as tf.TensorContainer, base as unknown as tf.TensorContainer]);
      }, 'forward'),
    );
  });

  it('left padding with explicit position ids', async () => {
    await withBackend(backend, () =>
      expectNoLeaks(() => {
        const { input_ids, attention_mask, position_ids } = inputs.left_padded;
        const out = model.forward({ inputIds: input_ids, attentionMask: attention_mask, positionIds: position_ids });
        expectAllClose(out.logits, want('left_padded.logits'), { label: 'left_padded.logits' });
        tf.dispose(out as unknown as tf.TensorContainer);
      }, 'left-padded forward'),
    );
  });

  it('KV cache: the prompt pass, its cache, and one cached step equal the full forward', async () => {
    await withBackend(backend, () =>
      expectNoLeaks(() => {
        const { prompt, step } = inputs.kv_cache;
        const first = model.forward({ inputIds: prompt.input_ids, attentionMask: prompt.attention_mask, positionIds: prompt.position_ids, useCache: true });
        expectAllClose(first.logits, want('kv_cache.prompt_logits'), { label: 'prompt_logits' });
        first.pastKeyValues?.forEach(({ key, value }, i) => {
          expectAllClose(key, want(`kv_cache.present.${i}.key`), { label: `present.${i}.key` });
          expectAllClose(value, want(`kv_cache.present.${i}.value`), { label: `present.${i}.value` });
        });
        const next = model.forward({
          inputIds: step.input_ids, attentionMask: step.attention_mask, positionIds: step.position_ids, pastKeyValues: first.pastKeyValues ?? null, useCache: true,
        });
        expectAllClose(next.logits, want('kv_cache.step_logits'), { label: 'step_logits' });
        expect(next.pastKeyValues?.[0]?.key.shape).toEqual([2, 4, 8, 8]);
        const full = model.forward({
          inputIds: prompt.input_ids.map((r, i) => [...r, ...(step.input_ids[i] as number[])]),
          attentionMask: step.attention_mask,
          positionIds: prompt.position_ids.map((r, i) => [...r, ...(step.position_ids[i] as number[])]),
        });
        expectAllClose(full.logits, want('kv_cache.full_logits'), { label: 'full_logits' });
        const lastFull = tf.slice(full.logits, [0, 7, 0], [2, 1, -1]);
        expectAllClose(next.logits, lastFull, { label: 'cached step vs full forward' });
        tf.dispose([first, next, full, lastFull] as unknown as tf.TensorContainer);
      }, 'kv cache'),
    );
  });

  it.each(['generate', 'generate_early_eos'] as const)('%s: greedy ids exactly as Hugging Face', async (scenario) => {
    await withBackend(backend, () =>
      expectNoLeaks(async () => {
        const { input_ids, attention_mask, _generation_config: g } = inputs[scenario];
        const out = await model.generate(input_ids, {
          attentionMask: attention_mask,
          maxNewTokens: g['max_new_tokens'] as number,
          doSample: g['do_sample'] as boolean,
          numBeams: g['num_beams'] as number,
          eosTokenId: g['eos_token_id'] as number,
          padTokenId: g['pad_token_id'] as number,
          bosTokenId: g['bos_token_id'] as number,
        });
        expect(out.sequences).toEqual(expectedJson[scenario].sequences);
        expect(out.prefixLength).toBe(7);
      }, scenario),
    );
  });

  it('generates the same ids without the KV cache', async () => {
    await withBackend(backend, async () => {
      const { input_ids, attention_mask } = inputs.generate;
      const out = await model.generate(input_ids, { attentionMask: attention_mask, maxNewTokens: 12, useCache: false });
      expect(out.sequences).toEqual(expectedJson.generate.sequences);
    });
  });
});
