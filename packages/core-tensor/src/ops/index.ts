export { linear, matMul2d } from './linear.js';
export { batchedMatMul } from './batched-matmul.js';
export { embeddingLookup, normalizePaddingIdx, type EmbeddingLookupOptions } from './embedding.js';
export { softmaxCrossEntropy, meanSquaredError, sigmoidCrossEntropy, type CrossEntropyOptions } from './losses.js';
export { gelu, geluTanh, quickGelu, silu, getActivation, type ActivationName } from './activations.js';
export { layerNorm } from './norm.js';
export { FUSED_ELEMENTWISE_MAX_SIZE, FUSED_GELU, FUSED_LAYER_NORM, hasFusedKernel } from './fused-kernels.js';
export {
  scaledDotProductAttention, paddingMask, causalMask, combineMasks, MASK_VALUE, type AttentionResult,
} from './attention.js';
