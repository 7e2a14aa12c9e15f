/**
 * @tfkit/backends — TensorFlow.js backends as tfkit registry plugins: cpu, wasm (SIMD, threads in
 * Node.js and cross-origin-isolated pages), webgl and webgpu. Each registers a lazy loader:
 * registering imports nothing, activating imports only that backend's package.
 */
import type { BackendEntry } from '@tfkit/core-tensor';

export { registerCpuBackend } from './cpu.js';
export { registerWasmBackend, MAX_WASM_THREADS, type WasmBackendOptions, type WasmBinaryName } from './wasm.js';
export { registerWebglBackend } from './webgl.js';
export { registerWebgpuBackend } from './webgpu.js';
export { registerAllBackends, availableBackends, useBackend, type UseBackendOptions } from './use-backend.js';
export { BackendError } from './errors.js';

declare module '@tfkit/core-tensor' {
  interface BackendEntries {
    cpu: BackendEntry;
    wasm: BackendEntry;
    webgl: BackendEntry;
    webgpu: BackendEntry;
  }
}
