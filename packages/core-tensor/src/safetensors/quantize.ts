/**
 * tfkit's int8 weight storage in safetensors: a 2-D float weight `name` is stored as an `I8` tensor
 * of the same shape plus an `F32` tensor `name.__scale` of shape `[rows, 1]` (one scale per row,
 * the default) or `[1, columns]` (one per column), and the file's `__metadata__` carries
 * `"tfkit_quantization": "int8-per-channel"`. The value is `q × scale` (symmetric, no zero point):
 * numpy/PyTorch broadcasting gives it back with `q.float() * scale`.
 *
 * Quantization is round-to-nearest with `scale = max|w| / 127` per channel, so every element is
 * within `scale / 2` of its original. This file needs no TensorFlow.js.
 */
import { CheckpointError } from '../errors.js';
import { toFloat32, type RawTensor, type SafetensorsFile } from './format.js';

/** The `__metadata__` key that marks a tfkit-quantized file, and its one supported value. */
export const QUANTIZATION_METADATA_KEY = 'tfkit_quantization';
export const INT8_PER_CHANNEL = 'int8-per-channel';
/** A quantized tensor `name` has its scales in `name + SCALE_SUFFIX`. */
export const SCALE_SUFFIX = '.__scale';

export interface Int8Quantized {
  /** Row-major int8 values in [-127, 127]. */
  q: Int8Array;
  /** One scale per channel: `rows` of them for axis 0, `columns` for axis 1. */
  scale: Float32Array;
  /** The scale tensor's shape: `[rows, 1]` or `[1, columns]`. */
  scaleShape: [number, number];
}

/**
 * Symmetric per-channel int8 quantization of a `[rows, columns]` float matrix: `axis` 0 gives one
 * scale per row (the output channel of a PyTorch `Linear` weight or an embedding), 1 one per
 * column (the output channel of GPT-2's `Conv1D`). A channel of zeros gets scale 0. Non-finite
 * values cannot be quantized.
 */
export function quantizeInt8(data: Float32Array, shape: readonly number[], axis: 0 | 1 = 0, name = '<tensor>'): Int8Quantized {
  if (shape.length !== 2) throw new CheckpointError(`"${name}": int8 quantization needs a 2-D tensor, got shape [${shape.join(', ')}]`, { code: 'ERR_QUANTIZATION' });
  const [rows, cols] = shape as [number, number];
  if (data.length !== rows * cols) throw new CheckpointError(`"${name}": ${data.length} values for shape [${rows}, ${cols}]`, { code: 'ERR_QUANTIZATION' });
  const channels = axis === 0 ? rows : cols;
  const max = new Float64Array(channels);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = data[r * cols + c] as number;
      if (!Number.isFinite(v)) throw new CheckpointError(`"${name}": element [${r}, ${c}] is ${v}, which int8 cannot store; save this checkpoint as float32 or float16`, { code: 'ERR_QUANTIZATION' });
      const k = axis === 0 ? r : c;
      const a = Math.abs(v);
      if (a > (max[k] as number)) max[k] = a;
    }
  }
  const scale = new Float32Array(channels);
  for (let k = 0; k < channels; k++) scale[k] = (max[k] as number) / 127;
  const q = new Int8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const s = scale[axis === 0 ? r : c] as number;
      if (s === 0) continue;
      // The stored float32 scale (not max/127 in float64) is what the reader multiplies by.
      const y = (data[r * cols + c] as number) / s;
      const x = y < 0 ? -Math.round(-y) : Math.round(y); // ties away from zero, symmetric
      q[r * cols + c] = x > 127 ? 127 : x < -127 ? -127 : x;
    }
  }
  return { q, scale, scaleShape: axis === 0 ? [rows, 1] : [1, cols] };
}

