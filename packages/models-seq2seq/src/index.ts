/**
 * @tfkit/models-seq2seq — sequence-to-sequence models for TensorFlow.js: recurrent encoder-decoders
 * (Sutskever et al., 2014; GRU / LSTM / RNN with Bahdanau or Luong attention), trained with teacher
 * forcing or scheduled sampling and saved with PyTorch names, and the Transformer (Vaswani et al.,
 * 2017), saved as a Hugging Face Marian checkpoint; both decoded through @tfkit/generation.
 */
export { AutoModel } from '@tfkit/core-tensor';
export {
  seq2seqConfig, seq2seqConfigFromHf, seq2seqConfigToHf, seq2seqConfigSizes, SEQ2SEQ_DEFAULTS, MODEL_TYPE, Seq2SeqConfigError,
  type Seq2SeqConfig, type Seq2SeqConfigInput, type Seq2SeqCell, type Seq2SeqAttentionType,
} from './seq2seq-config.js';
export {
  Seq2SeqEncoder, Seq2SeqBridge, Seq2SeqDecoder, Seq2SeqOutputProjection, shiftTokensRight, encoderWidth,
  type Seq2SeqEncoderOutput, type Seq2SeqMemory, type DecoderWeights, type DecoderForwardOptions, type Seq2SeqDecoderOutput,
  type Seq2SeqStepOutput, type IntInput, type RecurrentLayer,
} from './seq2seq-modeling.js';
export {
  Seq2SeqModel,
  type Seq2SeqInputs, type Seq2SeqOutput, type Seq2SeqEncoding, type Seq2SeqModelOptions, type Seq2SeqFromPretrainedOptions,
} from './seq2seq-model.js';
export { Seq2SeqDecodingSession } from './seq2seq-decoding.js';
export {
  transformerConfig, transformerConfigFromHf, transformerConfigToHf, transformerConfigSizes, TRANSFORMER_DEFAULTS, TRANSFORMER_MODEL_TYPE, TransformerConfigError,
  type TransformerConfig, type TransformerConfigInput,
} from './transformer-config.js';
export {
  TransformerModel, TransformerEncoder, TransformerDecoder, TransformerDecoderCache, ScaledEmbedding,
  type TransformerModelInputs, type TransformerModelOutput, type TransformerEncoderOutput, type TransformerDecoderOptions, type TransformerDecoderOutput, type OutputOptions,
} from './transformer-modeling.js';
export { Transformer, type TransformerInputs, type TransformerOutput, type TransformerOptions, type TransformerFromPretrainedOptions } from './transformer-model.js';
export { TransformerDecodingSession } from './transformer-decoding.js';
export { registerSeq2Seq } from './seq2seq-register.js';
