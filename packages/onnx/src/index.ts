export { OnnxGraph, MASK_VALUE } from './graph.js';
export { encodeModel, decodeModel, toModelProto } from './serialize.js';
export { exportOnnx, onnxEntryFor, DEFAULT_OPSET, SIDE_FILES, type ExportOnnxOptions, type ExportOnnxResult } from './export.js';
export { OnnxExportError, OnnxRuntimeMissingError, OnnxInferenceError } from './errors.js';
export { registerOnnxRuntime, onnxRuntimeEntry, ONNX_MODEL_FILE, type OnnxRuntimeOptions, type OnnxRuntimePackage } from './runtime.js';
