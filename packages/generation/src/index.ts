/**
 * @tfkit/generation — text generation for every tfkit decoder: greedy decoding, sampling (temperature,
 * top-k, top-p), beam search and beam sampling with Hugging Face semantics, composable logits
 * processors (also registry entries), stop strings, streaming and abort.
 */
export { generate, generateStream, maxPositionsOf, type GenerateOptions, type GenerateOutput, type TokenEvent, type StopReason, type PromptIds } from './generate.js';
export {
  GENERATION_DEFAULTS, fromHfGenerationConfig, toHfGenerationConfig, resolveGenerationConfig,
  type GenerationConfig, type ResolvedGenerationConfig,
} from './generation-config.js';
export { padBatch, type GenerationModel, type DecodingSession, type StartDecodingInputs, type StartDecodingOptions } from './model.js';
export { DecoderRows } from './decoder-rows.js';
export { EncoderDecoderSession, type EncoderDecoderParts, type EncoderDecoderSessionCache } from './encoder-decoder-session.js';
export {
  RepetitionPenaltyLogitsProcessor, NoRepeatNGramLogitsProcessor, MinLengthLogitsProcessor, MinNewTokensLogitsProcessor,
  ForcedBOSTokenLogitsProcessor, ForcedEOSTokenLogitsProcessor,
  TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper, applyProcessors, type LogitsProcessor,
} from './logits-processors.js';
export {
  registerGeneration, buildLogitsPipeline, BUILTIN_LOGITS_PROCESSORS, type LogitsProcessorEntry, type LogitsProcessorEntries,
} from './processor-registry.js';
export { BeamSearchScorer, BeamHypotheses, type Hypothesis } from './beam-search.js';
export { StopStringChecker } from './stop-strings.js';
export { GenerationError } from './errors.js';
export { TextStreamer, type Streamer, type StreamerTokenizer, type TextStreamerOptions } from './text-streamer.js';
export {
  PromptedTranslationPipeline, type PromptedTranslationPipelineOptions, type PromptedTranslationCallOptions, type PromptTokenizer, type TranslationText,
} from './prompted-translation-pipeline.js';
export { TextGenerationPipeline, type TextGenerationPipelineOptions, type TextTokenizer, type GeneratedText } from './text-generation-pipeline.js';
export {
  Text2TextGenerationPipeline, createText2TextPipeline, loadText2TextPipeline, TEXT2TEXT_TASKS,
  type Text2TextTask, type Text2TextResult, type Text2TextModel, type Text2TextTokenizer, type Text2TextPipelineOptions, type Text2TextCallOptions,
} from './text2text-pipeline.js';
