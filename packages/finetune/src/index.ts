/**
 * @tfkit/finetune — training and fine-tuning for any tfkit `Module`: the Trainer, datasets and
 * collators, optimizers and schedules, metrics, and the fine-tuning methods (freezing, LoRA,
 * prefix tuning, layer-wise learning-rate decay, re-initialisation, stochastic weight averaging).
 */
export { FinetuneError, NonFiniteLossError, CheckpointSaveError } from './errors.js';

export { Optimizer, type NamedParameter, type ParamGroup, type ParamGroupInput, type OptimizerDefaults, type OptimizerState, type StepOptions } from './optim/optimizer.js';
export { Adam, AdamW, type AdamOptions } from './optim/adam.js';
export { SGD, type SgdOptions } from './optim/sgd.js';
export { groupParameters, noDecayNames, DEFAULT_NO_DECAY, type GroupParametersOptions } from './optim/param-groups.js';
export { LrScheduler, lrLambda, type SchedulerName, type SchedulerOptions } from './optim/schedulers.js';
export { clipCoefficient, clipGradNorm, globalNorm } from './optim/clip.js';

export { Dataset, type Example, type BatchOptions } from './data/dataset.js';
export { parseCsv, type CsvOptions } from './data/csv.js';
export { DataCollatorWithPadding, padSequences, type Batch, type Collator, type TokenizerLike, type EncodingLike, type PaddingCollatorOptions } from './data/collator.js';
export { IGNORE_INDEX, labelResolver, type LabelToId } from './data/labels.js';
export {
  alignLabelsWithTokens, tokenizeWords, tokenizeAndAlignLabels, DataCollatorForTokenClassification,
  type AlignLabelsOptions, type WordIdsLike, type OffsetEncodingLike, type WordsTokenizerLike, type WordsEncoding, type TokenizeWordsOptions,
  type TokenClassificationFeature, type TokenClassificationCollatorOptions,
} from './data/token-classification.js';
export {
  prepareQaTrainFeatures, postprocessQaPredictions, DataCollatorForQuestionAnswering,
  type QaEncodingLike, type QaTokenizerLike, type QaAnswers, type QaFeature, type PrepareQaOptions, type QaCollatorOptions,
  type QaPrediction, type QaExamplePrediction, type PostprocessQaOptions,
} from './data/question-answering.js';
export { DataCollatorForImageClassification, type PixelImage, type ImageInput, type ImageProcessorLike, type ImageCollatorOptions } from './data/image-classification.js';
export { DataCollatorForSeq2Seq, shiftTokensRight, type Seq2SeqCollatorOptions, type Seq2SeqModelLike } from './data/seq2seq-collator.js';

export { DataCollatorForCausalLM, type CausalLMCollatorOptions } from './data/causal-lm-collator.js';

export { Trainer, trainableModule, type TrainableModel, type TrainerOptions, type TrainResult } from './train/trainer.js';
export { LoggingCallback, EarlyStoppingCallback, ProgressCallback, type TrainerCallback, type EarlyStoppingOptions } from './train/callbacks.js';
export { formatProgress, formatDuration, type ProgressLine } from './train/progress.js';
export type { TrainerState, LogEntry, StepInfo } from './train/state.js';
export type { EvalPrediction, MetricsFn, NestedNumbers } from './train/evaluate.js';
export { defaultForward, defaultLoss, type ForwardFn, type LossFn, type ModelOutput } from './train/forward.js';
export { balancedClassWeights, weightedClassificationLoss, type ClassWeightsOption } from './train/class-weights.js';
export { loadTrainingCheckpoint, listCheckpoints, type TrainingCheckpoint } from './train/checkpoint.js';

export { accuracy, precisionRecallF1, argmax, classificationMetrics, type Average, type PrecisionRecallF1 } from './metrics/classification.js';
export { bioEntities, entityF1, nerMetrics, type Entity } from './metrics/ner.js';
export { normalizeAnswer, exactMatch, tokenF1, squadMetrics, bestSpan } from './metrics/qa.js';
export { perplexity, perplexityMetrics } from './metrics/perplexity.js';
export { rougeL, rougeN, rougeScores, rougeTokens, type RougeScore } from './metrics/rouge.js';

export { LoraLayerBase, type LoraLayerConfig } from './methods/lora-layer.js';
export { LoraLinear } from './methods/lora-linear.js';
export { LoraEmbedding, ParameterDict } from './methods/lora-embedding.js';
export { LoraModel, matchesTarget, type LoraConfig, type LoraLayer } from './methods/lora.js';
export { saveLoraAdapter, loadLoraAdapter, adapterStateDict, toPeftConfig, fromPeftConfig, ADAPTER_CONFIG, ADAPTER_WEIGHTS } from './methods/lora-io.js';
export { PrefixTuningModel, PrefixEncoder, type PrefixTuningConfig, type LayerKeyValue } from './methods/prefix-tuning.js';
export { ModuleDict } from './methods/module-dict.js';
export { DEFAULT_LAYER_NAMING, depthOf, countLayers, resolveNaming, type LayerNaming, type NamingOptions, type Depth } from './methods/layers.js';
export { familyEntry, defaultLoraTargets, type FamilyOptions } from './methods/family.js';
export { layerwiseLrScale, layerwiseParamGroups, type LayerwiseDecayOptions } from './methods/llrd.js';
export { freezeLayers, type FreezeOptions } from './methods/freeze.js';
export { reinitTopLayers, type ReinitOptions } from './methods/reinit.js';
export { SwaCallback, type SwaOptions } from './methods/swa.js';

export { registerFinetune, type OptimizerCreateOptions } from './register.js';
