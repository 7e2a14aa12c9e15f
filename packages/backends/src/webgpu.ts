/**
 * The WebGPU backend (browsers with `navigator.gpu`). Opt-in: it is never picked by default, and
 * tfkit's gradient suite covers cpu, wasm and webgl only.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendActivation, BackendEntry, Registry, RegisterOptions } from '@tfkit/core-tensor';
import { BackendError, missingPeer } from './errors.js';
import { hasWebGPU } from './environment.js';

export async function activateWebgpu(): Promise<BackendActivation> {
  if (!hasWebGPU()) throw new BackendError('webgpu', 'WebGPU is not available here (navigator.gpu is missing)');
  try {
    await import('@tensorflow/tfjs-backend-webgpu');
  } catch (error) {
    missingPeer('webgpu', '@tensorflow/tfjs-backend-webgpu', error);
  }
  if (!(await tf.setBackend('webgpu'))) throw new BackendError('webgpu', 'tfjs could not get a WebGPU adapter/device');
  return { backend: 'webgpu', threads: 1, notes: ['webgpu: compute shaders on the GPU (experimental in tfkit: gradients are not in its test suite)'] };
}

/** Registers the lazily loaded WebGPU backend (`@tensorflow/tfjs-backend-webgpu`); opt-in by name. */
export function registerWebgpuBackend(registry: Registry, options?: RegisterOptions): void {
  const entry: BackendEntry = {
    // Below cpu, so only an explicit useBackend(registry, 'webgpu') selects it.
    priority: 5,
    description: 'WebGPU compute shaders (experimental; opt-in by name)',
    isSupported: hasWebGPU,
    activate: () => activateWebgpu(),
  };
  registry.backend.register('webgpu', entry, options);
}
