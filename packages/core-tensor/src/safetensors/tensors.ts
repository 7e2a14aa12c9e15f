/**
 * safetensors ⇄ TensorFlow.js tensors. Floating dtypes become float32 (F16/BF16 decoded, F64
 * rounded), integer dtypes int32 (I64 checked to fit), BOOL bool.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SafetensorsError } from '../errors.js';
import type { TensorMap } from '../model-types.js';
import type { RangedFile } from '../io/types.js';
import {
  checkSafetensorsHeader, rawTensorOf, safetensorsHeaderLength, serializeSafetensors, toFloat32, toInt32,
  type RawTensor, type RawTensorInput, type SafetensorsEntry,
} from './format.js';
import { dequantizeInt8, INT8_PER_CHANNEL, int8Scales, QUANTIZATION_METADATA_KEY, quantizeInt8Auto, SCALE_SUFFIX, toHalfBits } from './quantize.js';

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

/** A byte range `[position, position + length)` of the file that `tensorSteps` needs next. */
type Range = [position: number, length: number];

/**
 * How a safetensors file becomes tensors, for the whole-file and the ranged reader alike: yields
 * the byte ranges it needs (the length field, the header, then each tensor's bytes) and is sent
 * each range's bytes, so the checks, conversions and their order are the same whether the file is
 * in memory or read a tensor at a time. Each tensor is made before the next is asked for; an int8
 * file's scales are asked for first. Tensors made so far are disposed on any error.
 */
function* tensorSteps(size: number, file: string): Generator<Range, SafetensorsTensors, Uint8Array> {
  const headerLength = safetensorsHeaderLength(yield [0, Math.min(8, size)], size, file);
  const { entries, metadata } = checkSafetensorsHeader(yield [8, headerLength], size - 8 - headerLength, file);
  const byName = new Map(entries.map((e) => [e.name, e]));
  const scales = int8Scales(byName, metadata, file);
  const dataStart = 8 + headerLength;
  const tensors: TensorMap = new Map();
  try {
    const scaleRaws = new Map<string, RawTensor>();
    for (const name of scales?.values() ?? []) {
      const entry = byName.get(name) as SafetensorsEntry;
      scaleRaws.set(name, rawTensorOf(entry, yield [dataStart + entry.begin, entry.end - entry.begin], 0, file));
    }
    for (const entry of entries) {
      if (scales && entry.name.endsWith(SCALE_SUFFIX)) continue;
      let raw = rawTensorOf(entry, yield [dataStart + entry.begin, entry.end - entry.begin], 0, file);
      const scaleName = scales?.get(entry.name);
      const scaleRaw = scaleName === undefined ? undefined : scaleRaws.get(scaleName);
      if (scaleRaw && raw.dtype === 'I8') raw = { dtype: 'F32', shape: raw.shape, data: dequantizeInt8(entry.name, raw.data, raw.shape, scaleRaw, file) };
      tensors.set(entry.name, toTensor(raw, { file, tensor: entry.name }));
    }
  } catch (error) {
    for (const t of tensors.values()) t.dispose();
    throw error;
  }
  return { tensors, metadata };
}

/**
 * Reads a safetensors file into tensors. float32 tensors may share memory with `bytes` (no copy),
 * so don't reuse `bytes` afterwards. `file` names the file in errors. A file tfkit saved with
 * `dtype: 'int8'` is dequantized: each `I8` tensor and its `.__scale` become one float32 tensor.
 */
export function safetensorsToTensors(bytes: Uint8Array, file = '<buffer>'): SafetensorsTensors {
  const steps = tensorSteps(bytes.byteLength, file);
  for (let step = steps.next(); ; ) {
    if (step.done) return step.value;
    const [position, length] = step.value;
    step = steps.next(bytes.subarray(position, position + length));
  }
}

/**
 * Reads a safetensors file through ranged reads: its header, then each tensor's bytes, each made a
 * tensor before the next is read, so at most one tensor's bytes (and its float32 conversion) are
 * held besides the tensors made so far — never the whole file. The same checks, errors and
 * conversions as `safetensorsToTensors`. `file` names the file in errors; the caller closes `ranged`.
 */
export async function readSafetensorsTensors(ranged: RangedFile, file = '<buffer>'): Promise<SafetensorsTensors> {
  const steps = tensorSteps(ranged.size, file);
  for (let step = steps.next(); ; ) {
    if (step.done) return step.value;
    let bytes: Uint8Array;
    try {
      bytes = await ranged.read(...step.value);
    } catch (error) {
      step = steps.throw(error); // disposes the tensors made so far, and rethrows
      continue;
    }
    step = steps.next(bytes);
  }
}

/** The channel axis of an int8 matrix: rows (0), columns (1), or the one with the smaller error. */
export type Int8Axis = 0 | 1 | 'auto';

