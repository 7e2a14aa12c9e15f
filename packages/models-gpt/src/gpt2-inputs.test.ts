import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, createRegistry } from '@tfkit/core-tensor';
import { TextGenerationPipeline } from '@tfkit/generation';
import { InputError, StateDictError, TokenizerMismatchError } from '@tfkit/layers';
import { expectNoLeaks, fixturePath, withBackend } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { gpt2Config, Gpt2ConfigError, gpt2ConfigFromHf } from './gpt2-config.js';
import { GPT2LMHeadModel } from './gpt2-heads.js';
import { GPT2Model, type Gpt2ModelInputs } from './gpt2-modeling.js';
import { registerGpt2 } from './gpt2-register.js';

const tiny = { vocabSize: 1000, nPositions: 16, nEmbd: 8, nLayer: 2, nHead: 2 };

function errorOf(fn: () => unknown): (Error & { key?: string }) | undefined {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  return undefined;
}

const CASES: [string, Partial<Gpt2ModelInputs> | null, RegExp][] = [
  ['an id past the vocabulary', { inputIds: [[1, 2, 3, 4], [5, 6, 7, 1000]] }, /^GPT2Model\.forward: inputIds\[1\]\[3\] = 1000 is outside the vocabulary \[0, 1000\) \(vocab_size\)$/],
  ['a negative id', { inputIds: [[-5]] }, /inputIds\[0\]\[0\] = -5 is outside the vocabulary/],
  ['a fractional id', { inputIds: [[1.5]] }, /inputIds\[0\]\[0\] = 1\.5 is not an integer/],
  ['a position past n_positions', { inputIds: [[1, 2]], positionIds: [[15, 16]] }, /positionIds\[0\]\[1\] = 16 is outside the position table \[0, 16\) \(n_positions\)/],
  ['a ragged batch', { inputIds: [[1, 2], [1]] }, /inputIds is ragged/],
  ['a mask of another shape', { inputIds: [[1, 2]], attentionMask: [[1, 1, 1]] }, /attentionMask is \[1,3\], expected \[1,2\]/],
  ['an empty batch', { inputIds: [] }, /empty batch/],
  ['an empty sequence', { inputIds: [[]] }, /an empty sequence/],
  ['a sequence longer than n_positions', { inputIds: [Array.from({ length: 17 }, () => 1)] }, /17 positions exceed n_positions 16; shorten the input/],
  ['past keys of the wrong shape', { inputIds: [[1]], pastKeyValues: [{ key: tf.zeros([1, 2, 3, 4]), value: tf.zeros([1, 2, 3, 4]) }, { key: tf.zeros([1, 2, 3, 3]), value: tf.zeros([1, 2, 3, 3]) }] as never }, /pastKeyValues\[1\] is \[1,2,3,3\], expected \[1,2,3,4\]/],
  ['past keys that are not tensors', { inputIds: [[1]], pastKeyValues: [{ key: 1 }, {}] as never }, /pastKeyValues\[0\] must hold \{ key, value \} tensors/],
  ['no inputIds', {}, /give inputIds/],
  ['no inputs object', null, /pass an object of inputs/],
];

describe('GPT2Model.forward checks its inputs as BART does', () => {
  it.each(CASES)('%s is an InputError naming the argument, and leaks nothing', async (_, inputs, message) => {
    const model = new GPT2Model(tiny);
    await expectNoLeaks(() => {
      tf.tidy(() => {
        const e = errorOf(() => model.forward(inputs as Gpt2ModelInputs));
        expect(e).toBeInstanceOf(InputError);
        expect(e?.message).toMatch(message);
      });
    }, 'bad input');
    model.dispose();
  });

  it('checks tensor ids too (no raw GatherV2 error) and rejects an empty sequence on cpu and wasm', async () => {
    const model = new GPT2LMHeadModel(tiny);
    for (const backend of ['cpu', 'wasm']) {
      await withBackend(backend, () => expectNoLeaks(() => {
        tf.tidy(() => {
          expect(errorOf(() => model.forward({ inputIds: tf.tensor2d([[1, 1000]], undefined, 'int32') }))?.message).toMatch(/inputIds\[0\]\[1\] = 1000 is outside the vocabulary/);
          expect(errorOf(() => model.forward({ inputIds: tf.zeros([1, 0], 'int32') }))).toBeInstanceOf(InputError);
          expect(model.forward({ inputIds: tf.tensor2d([[1, 999]]) }).logits.shape).toEqual([1, 2, 1000]);
        });
      }, backend));
    }
    model.dispose();
  });

  it('generation with an id past the vocabulary is a typed error, not a backend one', async () => {
    const model = new GPT2LMHeadModel(tiny);
    await expectNoLeaks(async () => {
      await expect(model.generate([[1, 2000]], { maxNewTokens: 2 })).rejects.toThrow(InputError);
      const out = await model.generate([[1, 2]], { maxNewTokens: 3 });
      expect(out.sequences[0]?.length).toBe(5);
    }, 'generate');
    model.dispose();
  });
});

