import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, loadCheckpoint } from '@tfkit/core-tensor';
import { InputError, StateDictError, TokenizerMismatchError } from '@tfkit/layers';
import { expectNoLeaks, fixturePath, withBackend } from '@tfkit/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { BertConfigError } from './bert-config.js';
import { BertForMaskedLM, BertForSequenceClassification } from './bert-heads.js';
import { BertModel, type BertModelInputs } from './bert-modeling.js';
import { buildFromCheckpoint } from './bert-weights.js';
import { FillMaskPipeline } from './pipelines/fill-mask.js';
import { fixtureTokenizer } from './test/fixture-models.js';

const tiny = { vocabSize: 1000, hiddenSize: 8, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 16, maxPositionEmbeddings: 16 };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-bert-inputs-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function errorOf(fn: () => unknown): (Error & { key?: string }) | undefined {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  return undefined;
}

const CASES: [string, Partial<BertModelInputs> | null, RegExp][] = [
  ['an id past the vocabulary', { inputIds: [[1, 2, 3, 4], [5, 6, 7, 1000]] }, /^BertModel\.forward: inputIds\[1\]\[3\] = 1000 is outside the vocabulary \[0, 1000\) \(vocab_size\)$/],
  ['a negative id', { inputIds: [[1, -1]] }, /inputIds\[0\]\[1\] = -1 is outside the vocabulary/],
  ['a fractional id', { inputIds: [[1, 2.5]] }, /inputIds\[0\]\[1\] = 2\.5 is not an integer/],
  ['a NaN id', { inputIds: [[NaN, 2]] }, /inputIds\[0\]\[0\] = NaN is not an integer/],
  ['a token type past type_vocab_size', { inputIds: [[1, 2]], tokenTypeIds: [[0, 2]] }, /tokenTypeIds\[0\]\[1\] = 2 is outside the token types \[0, 2\) \(type_vocab_size\)/],
  ['a position past the table', { inputIds: [[1, 2]], positionIds: [[0, 16]] }, /positionIds\[0\]\[1\] = 16 is outside the position table \[0, 16\) \(max_position_embeddings\)/],
  ['token types of another shape', { inputIds: [[1, 2]], tokenTypeIds: [[0, 0, 0]] }, /tokenTypeIds is \[1,3\], expected \[1\|1,2\]/],
  ['a ragged batch', { inputIds: [[1, 2], [1]] }, /inputIds is ragged: inputIds\[1\] has 1 entries, inputIds\[0\] has 2/],
  ['a mask of another shape', { inputIds: [[1, 2]], attentionMask: [[1, 1], [1, 1]] }, /attentionMask is \[2,2\], expected \[1,2\]/],
  ['a mask value other than 0/1', { inputIds: [[1, 2]], attentionMask: [[1, 3]] }, /attentionMask\[0\]\[1\] = 3 is not 0 or 1/],
  ['an empty batch', { inputIds: [] }, /no rows \(an empty batch\)/],
  ['an empty sequence', { inputIds: [[]] }, /inputIds is \[1,0\]: it has a row without entries \(an empty sequence\)/],
  ['a sequence longer than the position table', { inputIds: [Array.from({ length: 17 }, () => 1)] }, /sequence length 17 exceeds max_position_embeddings 16; truncate/],
  ['ids as a string', { inputIds: 'hello' as unknown as number[][] }, /inputIds must be a tensor or nested arrays of integers \[batch, length\], got a string/],
  ['both ids and embeddings', { inputIds: [[1]], inputsEmbeds: tf.zeros([1, 1, 8]) }, /give inputIds or inputsEmbeds, not both/],
  ['embeddings of the wrong width', { inputsEmbeds: tf.zeros([1, 2, 7]) }, /inputsEmbeds is \[1,2,7\], expected \[1,2,8\]/],
  ['no inputs object', null, /pass an object of inputs/],
];

