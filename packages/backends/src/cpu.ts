/** The plain JavaScript backend: runs everywhere, the reference the others are tested against. */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendActivation, BackendEntry, Registry, RegisterOptions } from '@tfkit/core-tensor';
import { BackendError, missingPeer } from './errors.js';

export async function activateCpu(): Promise<BackendActivation> {
  try {
    await import('@tensorflow/tfjs-backend-cpu');
  } catch (error) {
    missingPeer('cpu', '@tensorflow/tfjs-backend-cpu', error);
  }
  if (!(await tf.setBackend('cpu'))) throw new BackendError('cpu', 'tfjs could not initialise the cpu backend');
  return { backend: 'cpu', threads: 1, notes: ['cpu: plain JavaScript kernels, one thread (slowest; use wasm in Node.js)'] };
}

/** Registers the lazily loaded cpu backend (`@tensorflow/tfjs-backend-cpu`). */
export function registerCpuBackend(registry: Registry, options?: RegisterOptions): void {
  const entry: BackendEntry = {
    priority: 10,
    description: 'Plain JavaScript kernels; runs everywhere, slowest',
    isSupported: () => true,
    activate: () => activateCpu(),
  };
  registry.backend.register('cpu', entry, options);
}
