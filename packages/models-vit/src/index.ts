/**
 * @tfkit/models-vit — the Vision Transformer (Dosovitskiy et al., 2021) for TensorFlow.js: Hugging
 * Face compatible checkpoints, image classification with its loss, image preprocessing and the
 * image-classification pipeline.
 */
export { AutoModel } from '@tfkit/core-tensor';
export {
  vitConfig, vitConfigFromHf, vitConfigToHf, vitConfigSizes, defaultLabels, numLabels, VIT_DEFAULTS, ViTConfigError,
  type ViTConfig, type ViTConfigInput, type ViTProblemType,
} from './vit-config.js';
export {
  ViTSelfAttention, ViTSelfOutput, ViTAttention, ViTIntermediate, ViTOutput, ViTLayer, ViTEncoder, ViTPooler,
  ViTPreTrainedModel, ViTModel, clsToken, pixelTensor,
  type ViTModelInputs, type ViTModelOutput, type ViTModelOptions, type ViTInit, type PixelInput, type DataFormat,
} from './vit-modeling.js';
export {
  ViTForImageClassification, imageClassificationLoss, VIT_ARCHITECTURES,
  type ViTArchitecture, type ViTImageClassificationInputs, type ViTImageClassifierOutput, type LabelInput,
} from './vit-heads.js';
export {
  adaptViTStateDict, loadViTWeights, buildViTFromCheckpoint, initializeWeights,
  type LoadReport, type ViTFromPretrainedOptions,
} from './vit-weights.js';
export {
  ViTImageProcessor, resizeRgb, toRgb, VIT_IMAGE_PROCESSOR_DEFAULTS,
  type RawImage, type Resample, type ViTImageProcessorConfig, type PreprocessOptions,
} from './vit-image-processor.js';
export {
  ImageClassificationPipeline, loadImageClassificationPipeline,
  type ImageClassificationModel, type ImageClassificationPipelineOptions, type ImageClassificationCallOptions, type LabelScore,
} from './vit-pipeline.js';
export { registerViT } from './vit-register.js';
export { vitOnnxExport, vitOnnxBackbone, buildViTOnnx } from './vit-onnx.js';
