export * from './tensors.js';
export * from './fixtures.js';
export * from './gradients.js';
export * from './fuzz.js';
export * from './test-files.js';
export * from './model-cards.js';
export * from './wasm-heap.js';
export * from './temp-folders.js';
