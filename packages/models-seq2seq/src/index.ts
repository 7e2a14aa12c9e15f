/**
 * @tfkit/models-seq2seq — recurrent sequence-to-sequence models (Sutskever et al., 2014) for
 * TensorFlow.js: GRU / LSTM / RNN encoder-decoders with Bahdanau or Luong attention, trained with
 * teacher forcing or scheduled sampling, decoded through @tfkit/generation, saved with PyTorch names.
 */
export { AutoModel } from '@tfkit/core-tensor';
export {
  seq2seqConfig, seq2seqConfigFromHf, seq2seqConfigToHf, SEQ2SEQ_DEFAULTS, MODEL_TYPE, Seq2SeqConfigError,
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
export { registerSeq2Seq } from './seq2seq-register.js';
