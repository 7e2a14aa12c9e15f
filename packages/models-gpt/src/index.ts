/**
 * @tfkit/models-gpt — GPT-2 (Hugging Face compatible): the backbone, the language-modelling head
 * with KV-cached generation, and sequence classification.
 */
export {
  GPT2_DEFAULTS, gpt2Config, gpt2ConfigFromHf, gpt2ConfigToHf, gpt2ConfigSizes, innerDim, numLabels, Gpt2ConfigError,
  type Gpt2Config, type Gpt2ConfigInput, type Gpt2ProblemType,
} from './gpt2-config.js';
export {
  GPT2Attention, GPT2MLP, GPT2Block, GPT2Model, GPT2PreTrainedModel, gpt2AttentionMask,
  type Gpt2ModelInputs, type Gpt2ModelOutput, type Gpt2ModelOptions, type LayerKeyValue, type PastKeyValues, type IntInput,
} from './gpt2-modeling.js';
export {
  GPT2LMHeadModel, GPT2LMHead, GPT2ForSequenceClassification, GPT2_ARCHITECTURES, causalLmLoss,
  type CausalLMInputs, type CausalLMOutput, type SequenceClassifierOutput,
} from './gpt2-heads.js';
export { Gpt2DecodingSession, positionsFromMask } from './gpt2-decoding.js';
export {
  adaptGpt2StateDict, loadGpt2Weights, buildGpt2FromCheckpoint, gpt2FromPretrained, saveGpt2Checkpoint,
  type LoadReport, type Gpt2FromPretrainedOptions,
} from './gpt2-weights.js';
export { registerGpt2 } from './gpt2-register.js';
export { gpt2OnnxExport, gpt2OnnxGraphs } from './gpt2-onnx.js';
export { AutoModel } from '@tfkit/core-tensor';