describe('BertModel.forward checks its inputs as BART does', () => {
  it.each(CASES)('%s is an InputError naming the argument, and leaks nothing', async (_, inputs, message) => {
    const model = new BertModel(tiny);
    await expectNoLeaks(() => {
      const e = errorOf(() => model.forward(inputs as BertModelInputs));
      expect(e).toBeInstanceOf(InputError);
      expect(e?.message).toMatch(message);
    }, 'bad input');
    model.dispose();
  });

  it('checks tensor ids too (no raw GatherV2 error), on cpu and wasm', async () => {
    const model = new BertModel(tiny);
    for (const backend of ['cpu', 'wasm']) {
      await withBackend(backend, () => expectNoLeaks(() => {
        tf.tidy(() => {
          expect(errorOf(() => model.forward({ inputIds: tf.tensor2d([[1, 1000]], undefined, 'int32') }))?.message).toMatch(/inputIds\[0\]\[1\] = 1000 is outside the vocabulary/);
          // An empty sequence returned finite logits on wasm and an untyped error on cpu.
          expect(errorOf(() => model.forward({ inputIds: tf.zeros([1, 0], 'int32') }))).toBeInstanceOf(InputError);
          const ok = model.forward({ inputIds: tf.tensor2d([[1, 999]]), attentionMask: tf.cast(tf.tensor2d([[1, 0]]), 'bool') });
          expect(ok.lastHiddenState.shape).toEqual([1, 2, 8]);
        });
      }, backend));
    }
    model.dispose();
  });

  it('accepts broadcast [1, seq] token types and positions, and a [batch, seq, seq] mask', () => {
    const model = new BertModel(tiny);
    tf.tidy(() => {
      const out = model.forward({ inputIds: [[1, 2, 3], [4, 5, 6]], tokenTypeIds: [[0, 1, 1]], positionIds: [[0, 1, 2]], attentionMask: [[[1, 1, 0], [1, 1, 0], [1, 1, 1]], [[1, 1, 1], [1, 1, 1], [1, 1, 1]]] });
      expect(out.lastHiddenState.shape).toEqual([2, 3, 8]);
    });
    model.dispose();
  });
});

