export * from './tensors.js';
export * from './fixtures.js';
