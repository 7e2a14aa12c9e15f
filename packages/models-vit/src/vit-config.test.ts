import { ConfigError } from '@tfkit/core-tensor';
import { readFixtureJson } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { numLabels, VIT_DEFAULTS, vitConfig, ViTConfigError, vitConfigFromHf, vitConfigToHf } from './vit-config.js';

describe('ViTConfig from and to Hugging Face config.json', () => {
  it('reads every ViT key of the fixture, fills omitted keys with Hugging Face defaults, and writes every key back', () => {
    const json = readFixtureJson<Record<string, unknown>>('models', 'vit-image-classification', 'config.json');
    const config = vitConfigFromHf(json);
    expect(config).toEqual({
      hiddenSize: 32, numHiddenLayers: 2, numAttentionHeads: 4, intermediateSize: 64, hiddenAct: 'gelu', hiddenDropoutProb: 0,
      attentionProbsDropoutProb: 0, initializerRange: 0.25, layerNormEps: 1e-12, imageSize: 32, patchSize: 8, numChannels: 3, qkvBias: true,
      poolerOutputSize: null, poolerAct: 'tanh', problemType: null,
      id2label: { 0: 'LABEL_0', 1: 'LABEL_1', 2: 'LABEL_2' }, label2id: { LABEL_0: 0, LABEL_1: 1, LABEL_2: 2 },
    });
    expect(vitConfigFromHf({})).toEqual(VIT_DEFAULTS);
    // Keys tfkit does not read (encoder_stride, transformers_version) survive; nothing is added.
    expect(vitConfigToHf(config, 'ViTForImageClassification', json)).toEqual(json);
  });

  it('labels, problem_type, pooler keys and [n, n] sizes', () => {
    expect(numLabels(vitConfigFromHf({ num_labels: 5 }))).toBe(5);
    expect(vitConfigFromHf({ num_labels: 4, id2label: { 0: 'a', 1: 'b' } }).id2label).toEqual({ 0: 'LABEL_0', 1: 'LABEL_1', 2: 'LABEL_2', 3: 'LABEL_3' });
    const c = vitConfigFromHf({ problem_type: 'multi_label_classification', id2label: { 0: 'cat', 1: 'dog' }, image_size: [384, 384], pooler_output_size: 8, pooler_act: 'relu' });
    expect([c.problemType, c.label2id, c.imageSize, c.poolerOutputSize, c.poolerAct]).toEqual(['multi_label_classification', { cat: 0, dog: 1 }, 384, 8, 'relu']);
    expect(vitConfigToHf(c, 'ViTForImageClassification')).toMatchObject({
      problem_type: 'multi_label_classification', id2label: { 0: 'cat', 1: 'dog' }, image_size: 384, pooler_output_size: 8, pooler_act: 'relu', model_type: 'vit',
    });
    expect(vitConfig({ numLabels: 10 }).label2id['LABEL_9']).toBe(9);
  });

  it.each([
    [{ hidden_size: 30, num_attention_heads: 4 }, 'num_attention_heads', /num_attention_heads \(4\) must divide hidden_size \(30\)/],
    [{ image_size: 30, patch_size: 8 }, 'patch_size', /patch_size \(8\) must divide image_size \(30\)/],
    [{ image_size: [224, 160] }, 'image_size', /square sizes only/],
    [{ num_channels: 0 }, 'num_channels', /num_channels must be a positive integer, got 0/],
    [{ hidden_size: '768' }, 'hidden_size', /hidden_size must be a positive integer, got "768"/],
    [{ hidden_act: 'swishy' }, 'hidden_act', /hidden_act "swishy" is not a known activation \(known: .*gelu/],
    [{ hidden_dropout_prob: 1.5 }, 'hidden_dropout_prob', /hidden_dropout_prob must be in \[0, 1\)/],
    [{ layer_norm_eps: 0 }, 'layer_norm_eps', /positive/],
    [{ qkv_bias: 'yes' }, 'qkv_bias', /qkv_bias must be true or false/],
    [{ problem_type: 'ranking' }, 'problem_type', /problem_type "ranking" is not one of/],
    [{ model_type: 'bert' }, 'model_type', /model_type is "bert", expected "vit"/],
    [{ id2label: {} }, 'id2label', /at least one label/],
    [{ num_labels: 'three' }, 'num_labels', /num_labels must be a positive integer/],
  ])('rejects %j naming %s', (json, key, message) => {
    const error = (() => { try { vitConfigFromHf(json, 'my/config.json'); } catch (e) { return e; } })();
    expect(error).toBeInstanceOf(ViTConfigError);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ViTConfigError).key).toBe(key);
    expect((error as Error).message).toMatch(/^my\/config\.json: /);
    expect((error as Error).message).toMatch(message);
  });

  it('the camelCase constructor input is checked the same way', () => {
    expect(() => vitConfig({ patchSize: 15 })).toThrow(/patch_size \(15\) must divide image_size \(224\)/);
    expect(() => vitConfig({ numLabels: 0 })).toThrow(ViTConfigError);
  });
});
