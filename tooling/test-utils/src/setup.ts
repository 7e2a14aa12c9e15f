// Vitest setup for every tfkit package: gradients registered, the cpu and wasm backends available,
// and the backend chosen by TFKIT_BACKEND (default cpu) active before the first test.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { loadGradients } from '../../../packages/core-tensor/src/gradients.js';

await loadGradients();
await tf.setBackend(process.env['TFKIT_BACKEND'] ?? 'cpu');
await tf.ready();
