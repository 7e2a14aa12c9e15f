/**
 * @tfkit/models-bart — BART (Lewis et al., 2019) for TensorFlow.js: Hugging Face compatible
 * checkpoints, conditional generation through @tfkit/generation with a KV cache, sequence
 * classification, the paper's five denoising transforms with a collator, and text-to-text pipelines.
 */
export { AutoModel } from '@tfkit/core-tensor';
export {
  bartConfig, bartConfigFromHf, bartConfigToHf, bartConfigSizes, numLabels, BART_DEFAULTS, BartConfigError,
  type BartConfig, type BartConfigInput, type BartProblemType,
} from './bart-config.js';
export {
  BartScaledWordEmbedding, BartEncoder, BartDecoder, BartDecoderCache, BartPreTrainedModel, BartModel, shiftTokensRight, BART_POSITION_OFFSET,
  type BartModelInputs, type BartModelOutput, type BartModelOptions, type BartEncoderOutput, type BartDecoderOutput, type BartDecoderOptions,
  type BartInit, type IntInput, type OutputOptions,
} from './bart-modeling.js';
export {
  BartForConditionalGeneration, BartLMHead, BartClassificationHead, BartForSequenceClassification, BART_ARCHITECTURES,
  lastEosPositions, sequenceClassificationLoss,
  type BartArchitecture, type BartSeq2SeqLMInputs, type BartSeq2SeqLMOutput, type BartSequenceClassificationInputs, type BartSequenceClassifierOutput,
} from './bart-heads.js';
export { BartDecodingSession } from './bart-decoding.js';
export {
  adaptBartStateDict, loadBartWeights, buildBartFromCheckpoint, bartFromPretrained, saveBartCheckpoint, initializeWeights,
  type LoadReport, type BartFromPretrainedOptions,
} from './bart-weights.js';
export {
  tokenMasking, tokenDeletion, textInfilling, sentencePermutation, documentRotation, samplePoisson, sampleSpanLengths, splitSentences,
  DataCollatorForBartDenoising,
  type BartNoiseConfig, type BartDenoisingOptions, type BartDenoisingBatch,
} from './bart-denoising.js';
export {
  Text2TextGenerationPipeline, createText2TextPipeline, loadText2TextPipeline, TEXT2TEXT_TASKS,
  type Text2TextTask, type Text2TextResult, type Text2TextModel, type Text2TextPipelineOptions, type Text2TextCallOptions,
} from '@tfkit/generation';
export { registerBart } from './bart-register.js';
export { bartOnnxExport, bartOnnxGraphs } from './bart-onnx.js';
