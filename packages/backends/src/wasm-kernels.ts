/**
 * Kernels tfkit registers over tfjs-backend-wasm's own (this Identity; Transpose and Sum in
 * wasm-layout-kernels.ts), and its fused kernels (fused-kernels.ts).
 *
 * Identity: tfjs-backend-wasm's copies its input into a new buffer. tfjs-core runs it through
 * `tf.clone` for every tensor a kernel saves for the backward pass, so on wasm a training step held
 * a copy of every saved activation and of every weight a matMul saved (326 MB of weight copies in
 * a BERT-base forward). This one shares the input's buffer, as tfjs-backend-wasm's Reshape and
 * tfjs-backend-cpu's Identity do: tensors are immutable, so the two tensors cannot tell.
 */
import * as tf from '@tensorflow/tfjs-core';
import { installSimdWasmKernels, installFusedWasmKernels } from './fused-kernels.js';
import { installWasmLayoutKernels } from './wasm-layout-kernels.js';

interface SharingBackend {
  incRef(dataId: object): void;
}

let installed: tf.KernelConfig | undefined;

/** Registers the sharing Identity for the wasm backend (once; later calls do nothing) and the fused kernels. */
export function installWasmKernels(): void {
  installFusedWasmKernels();
  installWasmLayoutKernels();
  // Per backend instance: whether the running build can run tfkit's SIMD kernels.
  if (tf.getBackend() === 'wasm') installSimdWasmKernels(tf.backend());
  if (installed) return;
  const original = tf.getKernel('Identity', 'wasm');
  if (!original) return;
  const config: tf.KernelConfig = {
    kernelName: 'Identity',
    backendName: 'wasm',
    kernelFunc: (args) => {
      const x = args.inputs['x'] as tf.TensorInfo;
      // Strings live outside the heap; keep tfjs's path for them.
      if (x.dtype === 'string') return original.kernelFunc(args);
      (args.backend as unknown as SharingBackend).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  };
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel(config);
  installed = config;
}
