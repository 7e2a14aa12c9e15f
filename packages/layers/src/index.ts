/**
 * @tfkit/layers — a small PyTorch-like Module system and the transformer building blocks tfkit's
 * models are made of. Every forward pass is synchronous, runs in `tf.tidy`, and is differentiable
 * on the cpu, wasm and webgl backends.
 */
export {
  Module, ModuleList, Parameter, StateDictError, matchesPattern,
  type CheckpointLayout, type LayoutConversion, type LoadStateDictResult, type NamePattern,
} from './module.js';
export { normal, uniform, defaultRng } from './init.js';
export { Linear, linearActivated, type LinearOptions } from './linear.js';
export { Embedding, type EmbeddingOptions } from './embedding.js';
export { LMHead } from './lm-head.js';
export { LayerNorm } from './layer-norm.js';
export { Dropout } from './dropout.js';
export { Activation } from './activation.js';
export { gelu, geluTanh, quickGelu, silu, getActivation, type ActivationName } from '@tfkit/core-tensor';
export { sinusoidalPositionEncoding, SinusoidalPositionalEncoding, LearnedPositionalEmbedding, type SinusoidLayout, type SinusoidOptions } from './positional.js';
export { KVCache } from './kv-cache.js';
export {
  ENCODER_DECODER_HF_KEYS, checkEncoderDecoderConfig, ScaledEmbedding, EncoderDecoderCache, stackLayers, decoderLayersInputs, runEncoderLayers, runDecoderLayers, runEncoderDecoder, encoderDecoderOutput,
  type EncoderDecoderConfig, type StackOutputOptions, type EncoderStackOutput, type DecoderStackOptions, type DecoderStackOutput, type DecoderLayersInputs,
  type EncoderDecoderInputs, type EncoderDecoderStacks, type EncoderDecoderOutput,
} from './encoder-decoder.js';
export {
  MultiHeadAttention, splitHeads, mergeHeads,
  type MultiHeadAttentionOptions, type AttentionCallOptions, type AttentionOutput,
} from './attention.js';
export { FeedForward, type FeedForwardOptions } from './feed-forward.js';
export {
  TransformerEncoderLayer, TransformerDecoderLayer,
  type TransformerLayerOptions, type EncoderLayerCallOptions, type DecoderLayerCallOptions, type LayerOutput,
} from './transformer-layers.js';
export {
  SimpleRNNCell, LSTMCell, GRUCell, rnnStep, lstmStep, gruStep, gruWeights,
  type GRUVariant, type GRUWeights, type RecurrentWeights, type RecurrentCellOptions,
} from './rnn-cells.js';
export {
  SimpleRNN, LSTM, GRU, type RecurrentOptions, type RecurrentCallOptions, type RecurrentOutput, type RecurrentState, type CellParameters,
} from './rnn.js';
export { BahdanauAttention, LuongAttention, type Seq2SeqAttentionOutput, type Seq2SeqAttentionCallOptions } from './seq2seq-attention.js';
export {
  PlaceholderInit, initializeMissingWeights, adaptBasePrefix, loadWeightsWithReport, buildFromCheckpointWith, fromPretrainedWith, saveModelCheckpoint,
  CONFIG_LIMITS, checkConfigSizes, checkConfigAgainstCheckpoint,
  type SizedDim, type ExpectedWeight, type ConfigSizes, type CheckpointSizeOptions,
  type InitializeMissingOptions, type MismatchedWeight, type LoadReport, type LoadReportWithMismatched, type LoadWeightsOptions, type CheckpointLoadContext,
  type PretrainedModule, type PretrainedClass,
} from './pretrained.js';
export { InputError, TokenizerMismatchError, ConfigKeyError } from './errors.js';
export {
  intInput, tokenIds, attentionMaskInput, floatInput, hostArray, toIntTensor, checkInputsObject, checkPositions, checkTokenizerFitsModel, HOST_CHECK_ELEMENTS,
  type IntInput, type IntInputSpec, type IntRange,
} from './int-input.js';
export { numLabels, defaultLabels, configWithLabels, labelsFromHf, checkHfLabelTypes, finishHfConfig, ConfigChecks, checkNumLabels, type LabelMaps } from './pretrained-config.js';
export {
  PatchEmbedding, ImageEmbeddings, interpolatePositionEmbeddings, bicubicMatrix,
  type PatchEmbeddingOptions, type ImageEmbeddingsOptions,
} from './patch-embedding.js';
export {
  crossEntropyLoss, causalLmLoss, sequenceClassificationLoss, checkClassWeights, IGNORE_INDEX,
  type ClassWeights, type LabelInput, type ProblemType, type CrossEntropyLossOptions, type SequenceClassificationLossOptions,
} from './losses.js';