/** Sum of squared errors of a quantization: `w` against `q × scale`. */
export function int8SquaredError(data: Float32Array, { q, scale, scaleShape }: Int8Quantized): number {
  const cols = scaleShape[1] === 1 ? data.length / scaleShape[0] : scaleShape[1];
  const perRow = scaleShape[1] === 1;
  let sum = 0;
  for (let i = 0; i < data.length; i++) {
    const s = scale[perRow ? Math.floor(i / cols) : i % cols] as number;
    const d = (data[i] as number) - (q[i] as number) * s;
    sum += d * d;
  }
  return sum;
}

/**
 * The channel axis for a matrix: 0 or 1 as given, or with `'auto'` whichever quantizes `data`
 * with the smaller squared error (rows on a tie). A checkpoint does not say which axis of a weight
 * is its output channel (PyTorch `Linear` is `[out, in]`, GPT-2's `Conv1D` `[in, out]`); the
 * axis with the smaller error is, for trained weights, nearly always the output channel.
 */
export function quantizeInt8Auto(data: Float32Array, shape: readonly number[], axis: 0 | 1 | 'auto', name = '<tensor>'): Int8Quantized {
  if (axis !== 'auto') return quantizeInt8(data, shape, axis, name);
  const rows = quantizeInt8(data, shape, 0, name);
  const cols = quantizeInt8(data, shape, 1, name);
  return int8SquaredError(data, cols) < int8SquaredError(data, rows) ? cols : rows;
}

const SCALE_DTYPES = new Set(['F32', 'F16', 'BF16']);

function fail(file: string, tensor: string, message: string): CheckpointError {
  return new CheckpointError(`${file} (tensor "${tensor}"): ${message}`, { code: 'ERR_QUANTIZATION' });
}

/** What `int8Scales` needs of a tensor: its header entry or its parsed form. */
export interface TensorHead {
  dtype: RawTensor['dtype'];
  shape: readonly number[];
}

/**
 * For a file whose metadata marks it tfkit-quantized: each I8 tensor's scale tensor name, after
 * checking every pair's names, dtypes and shapes (values are checked by `dequantizeInt8`); undefined
 * for a file that is not quantized. A scale without its tensor, an I8 tensor without its scale,
 * a scale beside a tensor that is not I8, a scale of the wrong dtype or shape, or an unknown
 * quantization is a `CheckpointError` naming the file and the tensor. Needs only the header.
 */
export function int8Scales(tensors: ReadonlyMap<string, TensorHead>, metadata: Readonly<Record<string, string>>, file: string): Map<string, string> | undefined {
  const scheme = metadata[QUANTIZATION_METADATA_KEY];
  if (scheme === undefined) return undefined;
  if (scheme !== INT8_PER_CHANNEL) {
    throw new CheckpointError(`${file}: quantized as ${JSON.stringify(scheme.slice(0, 64))}, which tfkit cannot read (it reads "${INT8_PER_CHANNEL}"); use a newer tfkit or a float16/float32 copy`, { code: 'ERR_QUANTIZATION' });
  }
  const scales = new Map<string, string>();
  for (const [name, raw] of tensors) {
    if (name.endsWith(SCALE_SUFFIX)) {
      const base = name.slice(0, -SCALE_SUFFIX.length);
      if (!tensors.has(base)) throw fail(file, name, `a scale for "${base}", which the file does not hold`);
      continue;
    }
    const scaleName = name + SCALE_SUFFIX;
    const scaleRaw = tensors.get(scaleName);
    if (raw.dtype !== 'I8') {
      if (scaleRaw) throw fail(file, name, `has a scale "${scaleName}" but is ${raw.dtype}; quantized tensors are I8`);
      continue;
    }
    if (!scaleRaw) throw fail(file, name, `is I8 in a file quantized as ${INT8_PER_CHANNEL} but has no scale tensor "${scaleName}"; the file is incomplete`);
    if (!SCALE_DTYPES.has(scaleRaw.dtype)) throw fail(file, scaleName, `scales must be F32, F16 or BF16, got ${scaleRaw.dtype}`);
    const { shape } = raw;
    const sshape = scaleRaw.shape;
    const rank2 = shape.length === 2 && sshape.length === 2;
    const perRow = rank2 && sshape[0] === shape[0] && sshape[1] === 1;
    const perCol = rank2 && sshape[0] === 1 && sshape[1] === shape[1];
    if (!perRow && !perCol) {
      throw fail(file, scaleName, `shape [${sshape.slice(0, 4).join(', ')}${sshape.length > 4 ? ', …' : ''}] does not fit "${name}" [${shape.slice(0, 4).join(', ')}${shape.length > 4 ? ', …' : ''}]: expected [${shape[0]}, 1] (per row) or [1, ${shape[1]}] (per column) for a 2-D tensor`);
    }
    scales.set(name, scaleName);
  }
  return scales;
}

