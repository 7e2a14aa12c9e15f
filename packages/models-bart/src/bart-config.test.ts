import { ConfigError } from '@tfkit/core-tensor';
import { readFixtureJson } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { BART_DEFAULTS, bartConfig, BartConfigError, bartConfigFromHf, bartConfigToHf, numLabels } from './bart-config.js';

describe('BartConfig from and to Hugging Face config.json', () => {
  it('reads every BART key of the fixture, fills omitted keys with Hugging Face defaults, and writes the file back unchanged', () => {
    const json = readFixtureJson<Record<string, unknown>>('models', 'bart-conditional-generation', 'config.json');
    const config = bartConfigFromHf(json);
    expect(config).toEqual({
      vocabSize: 1000, maxPositionEmbeddings: 64, dModel: 32, encoderLayers: 2, encoderAttentionHeads: 4, encoderFfnDim: 64,
      decoderLayers: 2, decoderAttentionHeads: 4, decoderFfnDim: 64, activationFunction: 'gelu', dropout: 0.1, attentionDropout: 0,
      activationDropout: 0, classifierDropout: 0, encoderLayerdrop: 0, decoderLayerdrop: 0, initStd: 0.2, scaleEmbedding: false,
      useCache: true, padTokenId: 1, bosTokenId: 0, eosTokenId: 2, decoderStartTokenId: 2,
      forcedBosTokenId: null, // omitted from the file: PretrainedConfig's default
      forcedEosTokenId: null, // written as null: BartConfig's default is 2
      tieWordEmbeddings: true, problemType: null,
      id2label: { 0: 'LABEL_0', 1: 'LABEL_1', 2: 'LABEL_2' }, label2id: { LABEL_0: 0, LABEL_1: 1, LABEL_2: 2 },
    });
    expect(bartConfigFromHf({})).toEqual(BART_DEFAULTS);
    expect(bartConfigFromHf({}).forcedEosTokenId).toBe(2);
    // Keys tfkit does not read (transformers_version) survive; nothing is added or lost.
    expect(bartConfigToHf(config, 'BartForConditionalGeneration', json)).toEqual(json);
  });

  it('a fresh config writes the keys transformers needs, and omits those it leaves out at their defaults', () => {
    const hf = bartConfigToHf(bartConfig({ dModel: 16, encoderLayers: 3, encoderAttentionHeads: 2, decoderAttentionHeads: 2 }), 'BartModel');
    expect(hf).toMatchObject({
      architectures: ['BartModel'], model_type: 'bart', is_encoder_decoder: true, d_model: 16, encoder_layers: 3, num_hidden_layers: 3,
      forced_eos_token_id: 2, decoder_start_token_id: 2, torch_dtype: 'float32', id2label: { 0: 'LABEL_0', 1: 'LABEL_1', 2: 'LABEL_2' },
    });
    expect(hf).not.toHaveProperty('forced_bos_token_id');
    expect(hf).not.toHaveProperty('tie_word_embeddings');
    expect(hf).not.toHaveProperty('problem_type');
    const untied = bartConfigToHf(bartConfig({ tieWordEmbeddings: false, forcedBosTokenId: 0, problemType: 'regression' }), 'BartModel');
    expect(untied).toMatchObject({ tie_word_embeddings: false, forced_bos_token_id: 0, problem_type: 'regression' });
  });

  it('labels, num_labels and the old force_bos_token_to_be_generated flag', () => {
    expect(numLabels(bartConfigFromHf({ num_labels: 5 }))).toBe(5);
    expect(bartConfigFromHf({ num_labels: 2, id2label: { 0: 'a', 1: 'b', 2: 'c' } }).id2label).toEqual({ 0: 'LABEL_0', 1: 'LABEL_1' });
    expect(bartConfigFromHf({ id2label: { 0: 'contradiction', 1: 'neutral', 2: 'entailment' } }).label2id).toEqual({ contradiction: 0, neutral: 1, entailment: 2 });
    expect(bartConfigFromHf({ force_bos_token_to_be_generated: true }).forcedBosTokenId).toBe(0);
    expect(bartConfig({ numLabels: 4 }).label2id['LABEL_3']).toBe(3);
  });

  it.each([
    [{ d_model: 30, encoder_attention_heads: 4 }, 'encoder_attention_heads', /encoder_attention_heads \(4\) must divide d_model \(30\)/],
    [{ decoder_attention_heads: 5 }, 'decoder_attention_heads', /decoder_attention_heads \(5\) must divide d_model \(1024\)/],
    [{ encoder_layers: 0 }, 'encoder_layers', /encoder_layers must be a positive integer, got 0/],
    [{ d_model: '768' }, 'd_model', /d_model must be a positive integer, got "768"/],
    [{ max_position_embeddings: 1.5 }, 'max_position_embeddings', /positive integer/],
    [{ activation_function: 'swishy' }, 'activation_function', /activation_function "swishy" is not a known activation \(known: .*gelu/],
    [{ dropout: 1 }, 'dropout', /dropout must be in \[0, 1\), got 1/],
    [{ decoder_layerdrop: -0.1 }, 'decoder_layerdrop', /decoder_layerdrop must be in \[0, 1\)/],
    [{ init_std: -1 }, 'init_std', /non-negative/],
    [{ scale_embedding: 'yes' }, 'scale_embedding', /scale_embedding must be true or false/],
    [{ pad_token_id: null }, 'pad_token_id', /pad_token_id must be a token id in \[0, vocab_size = 50265\), got null/],
    [{ vocab_size: 100, decoder_start_token_id: 100 }, 'decoder_start_token_id', /decoder_start_token_id must be a token id in \[0, vocab_size = 100\)/],
    [{ forced_bos_token_id: -1 }, 'forced_bos_token_id', /or null, got -1/],
    [{ problem_type: 'ranking' }, 'problem_type', /problem_type "ranking" is not one of/],
    [{ model_type: 'bert' }, 'model_type', /model_type is "bert", expected "bart"/],
    [{ id2label: {} }, 'id2label', /at least one label/],
    [{ num_labels: 'three' }, 'num_labels', /num_labels must be a positive integer/],
  ])('rejects %j naming %s', (json, key, message) => {
    const error = (() => {
      try {
        bartConfigFromHf(json, 'my/config.json');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(BartConfigError);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as BartConfigError).key).toBe(key);
    expect((error as Error).message).toMatch(/^my\/config\.json: /);
    expect((error as Error).message).toMatch(message);
  });

  it('the camelCase constructor input is checked the same way', () => {
    expect(() => bartConfig({ dModel: 10, encoderAttentionHeads: 3 })).toThrow(/encoder_attention_heads \(3\) must divide d_model \(10\)/);
    expect(() => bartConfig({ numLabels: 0 })).toThrow(BartConfigError);
  });
});