describe('BERT config errors name the config.json key and the file, and build nothing', () => {
  const dir = fixturePath('models', 'bert-sequence-classification');

  it.each([
    [{ layer_norm_eps: -1 }, 'layer_norm_eps', /layer_norm_eps must be a positive number, got -1$/],
    [{ layer_norm_eps: 'tiny' }, 'layer_norm_eps', /layer_norm_eps must be a positive number, got "tiny"$/],
    [{ hidden_act: 'nope' }, 'hidden_act', /hidden_act "nope" is not a known activation \(known: relu, gelu/],
    [{ hidden_act: 'toString' }, 'hidden_act', /hidden_act "toString" is not a known activation/],
    [{ hidden_size: 30 }, 'num_attention_heads', /num_attention_heads \(4\) must divide hidden_size \(30\)/],
    [{ intermediate_size: 0 }, 'intermediate_size', /intermediate_size must be a positive integer, got 0/],
    [{ vocab_size: '1000' }, 'vocab_size', /vocab_size must be a positive integer, got "1000"/],
    [{ initializer_range: -0.1 }, 'initializer_range', /non-negative/],
    [{ pad_token_id: 1000 }, 'pad_token_id', /pad_token_id must be a token id in \[0, vocab_size = 1000\) or null, got 1000/],
    [{ tie_word_embeddings: 'yes' }, 'tie_word_embeddings', /must be true or false/],
    [{ num_labels: 'three' }, 'num_labels', /num_labels must be a positive integer/],
    [{ num_hidden_layers: 10_000 }, 'num_hidden_layers', /num_hidden_layers is 10000; tfkit builds at most 1000 layers per stack/],
    [{ num_hidden_layers: 3 }, 'num_hidden_layers', /num_hidden_layers is 3 but .* holds 2 layers \(encoder\.layer\.0 … encoder\.layer\.1\)/],
  ])('fromPretrained with %j: a BertConfigError for %s', async (overrides, key, message) => {
    await expectNoLeaks(async () => {
      const e = await BertForSequenceClassification.fromPretrained(dir, { configOverrides: overrides }).then(() => undefined, (error: Error & { key?: string }) => error);
      expect(e).toBeInstanceOf(BertConfigError);
      expect(e).toBeInstanceOf(ConfigError);
      expect(e?.key).toBe(key);
      expect(e?.message.startsWith(`${dir}/config.json: ${key}`)).toBe(true);
      expect(e?.message).toMatch(message);
    }, 'config error');
  });

  it('a vocab_size the checkpoint does not hold fails at once, before any tensor of that size (it took > 5 min and 7.6 GB)', async () => {
    await expectNoLeaks(async () => {
      const e = await BertForSequenceClassification.fromPretrained(dir, { configOverrides: { vocab_size: 30_000_000 } }).then(() => undefined, (error: Error) => error);
      expect(e).toBeInstanceOf(StateDictError);
      expect(e?.message).toMatch(/mis-shaped: bert\.embeddings\.word_embeddings\.weight \(expected \[30000000,32\], got \[1000,32\]\)\. .*config\.json says vocab_size 30000000/);
    }, 'vocab_size');
  });

  it('a lenient load may initialise missing layers, up to the bound on parameters no checkpoint backs', async () => {
    const lenient = await BertForSequenceClassification.fromPretrained(dir, { configOverrides: { num_hidden_layers: 3 }, strict: false });
    expect(lenient.loadReport.missing.filter((n) => n.startsWith('bert.encoder.layer.2.')).length).toBe(16);
    lenient.dispose();
    // A checkpoint without the word embeddings backs none of vocab_size × hidden_size.
    const checkpoint = await loadCheckpoint(dir);
    const weights = new Map(checkpoint.weights);
    weights.delete('bert.embeddings.word_embeddings.weight');
    const e = errorOf(() => buildFromCheckpoint(BertForSequenceClassification, { ...checkpoint, weights }, { configOverrides: { vocab_size: 30_000_000 }, strict: false }));
    expect(e).toBeInstanceOf(BertConfigError);
    expect(e?.key).toBe('vocab_size');
    expect(e?.message).toMatch(/vocab_size and the other sizes .* make \d+ parameters \(vocab_size × hidden_size: 960000000\), .*tfkit initialises at most 50000000 that a checkpoint does not back/);
    tf.dispose([...checkpoint.weights.values()]);
  });

  it('a config built in code gets the same messages (snake_case keys), and nothing is allocated', async () => {
    await expectNoLeaks(() => {
      expect(errorOf(() => new BertModel({ ...tiny, hiddenAct: 'nope' }))?.message).toMatch(/^BertConfig: hidden_act "nope" is not a known activation/);
      expect(errorOf(() => new BertModel({ ...tiny, layerNormEps: 0 }))?.message).toBe('BertConfig: layer_norm_eps must be a positive number, got 0');
      expect(errorOf(() => new BertModel({ ...tiny, layerNormEps: NaN }))?.key).toBe('layer_norm_eps');
    }, 'constructor');
  });

  it('saves and reloads a model whose pad_token_id is null (Hugging Face allows it)', async () => {
    const model = new BertModel({ ...tiny, padTokenId: null });
    const out = path.join(tmp, 'null-pad');
    await model.savePretrained(out);
    const back = await BertModel.fromPretrained(out);
    expect(back.config.padTokenId).toBeNull();
    model.dispose();
    back.dispose();
  });
});

describe('a tokenizer larger than the model', () => {
  it('is a TokenizerMismatchError where a pipeline pairs them (it gave a raw GatherV2 error at the first such id)', async () => {
    const model = new BertForMaskedLM({ ...tiny, vocabSize: 900 });
    await expectNoLeaks(() => {
      const e = errorOf(() => new FillMaskPipeline({ model, tokenizer: fixtureTokenizer(1000) }));
      expect(e).toBeInstanceOf(TokenizerMismatchError);
      expect(e?.message).toMatch(/the tokenizer has 1000 ids but the model's vocabulary has 900 rows \(vocab_size\)/);
      // A model with more rows than the tokenizer has ids is fine (padded tables).
      expect(new FillMaskPipeline({ model, tokenizer: fixtureTokenizer(800) }).model).toBe(model);
    }, 'pipeline');
    model.dispose();
  });
});
