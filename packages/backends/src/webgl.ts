/**
 * The WebGL backend (browsers): kernels are fragment shaders over float textures. Training needs
 * 32-bit float render targets; without them tfjs falls back to 16-bit floats (≈ 3 decimal digits),
 * which the activation notes say.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendActivation, BackendEntry, Registry, RegisterOptions } from '@tfkit/core-tensor';
import { BackendError, missingPeer } from './errors.js';
import { hasWebGL } from './environment.js';

export async function activateWebgl(): Promise<BackendActivation> {
  if (!hasWebGL()) throw new BackendError('webgl', 'WebGL is not available here (it needs a browser or a canvas implementation)');
  try {
    await import('@tensorflow/tfjs-backend-webgl');
  } catch (error) {
    missingPeer('webgl', '@tensorflow/tfjs-backend-webgl', error);
  }
  if (!(await tf.setBackend('webgl'))) {
    throw new BackendError('webgl', 'tfjs could not create a WebGL context (GPU blocklisted, disabled, or context limit reached)');
  }
  const version = tf.env().getNumber('WEBGL_VERSION');
  const float32 = tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED');
  const notes = [`webgl: WebGL ${version}, ${float32 ? '32-bit' : '16-bit'} float textures, kernels on the GPU`];
  if (!float32) notes.push('webgl: no 32-bit float render targets: results carry ~1e-3 relative error; prefer wasm for training');
  return { backend: 'webgl', threads: 1, notes };
}

/** Registers the lazily loaded WebGL backend (`@tensorflow/tfjs-backend-webgl`). */
export function registerWebglBackend(registry: Registry, options?: RegisterOptions): void {
  const entry: BackendEntry = {
    priority: 30,
    description: 'WebGL shaders on the GPU; the default in browsers',
    isSupported: hasWebGL,
    activate: () => activateWebgl(),
  };
  registry.backend.register('webgl', entry, options);
}
