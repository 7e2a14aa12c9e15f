// Vitest setup for every tfkit package: gradients registered, the cpu and wasm backends available
// (with tfkit's wasm kernels),
// and the backend chosen by TFKIT_BACKEND (default cpu) active before the first test.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { loadGradients } from '../../../packages/core-tensor/src/gradients.js';
import { installWasmKernels } from '../../../packages/backends/src/wasm-kernels.js';

await loadGradients();
// The kernels `useBackend(…, 'wasm')` installs (buffer-sharing Identity, fused layer norm and
// GELU), so tests on wasm run what users run.
installWasmKernels();
await tf.setBackend(process.env['TFKIT_BACKEND'] ?? 'cpu');
await tf.ready();
