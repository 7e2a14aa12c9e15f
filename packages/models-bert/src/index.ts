/**
 * @tfkit/models-bert — BERT (Devlin et al., 2019) for TensorFlow.js: Hugging Face compatible
 * checkpoints, every task head with its loss, pretraining data collators and task pipelines.
 */
export { AutoModel } from '@tfkit/core-tensor';
export {
  bertConfig, bertConfigFromHf, bertConfigToHf, bertConfigSizes, defaultLabels, numLabels, BERT_DEFAULTS, BertConfigError,
  type BertConfig, type BertConfigInput, type BertProblemType,
} from './bert-config.js';
export {
  BertEmbeddings, BertSelfAttention, BertSelfOutput, BertAttention, BertIntermediate, BertOutput, BertLayer,
  BertEncoder, BertPooler, BertPreTrainedModel, BertModel, extendedAttentionMask,
  type BertModelInputs, type BertModelOutput, type BertModelOptions, type IntInput, type LayerKeyValue,
} from './bert-modeling.js';
export {
  BertPredictionHeadTransform, BertLMPredictionHead, BertOnlyMLMHead, BertOnlyNSPHead, BertPreTrainingHeads,
  BertForPreTraining, BertForMaskedLM, BertForNextSentencePrediction, BertForSequenceClassification,
  BertForTokenClassification, BertForQuestionAnswering, BertForMultipleChoice, sequenceClassificationLoss, BERT_ARCHITECTURES,
  type BertArchitecture, type BertTaskOutput, type BertForPreTrainingOutput, type BertLogitsOutput,
  type BertForQuestionAnsweringOutput, type LabelInput, type QuestionAnsweringInputs, type MultipleChoiceInputs,
} from './bert-heads.js';
export {
  adaptBertStateDict, loadBertWeights, bertStateDict, buildFromCheckpoint, type LoadReport, type BertFromPretrainedOptions,
} from './bert-weights.js';
export {
  DataCollatorForLanguageModeling, buildNspPairs,
  type MlmOptions, type NspOptions, type NspExample, type PretrainingBatch, type PretrainingExample,
} from './bert-pretraining.js';
export { registerBert } from './bert-register.js';
export { bertOnnxExport, bertOnnxBackbone, bertOnnxInputs, buildBertOnnx, type BertGraphInputs } from './bert-onnx.js';
export * from './pipelines/index.js';
