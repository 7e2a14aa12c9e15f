/**
 * `@tfkit/core-tensor/lite`: everything in core-tensor that needs no TensorFlow.js — the registry,
 * errors, seeded random numbers, checkpoint sources and the raw safetensors format. Packages that
 * must stay light (tokenizers in a web page) import from here.
 */
export * from './errors.js';
export * from './registry/entries.js';
export { createRegistry, Namespace, type Registry, type RegistryKey, type RegisterOptions, type TfkitPlugin, type CoreNamespaceName } from './registry/registry.js';
export { registerTask, setDefaultModel, TaskImplementations, type PipelineFor, type RegisterTaskOptions } from './registry/tasks.js';
export { fetchWithProgress, readProgress, type DownloadProgress, type ProgressCallback } from './download-progress.js';
export { Random, type RngState } from './random.js';
export type { SourceOptions, FileSource, RangedFile } from './io/types.js';
export { settings, configure, resetSettings, type Settings } from './io/settings.js';
export { openSource, fileLabel } from './io/sources.js';
export { describeValue, jsonErrorLocation } from './io/json.js';
export { writeFileAtomic, importNodeBuiltin } from './io/fs.js';
export {
  parseSafetensors, serializeSafetensors, toFloat32, toInt32, SAFETENSORS_DTYPES,
  type SafetensorsDtype, type SafetensorsArrays, type RawTensor, type RawTensorInput, type SafetensorsFile,
} from './safetensors/format.js';
export { dequantizeSafetensors, quantizeInt8, quantizeInt8Auto, int8SquaredError, toHalfBits, INT8_PER_CHANNEL, QUANTIZATION_METADATA_KEY, SCALE_SUFFIX, type Int8Quantized } from './safetensors/quantize.js';
export type { Checkpoint, FromPretrainedOptions, PretrainedModel, SavePretrainedOptions, HfConfig, TensorMap } from './model-types.js';
export { spanCandidates, type SpanCandidate, type SpanCandidateOptions } from './qa-spans.js';
export {
  decodeImage, loadImageDecoder, imageFormat, ImageDecodeError, ImageDecoderMissingError, IMAGE_DECODER_PACKAGES, DEFAULT_MAX_PIXELS,
  type DecodedImage, type DecodeImageOptions, type ImageDecoder, type ImageFormat,
} from './image/decode-image.js';
