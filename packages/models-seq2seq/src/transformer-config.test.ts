import { describe, expect, it } from 'vitest';
import { transformerConfig, TransformerConfigError, transformerConfigFromHf, transformerConfigToHf } from './transformer-config.js';

describe('TransformerConfig', () => {
  it('defaults to the paper’s base model; one vocabulary unless the target’s differs', () => {
    const c = transformerConfig({ vocabSize: 37000 });
    expect(c).toMatchObject({ dModel: 512, encoderLayers: 6, decoderLayers: 6, encoderAttentionHeads: 8, encoderFfnDim: 2048, activationFunction: 'relu', dropout: 0.1, scaleEmbedding: true });
    expect(c).toMatchObject({ decoderVocabSize: 37000, shareEncoderDecoderEmbeddings: true, tieWordEmbeddings: true });
    expect(transformerConfig({ vocabSize: 100, decoderVocabSize: 80 })).toMatchObject({ decoderVocabSize: 80, shareEncoderDecoderEmbeddings: false });
    expect(transformerConfig({ vocabSize: 100, shareEncoderDecoderEmbeddings: false }).decoderVocabSize).toBe(100);
  });

  it('typed errors name the config.json key and say what to do', () => {
    const fails = (input: object, pattern: RegExp, key: string) => {
      let error: unknown;
      try {
        transformerConfig(input as never);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(TransformerConfigError);
      expect((error as TransformerConfigError).key).toBe(key);
      expect((error as Error).message).toMatch(pattern);
    };
    fails({}, /vocab_size must be a positive integer, got undefined/, 'vocab_size');
    fails({ vocabSize: 100, decoderVocabSize: 80, shareEncoderDecoderEmbeddings: true }, /differs from vocab_size \(100\).*set share_encoder_decoder_embeddings to false/, 'decoder_vocab_size');
    fails({ vocabSize: 100, dModel: 30, encoderAttentionHeads: 8 }, /encoder_attention_heads \(8\) must divide d_model \(30\)/, 'encoder_attention_heads');
    fails({ vocabSize: 100, decoderVocabSize: 50, padTokenId: 60 }, /pad_token_id must be a token id in \[0, 50\)/, 'pad_token_id');
    fails({ vocabSize: 100, activationFunction: 'wobble' }, /"wobble" is not a known activation/, 'activation_function');
    fails({ vocabSize: 100, dropout: 1 }, /dropout must be in \[0, 1\)/, 'dropout');
  });

  it('reads a Marian config.json with MarianConfig’s defaults for what it leaves out, and writes every key back', () => {
    // The shape of Helsinki-NLP/opus-mt-en-de's config.json (sizes made small).
    const opus = {
      architectures: ['MarianMTModel'], model_type: 'marian', vocab_size: 120, decoder_vocab_size: 120, d_model: 32, encoder_layers: 2, decoder_layers: 2,
      encoder_attention_heads: 4, decoder_attention_heads: 4, encoder_ffn_dim: 64, decoder_ffn_dim: 64, activation_function: 'swish', scale_embedding: true,
      pad_token_id: 119, eos_token_id: 0, decoder_start_token_id: 119, forced_eos_token_id: 0, max_position_embeddings: 512, bad_words_ids: [[119]],
      static_position_embeddings: true, share_encoder_decoder_embeddings: true, num_beams: 4,
    };
    const c = transformerConfigFromHf(opus, 'opus/config.json');
    expect(c).toMatchObject({ vocabSize: 120, dModel: 32, activationFunction: 'swish', padTokenId: 119, decoderStartTokenId: 119, bosTokenId: null, attentionDropout: 0, initStd: 0.02, tieWordEmbeddings: true });
    const back = transformerConfigToHf(c, 'MarianMTModel', opus);
    expect(back).toMatchObject({ ...opus, num_hidden_layers: 2, is_encoder_decoder: true, init_std: 0.02, bos_token_id: null, tie_word_embeddings: true });
    expect(transformerConfigFromHf(back)).toEqual(c);
    // Left out: MarianConfig's defaults (not the paper's).
    expect(transformerConfigFromHf({ vocab_size: 58101 })).toMatchObject({ dModel: 1024, encoderLayers: 12, activationFunction: 'gelu', scaleEmbedding: false, padTokenId: 58100, decoderVocabSize: 58101 });
    const ours = transformerConfigToHf(transformerConfig({ vocabSize: 40, decoderVocabSize: 30 }), 'MarianMTModel');
    expect(ours).toMatchObject({ model_type: 'marian', vocab_size: 40, decoder_vocab_size: 30, share_encoder_decoder_embeddings: false, scale_embedding: true, activation_function: 'relu', torch_dtype: 'float32' });
    // Every key is written: read back with MarianConfig's defaults, the paper's values survive.
    expect(transformerConfigFromHf(ours)).toEqual(transformerConfig({ vocabSize: 40, decoderVocabSize: 30 }));
  });

  it('refuses another model_type and LayerDrop, which it does not implement', () => {
    expect(() => transformerConfigFromHf({ model_type: 'bart', vocab_size: 10 }, 'x/config.json')).toThrow(/x\/config.json: model_type is "bart", expected "marian"/);
    expect(() => transformerConfigFromHf({ vocab_size: 10, encoder_layerdrop: 0.1 })).toThrow(/encoder_layerdrop is 0.1; tfkit's Transformer has no LayerDrop/);
  });
});
