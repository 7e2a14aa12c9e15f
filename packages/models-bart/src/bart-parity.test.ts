import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { AutoModel, createRegistry, safetensorsToTensors } from '@tfkit/core-tensor';
import { expectAllClose, expectNoLeaks, fixturePath, readFixtureJson, withBackend } from '@tfkit/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BartForConditionalGeneration } from './bart-heads.js';
import { registerBart } from './bart-register.js';

const NAME = 'bart-conditional-generation';
type Ids = number[][];
type Scenario = { input_ids: Ids; attention_mask: Ids; _generation_config: Record<string, number | boolean | null> };
interface Inputs {
  forward: { input_ids: Ids; attention_mask: Ids; decoder_input_ids: Ids; decoder_attention_mask: Ids };
  generate_greedy: Scenario;
  generate_beam: Scenario;
  generate_beam_early_eos: Scenario;
}
const inputs = readFixtureJson<Inputs>('models', NAME, 'inputs.json');
const expectedJson = readFixtureJson<Record<string, { sequences: Ids }>>('models', NAME, 'expected.json');
const SCENARIOS = ['generate_greedy', 'generate_beam', 'generate_beam_early_eos'] as const;

/** HF output name → the tensor in a tfkit output (`encoder_hidden_states.2` → encoderHiddenStates[2]). */
function pick(out: object, name: string): tf.Tensor {
  const [head, index] = name.split('.') as [string, string | undefined];
  const value = (out as Record<string, unknown>)[head.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())];
  const t = index === undefined ? value : (value as tf.Tensor[] | undefined)?.[Number(index)];
  if (!(t instanceof tf.Tensor)) throw new Error(`output has no ${name}`);
  return t;
}

/** Hugging Face's GenerationConfig kwargs → generate options (null means unset). */
function generateOptions(g: Scenario['_generation_config']) {
  const n = (k: string) => (g[k] === null || g[k] === undefined ? undefined : (g[k] as number));
  return {
    doSample: g['do_sample'] as boolean, maxNewTokens: n('max_new_tokens'), numBeams: n('num_beams'), minLength: n('min_length'),
    noRepeatNgramSize: n('no_repeat_ngram_size'), eosTokenId: n('eos_token_id'), padTokenId: n('pad_token_id'), bosTokenId: n('bos_token_id'),
    decoderStartTokenId: n('decoder_start_token_id'), forcedBosTokenId: n('forced_bos_token_id'), forcedEosTokenId: n('forced_eos_token_id'),
    ...(g['length_penalty'] !== undefined ? { lengthPenalty: g['length_penalty'] as number, earlyStopping: g['early_stopping'] as boolean } : {}),
    ...(g['num_return_sequences'] !== undefined ? { numReturnSequences: g['num_return_sequences'] as number } : {}),
  };
}

describe.each(['cpu', 'wasm'])('BART parity with Hugging Face (%s)', (backend) => {
  let model: BartForConditionalGeneration;
  let expected: Map<string, tf.Tensor>;
  beforeAll(async () => {
    await withBackend(backend, async () => {
      model = await AutoModel.fromPretrained<BartForConditionalGeneration>(fixturePath('models', NAME), { registry: registerBart(createRegistry()) });
      expected = safetensorsToTensors(fs.readFileSync(fixturePath('models', NAME, 'expected.safetensors')), NAME).tensors;
    });
  });
  afterAll(async () => {
    await withBackend(backend, () => {
      model.dispose();
      tf.dispose([...expected.values()]);
    });
  });

  it('AutoModel builds BartForConditionalGeneration with the token table tied to both embed_tokens and lm_head', () => {
    expect(model).toBeInstanceOf(BartForConditionalGeneration);
    expect(model.loadReport).toEqual({ missing: [], unexpected: [], mismatched: [] });
    expect(model.lm_head.weight).toBe(model.model.shared.weight);
    expect(model.model.encoder.embed_tokens.weight).toBe(model.model.shared.weight);
    expect(model.model.decoder.embed_tokens.weight).toBe(model.model.shared.weight);
  });

  it('forward: logits, encoder/decoder states, every hidden state and self/cross attention within 1e-4', async () => {
    await withBackend(backend, () =>
      expectNoLeaks(() => {
        const f = inputs.forward;
        const args = { inputIds: f.input_ids, attentionMask: f.attention_mask, decoderInputIds: f.decoder_input_ids, decoderAttentionMask: f.decoder_attention_mask };
        const out = model.forward({ ...args, outputHiddenStates: true, outputAttentions: true });
        const base = model.model.forward(args);
        const names = [...expected.keys()].filter((k) => !k.startsWith('generate'));
        expect(names.sort()).toEqual([
          'cross_attentions.0', 'cross_attentions.1', 'decoder_attentions.0', 'decoder_attentions.1',
          'decoder_hidden_states.0', 'decoder_hidden_states.1', 'decoder_hidden_states.2', 'decoder_last_hidden_state',
          'encoder_attentions.0', 'encoder_attentions.1', 'encoder_hidden_states.0', 'encoder_hidden_states.1', 'encoder_hidden_states.2',
          'encoder_last_hidden_state', 'logits',
        ]);
        for (const name of names) {
          const actual = name === 'decoder_last_hidden_state' ? base.lastHiddenState : pick(out, name);
          expectAllClose(actual, expected.get(name)!, { atol: 1e-4, label: `${backend} ${name}` });
        }
        expect(out.encoderHiddenStates).toHaveLength(3);
        expect(out.crossAttentions).toHaveLength(2);
        tf.dispose([out, base] as unknown as tf.TensorContainer);
      }, 'forward'),
    );
  });

  it.each(SCENARIOS)('%s: generated ids exactly as Hugging Face (and beam scores within 1e-4)', async (scenario) => {
    await withBackend(backend, () =>
      expectNoLeaks(async () => {
        const { input_ids, attention_mask, _generation_config } = inputs[scenario];
        const out = await model.generate(input_ids, { attentionMask: attention_mask, ...generateOptions(_generation_config) });
        expect(out.sequences).toEqual(expectedJson[scenario]!.sequences);
        expect(out.prefixLength).toBe(1);
        const scores = expected.get(`${scenario}.sequences_scores`);
        if (scores) expectAllClose(out.sequencesScores!, scores, { atol: 1e-4, label: `${scenario} scores` });
      }, scenario),
    );
  });
});