describe('GPT-2 config errors name the config.json key and the file, and build nothing', () => {
  const dir = fixturePath('models', 'gpt2-lm');

  it.each([
    [{ layer_norm_epsilon: 0 }, 'layer_norm_epsilon', /layer_norm_epsilon must be a positive number, got 0$/],
    [{ layer_norm_epsilon: null }, 'layer_norm_epsilon', /got null$/],
    [{ activation_function: 'nope' }, 'activation_function', /activation_function "nope" is not a known activation \(known: /],
    [{ n_embd: 30 }, 'n_head', /n_head \(4\) must divide n_embd \(30\)/],
    [{ n_inner: -1 }, 'n_inner', /n_inner must be null or a positive integer, got -1/],
    [{ resid_pdrop: 2 }, 'resid_pdrop', /resid_pdrop must be in \[0, 1\), got 2/],
    [{ scale_attn_weights: 1 }, 'scale_attn_weights', /must be true or false, got 1/],
    [{ eos_token_id: 'x' }, 'eos_token_id', /eos_token_id must be a non-negative integer, a non-empty list of them, or null/],
    [{ id2label: 'x' }, 'id2label', /id2label must be an object/],
    [{ n_layer: 10_000 }, 'n_layer', /n_layer is 10000; tfkit builds at most 1000 layers per stack/],
    [{ n_layer: 3 }, 'n_layer', /n_layer is 3 but .* holds 2 layers \(h\.0 … h\.1\); use the config.json saved with these weights, or load with strict: false/],
  ])('fromPretrained with %j: a Gpt2ConfigError for %s', async (overrides, key, message) => {
    await expectNoLeaks(async () => {
      const e = await GPT2LMHeadModel.fromPretrained(dir, { configOverrides: overrides }).then(() => undefined, (error: Error & { key?: string }) => error);
      expect(e).toBeInstanceOf(Gpt2ConfigError);
      expect(e).toBeInstanceOf(ConfigError);
      expect(e?.key).toBe(key);
      expect(e?.message.startsWith(`${dir}/config.json: ${key}`)).toBe(true);
      expect(e?.message).toMatch(message);
    }, 'config error');
  });

  it('a vocab_size the checkpoint does not hold fails before the model is built', async () => {
    await expectNoLeaks(async () => {
      const e = await GPT2LMHeadModel.fromPretrained(dir, { configOverrides: { vocab_size: 30_000_000 } }).then(() => undefined, (error: Error) => error);
      expect(e).toBeInstanceOf(StateDictError);
      expect(e?.message).toMatch(/mis-shaped: transformer\.wte\.weight \(expected \[30000000,32\], got \[1000,32\]\)\. .*config\.json says vocab_size 30000000/);
    }, 'vocab_size');
  });

  it('a config built in code gets the same messages, with snake_case keys', async () => {
    await expectNoLeaks(() => {
      expect(errorOf(() => new GPT2Model({ ...tiny, activationFunction: 'nope' }))?.message).toMatch(/^Gpt2Config: activation_function "nope" is not a known activation/);
      expect(errorOf(() => gpt2Config({ nLayer: 2.5 }))?.message).toBe('Gpt2Config: n_layer must be a positive integer, got 2.5');
      expect(errorOf(() => gpt2ConfigFromHf({ model_type: 'bert' }, 'x/config.json'))?.message).toBe('x/config.json: model_type is "bert", expected "gpt2"');
      expect(gpt2ConfigFromHf({ eos_token_id: [1, 2], n_inner: null }).eosTokenId).toEqual([1, 2]);
    }, 'constructor');
  });
});

describe('a tokenizer larger than the model', () => {
  it('is a TokenizerMismatchError when the text-generation task pairs them', () => {
    const registry = registerGpt2(createRegistry());
    const impl = (registry.task.get('text-generation') as unknown as { implementation(t: string): { create(parts: Record<string, unknown>): unknown } }).implementation('gpt2');
    const model = new GPT2LMHeadModel(tiny);
    const tokenizer = (vocabSize: number) => ({ vocabSize, encode: () => [1], decode: () => '' });
    const e = errorOf(() => impl.create({ model, tokenizer: tokenizer(1001) }));
    expect(e).toBeInstanceOf(TokenizerMismatchError);
    expect(e?.message).toMatch(/^text-generation: the tokenizer has 1001 ids but the model's vocabulary has 1000 rows/);
    expect(impl.create({ model, tokenizer: tokenizer(1000) })).toBeInstanceOf(TextGenerationPipeline);
    model.dispose();
  });
});
