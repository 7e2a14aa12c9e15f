/**
 * The Transformer's decoding session for `generate`: `@tfkit/generation`'s encoder-decoder session
 * over the Marian encoder, decoder (with its self- and cross-attention cache) and output projection
 * plus `final_logits_bias`. The projection is transposed once per session, at the first step.
 */
import * as tf from '@tensorflow/tfjs-core';
import { matMul2d } from '@tfkit/core-tensor';
import { EncoderDecoderSession, type StartDecodingInputs, type StartDecodingOptions } from '@tfkit/generation';
import type { Transformer } from './transformer-model.js';
import { TransformerDecoderCache } from './transformer-modeling.js';

export class TransformerDecodingSession extends EncoderDecoderSession<TransformerDecoderCache> {
  constructor(model: Transformer, inputs: StartDecodingInputs, options: StartDecodingOptions) {
    /** The output projection transposed, `[dModel, decoderVocab]`. */
    let headT: tf.Tensor2D | null = null;
    super({
      name: 'TransformerDecodingSession',
      decoderStartTokenId: model.config.decoderStartTokenId,
      decoderLayers: model.config.decoderLayers,
      encode: (inputIds, attentionMask) => model.model.encoder.forward(inputIds, attentionMask).lastHiddenState as tf.Tensor3D,
      createCache: (layers) => new TransformerDecoderCache(layers),
      decode: (ids, encoderHiddenStates, encoderAttentionMask, cache) =>
        model.model.decoder.forward(ids, { encoderHiddenStates, encoderAttentionMask, ...(cache ? { cache } : {}) }).lastHiddenState,
      logits: (last) => {
        headT ??= tf.keep(tf.transpose(model.lm_head.weight.value) as tf.Tensor2D);
        return tf.add(matMul2d(last, headT), model.final_logits_bias.value) as tf.Tensor2D;
      },
      release: () => headT?.dispose(),
    }, inputs, options);
  }
}
