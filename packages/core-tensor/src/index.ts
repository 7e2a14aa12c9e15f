/**
 * @tfkit/core-tensor — the one TensorFlow.js instance tfkit uses (a peer dependency), the plugin
 * registry, safetensors, checkpoint sources, seeded randomness, the differentiable ops that run
 * fast on every backend, and `AutoModel`.
 */
export * from './lite.js';
export { loadGradients } from './gradients.js';
export { safetensorsToTensors, tensorsToSafetensors, isInt8Quantized, type SafetensorsTensors, type TensorsToSafetensorsOptions, type WeightDtype, type Int8Axis } from './safetensors/tensors.js';
export { loadCheckpoint, saveCheckpoint, type SaveCheckpointOptions } from './io/checkpoint.js';
export { AutoModel, resolveArchitecture } from './auto-model.js';
export { pipeline, type PipelineOptions } from './pipeline.js';
export * from './ops/index.js';