/** How float32 tensors are stored: as they are, as float16, or (tfkit's own format) int8 with scales. */
export type WeightDtype = 'float32' | 'float16' | 'int8';

export interface TensorsToSafetensorsOptions {
  /** How int32 tensors are stored: `I32` (default) or `I64`, the dtype PyTorch uses for ids. */
  int32As?: 'I32' | 'I64';
  /**
   * How float32 tensors are stored (default `float32`). `float16` halves the size and is the
   * interchange format every Hugging Face tool reads. `int8` is tfkit's: each 2-D float tensor of
   * at least `int8MinElements` values becomes `I8` plus a per-channel `F32` scale tensor
   * `<name>.__scale`, and the metadata gets `tfkit_quantization: "int8-per-channel"`; other float
   * tensors (biases, norms, small matrices) stay float32. tfkit dequantizes on load.
   */
  dtype?: WeightDtype;
  /** With `dtype: 'int8'`: quantize only 2-D tensors with at least this many elements (default 1024). */
  int8MinElements?: number;
  /**
   * With `dtype: 'int8'`: the channel axis of a 2-D tensor, 0 (one scale per row, default: the
   * output channel of a PyTorch `Linear` weight and of an embedding), 1 (one per column, the
   * output channel of GPT-2's `Conv1D`), `'auto'` (whichever gives the smaller squared error),
   * or a function of the tensor's name and shape giving one of these.
   */
  int8Axis?: Int8Axis | ((name: string, shape: readonly number[]) => Int8Axis);
}

/** The quantization marker, or none: a float32/float16 save must not inherit it from loaded metadata. */
function storedMetadata(metadata: Readonly<Record<string, string>> | undefined, dtype: WeightDtype): Record<string, string> | undefined {
  if (!metadata && dtype !== 'int8') return undefined;
  const out: Record<string, string> = { ...metadata };
  delete out[QUANTIZATION_METADATA_KEY];
  if (dtype === 'int8') out[QUANTIZATION_METADATA_KEY] = INT8_PER_CHANNEL;
  return out;
}

/** Whether `dtype: 'int8'` stores this tensor as I8 + scale. */
export function isInt8Quantized(t: tf.Tensor, minElements = 1024): boolean {
  return t.dtype === 'float32' && t.rank === 2 && t.size >= minElements;
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
  const dtype = options.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'float16' && dtype !== 'int8') throw new SafetensorsError(`"dtype" must be float32, float16 or int8, got ${JSON.stringify(dtype)}`, { file });
  const minElements = options.int8MinElements ?? 1024;
  for (const [name, t] of items) {
    if (!(t instanceof tf.Tensor)) throw new SafetensorsError(`expected a tf.Tensor, got ${typeof t}`, { file, tensor: name });
    if (t.isDisposed) throw new SafetensorsError('the tensor is disposed', { file, tensor: name });
    if (dtype === 'int8' && name.endsWith(SCALE_SUFFIX)) throw new SafetensorsError(`names ending in "${SCALE_SUFFIX}" hold int8 scales; rename the tensor`, { file, tensor: name });
    const shape = t.shape;
    if (t.dtype === 'float32' && dtype === 'int8' && isInt8Quantized(t, minElements)) {
      const axis = typeof options.int8Axis === 'function' ? options.int8Axis(name, shape) : (options.int8Axis ?? 0);
      const { q, scale, scaleShape } = quantizeInt8Auto((await t.data()) as Float32Array, shape, axis, name);
      raw.set(name, { dtype: 'I8', shape, data: q });
      raw.set(name + SCALE_SUFFIX, { dtype: 'F32', shape: scaleShape, data: scale });
    } else if (t.dtype === 'float32' && dtype === 'float16') {
      const data = (await t.data()) as Float32Array;
      raw.set(name, { dtype: 'F16', shape, data: Uint16Array.from(data, toHalfBits) });
    } else if (t.dtype === 'float32') raw.set(name, { dtype: 'F32', shape, data: (await t.data()) as Float32Array });
    else if (t.dtype === 'bool') raw.set(name, { dtype: 'BOOL', shape, data: (await t.data()) as Uint8Array });
    else if (t.dtype === 'int32') {
      const data = (await t.data()) as Int32Array;
      raw.set(name, options.int32As === 'I64' ? { dtype: 'I64', shape, data: BigInt64Array.from(data, (v) => BigInt(v)) } : { dtype: 'I32', shape, data });
    } else {
      throw new SafetensorsError(`tensors of dtype ${t.dtype} cannot be stored; cast to float32 or int32 first`, { file, tensor: name });
    }
  }
  return serializeSafetensors(raw, storedMetadata(metadata, dtype));
}
