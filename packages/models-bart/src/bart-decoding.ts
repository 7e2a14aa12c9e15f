/**
 * BART's decoding session for `generate`: `@tfkit/generation`'s encoder-decoder session over BART's
 * encoder, decoder (with its self- and cross-attention cache) and tied LM head plus
 * `final_logits_bias`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { EncoderDecoderSession, type StartDecodingInputs, type StartDecodingOptions } from '@tfkit/generation';
import type { BartForConditionalGeneration } from './bart-heads.js';
import { BartDecoderCache } from './bart-modeling.js';

export class BartDecodingSession extends EncoderDecoderSession<BartDecoderCache> {
  constructor(model: BartForConditionalGeneration, inputs: StartDecodingInputs, options: StartDecodingOptions) {
    super({
      name: 'BartDecodingSession',
      decoderStartTokenId: model.config.decoderStartTokenId,
      decoderLayers: model.config.decoderLayers,
      encode: (inputIds, attentionMask) => model.model.encoder.forward(inputIds, attentionMask).lastHiddenState as tf.Tensor3D,
      createCache: (layers) => new BartDecoderCache(layers),
      decode: (ids, encoderHiddenStates, encoderAttentionMask, cache) =>
        model.model.decoder.forward(ids, { encoderHiddenStates, encoderAttentionMask, ...(cache ? { cache } : {}) }).lastHiddenState,
      logits: (last) => tf.add(model.lm_head.forward(last), model.final_logits_bias.value) as tf.Tensor2D,
    }, inputs, options);
  }
}
