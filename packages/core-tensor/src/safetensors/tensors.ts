/**
 * safetensors ⇄ TensorFlow.js tensors. Floating dtypes become float32 (F16/BF16 decoded, F64
 * rounded), integer dtypes int32 (I64 checked to fit), BOOL bool.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SafetensorsError } from '../errors.js';
import type { TensorMap } from '../model-types.js';
import { parseSafetensors, serializeSafetensors, toFloat32, toInt32, type RawTensor, type RawTensorInput } from './format.js';

export interface SafetensorsTensors {
  /** Tensors in file order; the caller disposes them. */
  tensors: TensorMap;
  metadata: Record<string, string>;
}

function toTensor(raw: RawTensor, where: { file: string; tensor: string }): tf.Tensor {
  switch (raw.dtype) {
    case 'F32':
    case 'F16':
    case 'BF16':
    case 'F64':
      return tf.tensor(toFloat32(raw), raw.shape, 'float32');
    case 'BOOL':
      return tf.tensor(raw.data, raw.shape, 'bool');
    default:
      return tf.tensor(toInt32(raw, where), raw.shape, 'int32');
  }
}

/**
 * Reads a safetensors file into tensors. float32 tensors may share memory with `bytes` (no copy),
 * so don't reuse `bytes` afterwards. `file` names the file in errors.
 */
export function safetensorsToTensors(bytes: Uint8Array, file = '<buffer>'): SafetensorsTensors {
  const parsed = parseSafetensors(bytes, file);
  const tensors: TensorMap = new Map();
  try {
    for (const [name, raw] of parsed.tensors) tensors.set(name, toTensor(raw, { file, tensor: name }));
  } catch (error) {
    for (const t of tensors.values()) t.dispose();
    throw error;
  }
  return { tensors, metadata: parsed.metadata };
}

export interface TensorsToSafetensorsOptions {
  /** How int32 tensors are stored: `I32` (default) or `I64`, the dtype PyTorch uses for ids. */
  int32As?: 'I32' | 'I64';
}

/**
 * Serializes float32, int32 and bool tensors (F32, I32 or I64, BOOL). Reads the tensors' values
 * asynchronously, so GPU backends are not blocked; the tensors stay the caller's.
 */
export async function tensorsToSafetensors(
  tensors: ReadonlyMap<string, tf.Tensor> | Readonly<Record<string, tf.Tensor>>,
  metadata?: Readonly<Record<string, string>>,
  options: TensorsToSafetensorsOptions = {},
): Promise<Uint8Array> {
  const file = '<tensorsToSafetensors>';
  const raw = new Map<string, RawTensorInput>();
  const items: [string, tf.Tensor][] = tensors instanceof Map ? [...(tensors as ReadonlyMap<string, tf.Tensor>)] : Object.entries(tensors);
  for (const [name, t] of items) {
    if (!(t instanceof tf.Tensor)) throw new SafetensorsError(`expected a tf.Tensor, got ${typeof t}`, { file, tensor: name });
    if (t.isDisposed) throw new SafetensorsError('the tensor is disposed', { file, tensor: name });
    const shape = t.shape;
    if (t.dtype === 'float32') raw.set(name, { dtype: 'F32', shape, data: (await t.data()) as Float32Array });
    else if (t.dtype === 'bool') raw.set(name, { dtype: 'BOOL', shape, data: (await t.data()) as Uint8Array });
    else if (t.dtype === 'int32') {
      const data = (await t.data()) as Int32Array;
      raw.set(name, options.int32As === 'I64' ? { dtype: 'I64', shape, data: BigInt64Array.from(data, (v) => BigInt(v)) } : { dtype: 'I32', shape, data });
    } else {
      throw new SafetensorsError(`tensors of dtype ${t.dtype} cannot be stored; cast to float32 or int32 first`, { file, tensor: name });
    }
  }
  return serializeSafetensors(raw, metadata);
}
