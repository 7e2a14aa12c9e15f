/**
 * Float32 storage of tensors that live in host memory — tfjs-backend-cpu's typed arrays and
 * tfjs-backend-wasm's heap — read and written in place by the fused optimizer updates, which so
 * need no temporary tensors. Other backends (webgl, webgpu) have no such storage: `hostStorage`
 * returns undefined and the optimizers fall back to tensor ops.
 *
 * A view of the wasm heap is only valid until the next allocation (the heap may grow and detach
 * it), so callers allocate first and take views last. After writing into a tensor's memory on
 * wasm, `markWritten` drops what the backend derived from the old contents: XNNPACK keeps the
 * packed right operand of a matMul keyed by the tensor, and would otherwise reuse stale weights.
 */
import * as tf from '@tensorflow/tfjs-core';

interface WasmBackendLike {
  wasm: { HEAPU8: Uint8Array; tfjs: { disposeData(id: number): void; registerTensor(id: number, size: number, offset: number): void } };
  dataIdMap: { get(dataId: object): { id: number; memoryOffset: number } | undefined };
  refCount(dataId: object): number;
}

interface CpuBackendLike {
  data: { get(dataId: object): { values?: unknown } | undefined };
  refCount(dataId: object): number;
}

export interface HostStorage {
  /** The backend instance the data lives on (views of tensors on different backends are not mixed). */
  readonly backend: object;
  /** Which backend's memory: tfjs-backend-wasm's heap or tfjs-backend-cpu's arrays. */
  readonly kind: 'wasm' | 'cpu';
  /** True when no other tensor shares this memory, so writing it changes only this tensor. */
  readonly exclusive: boolean;
  /** The elements, as a view of the backend's memory (take it after the last allocation). */
  view(): Float32Array;
  /** Call after writing the memory: drops caches the backend keyed by this tensor. */
  markWritten(): void;
}

function tensorBackend(t: tf.Tensor): object | undefined {
  const info = (tf.engine().state as unknown as { tensorInfo: WeakMap<object, { backend: object }> }).tensorInfo.get(t.dataId);
  return info?.backend;
}

function isWasm(b: object): b is WasmBackendLike {
  const w = b as Partial<WasmBackendLike>;
  return typeof w.wasm?.tfjs?.registerTensor === 'function' && typeof w.dataIdMap?.get === 'function' && w.wasm.HEAPU8 instanceof Uint8Array;
}

function isCpu(b: object): b is CpuBackendLike {
  const c = b as Partial<CpuBackendLike>;
  return typeof c.data?.get === 'function' && typeof c.refCount === 'function' && !('wasm' in b);
}

/** The host-memory storage of a float32 tensor, or undefined when its backend keeps it elsewhere. */
export function hostStorage(t: tf.Tensor): HostStorage | undefined {
  if (t.dtype !== 'float32' || t.isDisposed) return undefined;
  const backend = tensorBackend(t);
  if (!backend) return undefined;
  if (isWasm(backend)) {
    const entry = backend.dataIdMap.get(t.dataId);
    if (!entry) return undefined;
    return {
      backend,
      kind: 'wasm',
      exclusive: backend.refCount(t.dataId) === 1,
      view: () => new Float32Array(backend.wasm.HEAPU8.buffer, entry.memoryOffset, t.size),
      markWritten: () => {
        // Unregister and re-register the same buffer: tfjs's C++ side runs the tensor's disposal
        // callbacks (freeing XNNPACK operators that packed it) without freeing the memory.
        backend.wasm.tfjs.disposeData(entry.id);
        backend.wasm.tfjs.registerTensor(entry.id, t.size, entry.memoryOffset);
      },
    };
  }
  if (isCpu(backend)) {
    const values = backend.data.get(t.dataId)?.values;
    if (!(values instanceof Float32Array) || values.length !== t.size) return undefined;
    // tfjs-backend-cpu keeps a typed array it was given as is, and a contiguous slice is a
    // subarray of its input: only an array that owns its whole buffer is this tensor's alone.
    const ownsBuffer = values.byteOffset === 0 && values.byteLength === values.buffer.byteLength;
    return { backend, kind: 'cpu', exclusive: ownsBuffer && backend.refCount(t.dataId) === 1, view: () => values, markWritten: () => {} };
  }
  return undefined;
}