/**
 * An I8 tensor `name` of shape `[rows, columns]` times its scale (a pair `int8Scales` checked):
 * the float32 values. Scales that are not finite and non-negative are a `CheckpointError` naming
 * the file and the scale tensor.
 */
export function dequantizeInt8(name: string, q: Int8Array, shape: readonly number[], scaleRaw: RawTensor, file: string): Float32Array {
  const scale = toFloat32(scaleRaw);
  for (let k = 0; k < scale.length; k++) {
    const s = scale[k] as number;
    if (!(Number.isFinite(s) && s >= 0)) throw fail(file, name + SCALE_SUFFIX, `scale ${k} is ${s}; scales must be finite and non-negative`);
  }
  const rows = shape[0] as number;
  const cols = shape[1] as number;
  const values = new Float32Array(q.length);
  if (scaleRaw.shape[0] === rows && scaleRaw.shape[1] === 1) {
    for (let r = 0; r < rows; r++) {
      const s = scale[r] as number;
      for (let c = r * cols, end = c + cols; c < end; c++) values[c] = (q[c] as number) * s;
    }
  } else {
    for (let r = 0; r < rows; r++) {
      for (let c = 0, i = r * cols; c < cols; c++, i++) values[i] = (q[i] as number) * (scale[c] as number);
    }
  }
  return values;
}

/**
 * Replaces each quantized pair (`name` as I8, `name.__scale`) of a parsed file by one F32 tensor
 * `name`, in place of the I8 tensor, when the metadata marks the file as tfkit-quantized; other
 * files are returned as they are. A missing or malformed scale (dtype, shape, non-finite or
 * negative values), a scale without its tensor, or an unknown quantization is a `CheckpointError`
 * naming the file and the tensor.
 */
export function dequantizeSafetensors(parsed: SafetensorsFile, file: string): SafetensorsFile {
  const scales = int8Scales(parsed.tensors, parsed.metadata, file);
  if (!scales) return parsed;
  const out = new Map<string, RawTensor>();
  for (const [name, raw] of parsed.tensors) {
    if (name.endsWith(SCALE_SUFFIX)) continue;
    const scaleName = scales.get(name);
    const scaleRaw = scaleName === undefined ? undefined : parsed.tensors.get(scaleName);
    out.set(name, scaleRaw && raw.dtype === 'I8' ? { dtype: 'F32', shape: raw.shape, data: dequantizeInt8(name, raw.data, raw.shape, scaleRaw, file) } : raw);
  }
  return { tensors: out, metadata: parsed.metadata };
}

/** IEEE half-precision bits of a number, rounded to nearest even (overflow gives ±Infinity). */
export function toHalfBits(value: number): number {
  const f32 = new Float32Array([value]);
  const x = new Uint32Array(f32.buffer)[0] as number;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rem > mid || (rem === mid && half & 1) ? 1 : 0));
  }
  const half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  return sign | (half + (rem > 0x1000 || (rem === 0x1000 && half & 1) ? 1 : 0));
}
