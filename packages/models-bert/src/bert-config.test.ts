import { ConfigError } from '@tfkit/core-tensor';
import { readFixtureJson } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { BERT_DEFAULTS, bertConfig, bertConfigFromHf, bertConfigToHf, numLabels } from './bert-config.js';

describe('BertConfig from and to Hugging Face config.json', () => {
  it('reads every BERT key of a fixture and fills omitted keys with Hugging Face defaults', () => {
    const json = readFixtureJson<Record<string, unknown>>('models', 'bert-sequence-classification', 'config.json');
    const config = bertConfigFromHf(json);
    expect(config).toMatchObject({
      vocabSize: 1000, hiddenSize: 32, numHiddenLayers: 2, numAttentionHeads: 4, intermediateSize: 64, hiddenAct: 'gelu',
      hiddenDropoutProb: 0.1, attentionProbsDropoutProb: 0.1, maxPositionEmbeddings: 64, typeVocabSize: 2, initializerRange: 0.25,
      layerNormEps: 1e-12, padTokenId: 0, positionEmbeddingType: 'absolute', classifierDropout: null, problemType: null, tieWordEmbeddings: true,
    });
    expect(config.id2label).toEqual({ 0: 'negative', 1: 'neutral', 2: 'positive' });
    expect(config.label2id).toEqual({ negative: 0, neutral: 1, positive: 2 });
    expect(bertConfigFromHf({})).toEqual(BERT_DEFAULTS);
    const back = bertConfigToHf(config, 'BertForSequenceClassification', json);
    for (const [k, v] of Object.entries(json)) expect(back[k], k).toEqual(v);
  });

  it('num_labels, problem_type and classifier_dropout', () => {
    expect(numLabels(bertConfigFromHf({ num_labels: 5 }))).toBe(5);
    expect(bertConfigFromHf({ num_labels: 4, id2label: { 0: 'a', 1: 'b' } }).id2label).toEqual({ 0: 'LABEL_0', 1: 'LABEL_1', 2: 'LABEL_2', 3: 'LABEL_3' });
    const c = bertConfigFromHf({ problem_type: 'multi_label_classification', classifier_dropout: 0.3, id2label: { 0: 'x', 1: 'y' } });
    expect([c.problemType, c.classifierDropout, c.label2id]).toEqual(['multi_label_classification', 0.3, { x: 0, y: 1 }]);
    expect(bertConfigToHf(c, 'BertForSequenceClassification')).toMatchObject({ problem_type: 'multi_label_classification', classifier_dropout: 0.3, id2label: { 0: 'x', 1: 'y' } });
  });

  it('rejects what the model cannot build, naming the field', () => {
    expect(() => bertConfigFromHf({ position_embedding_type: 'relative_key' })).toThrow(/position_embedding_type "relative_key"/);
    expect(() => bertConfigFromHf({ hidden_size: 30, num_attention_heads: 4 })).toThrow(ConfigError);
    expect(() => bertConfigFromHf({ model_type: 'gpt2' })).toThrow(/expected "bert"/);
    expect(() => bertConfigFromHf({ is_decoder: true })).toThrow(/decoder/);
    expect(() => bertConfig({ hiddenDropoutProb: 1.5 })).toThrow(/hidden_dropout_prob must be in \[0, 1\), got 1.5/);
    expect(() => bertConfig({ problemType: 'ranking' as 'regression' })).toThrow(/problem_type/);
  });
});
