export { Module, ModuleList, Parameter, StateDictError, matchesPattern, type CheckpointLayout, type LoadStateDictResult, type NamePattern } from './module.js';
export { normal, uniform, defaultRng } from './init.js';
export { Linear, type LinearOptions } from './linear.js';
export { Embedding, type EmbeddingOptions } from './embedding.js';
export { LayerNorm } from './layer-norm.js';
export { Dropout } from './dropout.js';
