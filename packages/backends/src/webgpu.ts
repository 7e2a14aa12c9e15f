/**
 * The WebGPU backend (browsers with `navigator.gpu`). Opt-in: it is never picked by default, and
 * tfkit's gradient suite covers cpu, wasm and webgl only. On SwiftShader, where a synchronous read
 * of a GPU tensor returns zeros and breaks the device, such reads throw instead.
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
  const notes = ['webgpu: compute shaders on the GPU (experimental in tfkit: gradients are not in its test suite)'];
  if (!guardSynchronousReads(tf.backend() as unknown as WebgpuBackendInternals)) {
    notes.push('webgpu on SwiftShader (no GPU): synchronous reads of GPU tensors (dataSync, arraySync) would return zeros and break the device, so they throw BackendError; read with await tensor.data(), or use webgl');
  }
  return { backend: 'webgpu', threads: 1, notes };
}

const GUARDED = Symbol('tfkit.guardedReadSync');

/** What tfkit touches of tfjs-backend-webgpu's backend object (4.x). */
interface WebgpuBackendInternals {
  readSync(dataId: object): tf.backend_util.BackendValues;
  tensorMap?: { get(dataId: object): { values?: unknown; dtype?: string } | undefined };
  adapterInfo?: { vendor?: string; architecture?: string };
}

/**
 * tfjs-backend-webgpu reads a GPU tensor synchronously by drawing its buffer to canvases. On
 * SwiftShader (Chromium's WebGPU without a GPU, e.g. headless CI) that read returns zeros and leaves
 * the device unusable: every later read fails ("A valid external Instance reference no longer
 * exists"). There, synchronous reads of GPU-resident tensors throw a `BackendError` instead, before
 * anything is read (tensors whose values are still on the CPU read as before; reading is what would
 * break the device, so it cannot be probed). Returns whether synchronous reads are left as they are.
 */
function guardSynchronousReads(backend: WebgpuBackendInternals): boolean {
  if (typeof backend.readSync !== 'function' || typeof backend.tensorMap?.get !== 'function') return true;
  if (backend.adapterInfo?.architecture !== 'swiftshader') return true;
  if ((backend as { [GUARDED]?: true })[GUARDED]) return false;
  (backend as { [GUARDED]?: true })[GUARDED] = true;
  const readSync = backend.readSync.bind(backend);
  const tensorMap = backend.tensorMap;
  backend.readSync = (dataId) => {
    const stored = tensorMap.get(dataId);
    if (stored && stored.values == null && stored.dtype !== 'string') {
      throw new BackendError('webgpu', 'a synchronous read (dataSync, arraySync, bufferSync) of a tensor on the GPU returns zeros on SwiftShader (WebGPU without a GPU) and breaks the device; read it with await tensor.data() or tensor.array(), or use the webgl backend');
    }
    return readSync(dataId);
  };
  return false;
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
