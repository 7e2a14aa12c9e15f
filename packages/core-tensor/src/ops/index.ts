export { linear, matMul2d, type LinearActivation } from './linear.js';
export { gradientNeeded, skippedGradient, withNeededGradients } from './needed-gradients.js';
export { batchedMatMul } from './batched-matmul.js';
export { embeddingLookup, normalizePaddingIdx, type EmbeddingLookupOptions } from './embedding.js';
export { softmaxCrossEntropy, meanSquaredError, sigmoidCrossEntropy, type CrossEntropyOptions } from './losses.js';
export { gelu, geluTanh, quickGelu, silu, getActivation, type ActivationName } from './activations.js';
export { addLayerNorm, layerNorm, type AddLayerNormResult } from './norm.js';
export { FUSED_ADD_LAYER_NORM, FUSED_BATCH_MATMUL, FUSED_CACHED_ATTENTION, FUSED_CACHED_ATTENTION_IN_PLACE, FUSED_DENSE, FUSED_DROPOUT_MASK, FUSED_ELEMENTWISE_MAX_SIZE, FUSED_GELU, FUSED_GELU_GRAD, FUSED_LAYER_NORM, FUSED_SOFTMAX_CROSS_ENTROPY, FUSED_SOFTMAX_CROSS_ENTROPY_GRAD, denseWeightTransient, hasFusedElementwise, hasFusedKernel, type FusedKernelConfig, recordingGradients, withTransientDenseWeights } from './fused-kernels.js';
export {
  scaledDotProductAttention, paddingMask, causalMask, combineMasks, cachedAttentionStep, cachedAttentionInPlace, MASK_VALUE, type AttentionResult, type CachedAttentionStep,
} from './attention.js';
export { KvCache, type KvCacheOptions, type KvCacheLayer } from './kv-cache.js';
