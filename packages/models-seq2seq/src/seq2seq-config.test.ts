import { describe, expect, it } from 'vitest';
import { ConfigError } from '@tfkit/core-tensor';
import { seq2seqConfig, seq2seqConfigFromHf, seq2seqConfigToHf, Seq2SeqConfigError, SEQ2SEQ_DEFAULTS } from './seq2seq-config.js';

function errorOf(f: () => unknown): Seq2SeqConfigError {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(Seq2SeqConfigError);
    expect(error).toBeInstanceOf(ConfigError);
    return error as Seq2SeqConfigError;
  }
  throw new Error('expected a Seq2SeqConfigError');
}

describe('Seq2SeqConfig', () => {
  it('fills defaults; vocabSize sets both vocabularies; decoder_start follows bos unless given', () => {
    const c = seq2seqConfig({ vocabSize: 50, bosTokenId: 3 });
    expect(c).toEqual({ ...SEQ2SEQ_DEFAULTS, sourceVocabSize: 50, targetVocabSize: 50, bosTokenId: 3, decoderStartTokenId: 3 });
    expect(seq2seqConfig({ sourceVocabSize: 40, targetVocabSize: 30, decoderStartTokenId: 2 })).toMatchObject({ sourceVocabSize: 40, targetVocabSize: 30, bosTokenId: 1, decoderStartTokenId: 2 });
  });

  it.each([
    [{}, 'src_vocab_size', /is required/],
    [{ sourceVocabSize: 9 }, 'tgt_vocab_size', /is required/],
    [{ vocabSize: 9, cell: 'transformer' }, 'cell', /one of gru, lstm, rnn/],
    [{ vocabSize: 9, attention: 'luong' }, 'attention', /one of bahdanau, luong-dot, luong-general, none/],
    [{ vocabSize: 9, hiddenSize: 0 }, 'hidden_size', /positive integer/],
    [{ vocabSize: 9, numLayers: 1.5 }, 'num_layers', /positive integer/],
    [{ vocabSize: 9, dropout: 1 }, 'dropout', /\[0, 1\)/],
    [{ vocabSize: 9, bidirectional: 'yes' }, 'bidirectional', /true or false/],
    [{ vocabSize: 9, eosTokenId: 9 }, 'eos_token_id', /token id in \[0, 9\)/],
    [{ sourceVocabSize: 4, targetVocabSize: 9, padTokenId: 5 }, 'pad_token_id', /token id in \[0, 4\)/],
    [{ vocabSize: 9, attention: 'luong-dot', bidirectional: true }, 'attention', /luong-general/],
    [{ vocabSize: 9, tieWordEmbeddings: true, embeddingSize: 8, hiddenSize: 16 }, 'tie_word_embeddings', /embedding_size \(8\) = hidden_size \(16\)/],
  ] as const)('%j is an error naming %s', (input, key, message) => {
    const error = errorOf(() => seq2seqConfig(input as never, 'my-model/config.json'));
    expect(error.key).toBe(key);
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/^my-model\/config\.json: /);
  });

  it('round-trips through config.json, keeping keys it does not read; vocab_size is read as both sizes', () => {
    const c = seq2seqConfig({ sourceVocabSize: 40, targetVocabSize: 30, cell: 'lstm', attention: 'luong-general', bidirectional: true, numLayers: 2, embeddingSize: 16, hiddenSize: 16, tieWordEmbeddings: true });
    const json = seq2seqConfigToHf(c, 'Seq2SeqModel', { custom_note: 'kept', vocab_size: 12 });
    expect(json).toMatchObject({
      architectures: ['Seq2SeqModel'], model_type: 'rnn-seq2seq', is_encoder_decoder: true, custom_note: 'kept', torch_dtype: 'float32',
      cell: 'lstm', attention: 'luong-general', src_vocab_size: 40, tgt_vocab_size: 30, embedding_size: 16, hidden_size: 16, num_layers: 2,
      bidirectional: true, tie_word_embeddings: true, pad_token_id: 0, bos_token_id: 1, eos_token_id: 2, decoder_start_token_id: 1, dropout: 0.1,
    });
    expect(json).not.toHaveProperty('vocab_size');
    expect(Object.keys(json)).toEqual([...Object.keys(json)].sort());
    expect(seq2seqConfigFromHf(json)).toEqual(c);
    expect(seq2seqConfigFromHf({ model_type: 'rnn-seq2seq', vocab_size: 20, cell: 'rnn' })).toMatchObject({ sourceVocabSize: 20, targetVocabSize: 20, cell: 'rnn' });
    expect(errorOf(() => seq2seqConfigFromHf({ model_type: 'bart', vocab_size: 20 }, 'x/config.json')).key).toBe('model_type');
  });
});
