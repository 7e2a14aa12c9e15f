/**
 * The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian
 * header length, a JSON header `{ "__metadata__": {…}, name: { dtype, shape, data_offsets } }`
 * padded with spaces to a multiple of 8 bytes, then the tensors' bytes back to back.
 *
 * This file needs no TensorFlow.js. The parser is strict: a header that lies about offsets,
 * shapes or dtypes is an error naming the file and the tensor, never a silently wrong tensor.
 */
import { SafetensorsError } from '../errors.js';
import { describeValue, parseJsonText } from '../io/json.js';

/** The dtypes tfkit reads and writes. */
export const SAFETENSORS_DTYPES = ['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL'] as const;
export type SafetensorsDtype = (typeof SAFETENSORS_DTYPES)[number];

/** The typed array each dtype is read into. F16 and BF16 keep their raw bits: decode with `toFloat32`. */
export interface SafetensorsArrays {
  F64: Float64Array;
  F32: Float32Array;
  F16: Uint16Array;
  BF16: Uint16Array;
  I64: BigInt64Array;
  I32: Int32Array;
  I16: Int16Array;
  I8: Int8Array;
  U8: Uint8Array;
  BOOL: Uint8Array;
}

/** A tensor as stored: a dtype, a shape, and its elements (row-major). */
export type RawTensor = { [D in SafetensorsDtype]: { dtype: D; shape: number[]; data: SafetensorsArrays[D] } }[SafetensorsDtype];

/** What `serializeSafetensors` takes: any typed array (or plain bytes) of the right byte length. */
export interface RawTensorInput {
  dtype: SafetensorsDtype;
  shape: readonly number[];
  data: ArrayBufferView;
}

export interface SafetensorsFile {
  /** Tensors in header order. Their data may be views into the parsed bytes: don't modify those. */
  tensors: Map<string, RawTensor>;
  /** The header's `__metadata__` (string values only), `{}` when absent. */
  metadata: Record<string, string>;
}

type ArrayConstructorOf = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => ArrayBufferView;

/** Bytes per element, and the position in the reference's dtype enum, which orders tensors on write. */
const DTYPE_INFO: Record<SafetensorsDtype, { bytes: number; order: number; array: ArrayConstructorOf }> = {
  BOOL: { bytes: 1, order: 0, array: Uint8Array },
  U8: { bytes: 1, order: 1, array: Uint8Array },
  I8: { bytes: 1, order: 2, array: Int8Array },
  I16: { bytes: 2, order: 5, array: Int16Array },
  F16: { bytes: 2, order: 7, array: Uint16Array },
  BF16: { bytes: 2, order: 8, array: Uint16Array },
  I32: { bytes: 4, order: 9, array: Int32Array },
  F32: { bytes: 4, order: 11, array: Float32Array },
  F64: { bytes: 8, order: 12, array: Float64Array },
  I64: { bytes: 8, order: 13, array: BigInt64Array },
};

/** Headers above this size are refused, as the reference implementation does. */
const MAX_HEADER_BYTES = 100_000_000;
/** Names that would collide with JavaScript object internals if someone indexed a plain object by them. */
const FORBIDDEN_NAMES = new Set(['__proto__', 'constructor', 'prototype']);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function isDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === 'string' && Object.hasOwn(DTYPE_INFO, value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const describe = describeValue;

/** A shape for a message: its dimensions when it is a short list of integers, else its length. */
function shapeText(shape: readonly unknown[]): string {
  return shape.length <= 16 && shape.every((d) => Number.isSafeInteger(d)) ? `[${shape.join(', ')}]` : `(${shape.length} dimensions)`;
}

/** Number of elements of `shape`, or an error message. */
function elementCount(shape: unknown): number | string {
  if (!Array.isArray(shape)) return `"shape" must be an array of non-negative integers, got ${describe(shape)}`;
  let count = 1;
  for (const dim of shape) {
    if (!Number.isSafeInteger(dim) || (dim as number) < 0) return `"shape" ${shapeText(shape)} has a negative or non-integer dimension ${typeof dim === 'number' ? dim : describe(dim)}`;
    count *= dim as number;
  }
  if (!Number.isSafeInteger(count)) return `"shape" ${shapeText(shape)} has more elements than can be addressed`;
  return count;
}

function swapBytes(bytes: Uint8Array, width: number): void {
  if (width === 1) return;
  for (let i = 0; i < bytes.length; i += width) bytes.subarray(i, i + width).reverse();
}

/**
 * Source-order top-level keys of a JSON object text, with an error for a key repeated in any
 * object (`JSON.parse` silently keeps the last one, which would hide a lying header).
 * `text` is known to be valid JSON.
 */
function keysInOrder(text: string, file: string): string[] {
  const stack: (Set<string> | null)[] = []; // one entry per open object (a key set) or array (null)
  const top: string[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{') stack.push(new Set());
    else if (c === '[') stack.push(null);
    else if (c === '}' || c === ']') stack.pop();
    else if (c === '"') {
      const start = i;
      for (i++; text[i] !== '"'; i++) if (text[i] === '\\') i++;
      let j = i + 1;
      while (text[j] === ' ' || text[j] === '\n' || text[j] === '\r' || text[j] === '\t') j++;
      const keys = stack[stack.length - 1];
      if (text[j] !== ':' || !keys) continue;
      const raw = text.slice(start, i + 1);
      const key = raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
      if (keys.has(key)) {
        if (stack.length === 1) throw new SafetensorsError(`the header names tensor "${key}" twice`, { file, tensor: key });
        throw new SafetensorsError(`the header repeats the field "${key}"`, { file, tensor: top[top.length - 1] });
      }
      keys.add(key);
      if (stack.length === 1) top.push(key);
    }
  }
  return top;
}

function parseMetadata(value: unknown, file: string): Record<string, string> {
  if (!isRecord(value)) throw new SafetensorsError(`"__metadata__" must be an object of strings, got ${describe(value)}`, { file });
  const metadata: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (FORBIDDEN_NAMES.has(key)) throw new SafetensorsError(`"__metadata__" key "${key}" is not allowed`, { file });
    if (typeof v !== 'string') throw new SafetensorsError(`"__metadata__"."${key}" must be a string, got ${describe(v)}`, { file });
    metadata[key] = v;
  }
  return metadata;
}

/** One tensor's header entry, checked. */
export interface SafetensorsEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  count: number;
  begin: number;
  end: number;
}

function parseEntry(name: string, info: unknown, dataLength: number, file: string): SafetensorsEntry {
  const fail = (message: string) => new SafetensorsError(message, { file, tensor: name });
  if (FORBIDDEN_NAMES.has(name)) throw fail(`the tensor name "${name}" is not allowed`);
  if (!isRecord(info)) throw fail(`expected { dtype, shape, data_offsets }, got ${describe(info)}`);
  for (const key of Object.keys(info)) {
    if (key !== 'dtype' && key !== 'shape' && key !== 'data_offsets') throw fail(`unknown field "${key}" (expected dtype, shape, data_offsets)`);
  }
  const { dtype, shape, data_offsets: offsets } = info;
  if (dtype === undefined) throw fail('"dtype" is missing');
  if (!isDtype(dtype)) throw fail(`unsupported dtype ${describe(dtype)}; tfkit reads ${SAFETENSORS_DTYPES.join(', ')}`);
  if (shape === undefined) throw fail('"shape" is missing');
  const count = elementCount(shape);
  if (typeof count === 'string') throw fail(count);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    throw fail(`"data_offsets" must be [begin, end] with non-negative integers, got ${Array.isArray(offsets) && offsets.length <= 2 && offsets.every((o) => typeof o === 'number') ? `[${offsets.join(', ')}]` : describe(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) throw fail(`"data_offsets" [${begin}, ${end}] end before they begin`);
  if (end > dataLength) throw fail(`"data_offsets" [${begin}, ${end}] run past the end of the data (${dataLength} bytes): the file is truncated or the header is wrong`);
  const bytes = count * DTYPE_INFO[dtype].bytes;
  if (end - begin !== bytes) {
    throw fail(`shape ${shapeText(shape as number[])} × ${dtype} needs ${bytes} bytes but "data_offsets" [${begin}, ${end}] hold ${end - begin}`);
  }
  return { name, dtype, shape: shape as number[], count, begin, end };
}

/** Tensors must tile the data section exactly: from byte 0, no overlaps, no holes, no trailing bytes. */
function checkTiling(entries: SafetensorsEntry[], dataLength: number, file: string): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let position = 0;
  let previous: SafetensorsEntry | undefined;
  for (const entry of sorted) {
    if (entry.begin < position) {
      throw new SafetensorsError(`bytes [${entry.begin}, ${entry.end}] overlap tensor "${previous?.name}" [${previous?.begin}, ${previous?.end}]`, { file, tensor: entry.name });
    }
    if (entry.begin > position) {
      const where = previous ? `after tensor "${previous.name}"` : 'at the start of the data: tensors must start at offset 0';
      throw new SafetensorsError(`bytes [${position}, ${entry.begin}] belong to no tensor (a hole ${where})`, { file, tensor: entry.name });
    }
    position = entry.end;
    previous = entry;
  }
  if (position !== dataLength) {
    throw new SafetensorsError(`the data section is ${dataLength} bytes but the tensors cover only ${position}: trailing bytes after ${previous ? `tensor "${previous.name}"` : 'an empty header'}`, { file });
  }
}

/** A typed-array view on `bytes` when aligned (zero copy), otherwise an aligned copy. */
function viewOf(dtype: SafetensorsDtype, bytes: Uint8Array, begin: number, count: number): ArrayBufferView {
  const { bytes: width, array } = DTYPE_INFO[dtype];
  if (LITTLE_ENDIAN && (bytes.byteOffset + begin) % width === 0) return new array(bytes.buffer, bytes.byteOffset + begin, count);
  const copy = bytes.slice(begin, begin + count * width);
  if (!LITTLE_ENDIAN) swapBytes(copy, width);
  return new array(copy.buffer, 0, count);
}

/**
 * The header length from a file's first 8 bytes, checked against the file's size. `first8` may be
 * longer; `fileSize` is the whole file's. A `SafetensorsError` naming `file` when it cannot hold
 * such a header.
 */
export function safetensorsHeaderLength(first8: Uint8Array, fileSize: number, file = '<buffer>'): number {
  if (fileSize < 8 || first8.byteLength < 8) {
    throw new SafetensorsError(`the file is ${fileSize} bytes; a safetensors file starts with an 8-byte header length (truncated, or not safetensors)`, { file });
  }
  const headerLength = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(fileSize - 8)) {
    throw new SafetensorsError(`the header length ${headerLength} runs past the end of the file (${fileSize} bytes): truncated, or not safetensors`, { file });
  }
  if (headerLength > BigInt(MAX_HEADER_BYTES)) throw new SafetensorsError(`the header is ${headerLength} bytes, over the ${MAX_HEADER_BYTES}-byte limit`, { file });
  return Number(headerLength);
}

/**
 * Checks a header (the bytes after the length field) against the size of the data section that
 * follows it: every entry well-formed, the tensors tiling the data exactly. Needs no tensor data,
 * so a download can be verified from its first bytes and its size.
 */
export function checkSafetensorsHeader(headerBytes: Uint8Array, dataLength: number, file = '<buffer>'): { entries: SafetensorsEntry[]; metadata: Record<string, string> } {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw new SafetensorsError('the header is not valid UTF-8', { file });
  }
  const header = parseJsonText(text, (where) => new SafetensorsError(`the header is not valid JSON (${where} of the header)`, { file }));
  if (!isRecord(header)) throw new SafetensorsError(`the header must be a JSON object, got ${describe(header)}`, { file });
  let metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const name of keysInOrder(text, file)) {
    if (name === '__metadata__') metadata = parseMetadata(header[name], file);
    else entries.push(parseEntry(name, header[name], dataLength, file));
  }
  checkTiling(entries, dataLength, file);
  return { entries, metadata };
}

/**
 * Parses a whole safetensors file. `file` names it in errors. Tensor data are views into `bytes`
 * wherever alignment allows (copies otherwise), in header order.
 */
export function parseSafetensors(bytes: Uint8Array, file = '<buffer>'): SafetensorsFile {
  const headerLength = safetensorsHeaderLength(bytes, bytes.byteLength, file);
  const dataStart = 8 + headerLength;
  const data = bytes.subarray(dataStart);
  const { entries, metadata } = checkSafetensorsHeader(bytes.subarray(8, dataStart), data.byteLength, file);
  const tensors = new Map<string, RawTensor>();
  for (const entry of entries) tensors.set(entry.name, rawTensorOf(entry, data, entry.begin, file));
  return { tensors, metadata };
}

/**
 * One checked entry's tensor from the bytes holding it at `begin` (the whole data section, or a
 * buffer of just this tensor's bytes with `begin` 0): a view when aligned, an aligned copy
 * otherwise. BOOL values other than 0 and 1 are a `SafetensorsError` naming `file` and the tensor.
 */
export function rawTensorOf({ name, dtype, shape, count }: SafetensorsEntry, bytes: Uint8Array, begin: number, file: string): RawTensor {
  const view = viewOf(dtype, bytes, begin, count);
  if (dtype === 'BOOL') {
    const bad = (view as Uint8Array).findIndex((v) => v > 1);
    if (bad >= 0) throw new SafetensorsError(`BOOL element ${bad} is ${(view as Uint8Array)[bad]}; booleans must be 0 or 1`, { file, tensor: name });
  }
  return { dtype, shape, data: view } as RawTensor;
}

/** Orders strings by Unicode code point, as the reference implementation (Rust `str` order) does. */
function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.codePointAt(i) as number;
    const y = b.codePointAt(i) as number;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/**
 * Writes a safetensors file as the reference implementation does: tensors ordered by descending
 * dtype alignment then by name, the header padded with spaces to a multiple of 8 bytes (so every
 * tensor is aligned for zero-copy reading), `__metadata__` first when non-empty.
 */
export function serializeSafetensors(
  tensors: ReadonlyMap<string, RawTensorInput> | Readonly<Record<string, RawTensorInput>>,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  const file = '<serializeSafetensors>';
  const items: [string, RawTensorInput][] = tensors instanceof Map ? [...(tensors as ReadonlyMap<string, RawTensorInput>)] : Object.entries(tensors);
  for (const [name, t] of items) {
    const fail = (message: string) => new SafetensorsError(message, { file, tensor: name });
    if (name === '__metadata__' || FORBIDDEN_NAMES.has(name)) throw fail(`"${name}" cannot be used as a tensor name`);
    if (!isDtype(t.dtype)) throw fail(`unsupported dtype ${describe(t.dtype)}; tfkit writes ${SAFETENSORS_DTYPES.join(', ')}`);
    const count = elementCount(t.shape);
    if (typeof count === 'string') throw fail(count);
    if (!ArrayBuffer.isView(t.data)) throw fail('"data" must be a typed array or Uint8Array');
    const bytes = count * DTYPE_INFO[t.dtype].bytes;
    if (t.data.byteLength !== bytes) throw fail(`shape [${t.shape.join(', ')}] × ${t.dtype} needs ${bytes} bytes but "data" holds ${t.data.byteLength}`);
  }
  items.sort(([a, x], [b, y]) => DTYPE_INFO[y.dtype].order - DTYPE_INFO[x.dtype].order || compareCodePoints(a, b));

  const parts: string[] = [];
  if (metadata && Object.keys(metadata).length > 0) {
    parseMetadata(metadata, file);
    parts.push(`"__metadata__":${JSON.stringify(metadata)}`);
  }
  let offset = 0;
  for (const [name, t] of items) {
    const end = offset + t.data.byteLength;
    parts.push(`${JSON.stringify(name)}:{"dtype":"${t.dtype}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${end}]}`);
    offset = end;
  }
  const header = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLength = Math.ceil(header.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(header, 8);
  out.fill(0x20, 8 + header.length, 8 + headerLength);
  let position = 8 + headerLength;
  for (const [, t] of items) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), position);
    if (!LITTLE_ENDIAN) swapBytes(out.subarray(position, position + t.data.byteLength), DTYPE_INFO[t.dtype].bytes);
    position += t.data.byteLength;
  }
  return out;
}

let f16Table: Float32Array | undefined;

/** All 65536 half-precision values, built once on first use (256 KiB). */
function halfTable(): Float32Array {
  if (f16Table) return f16Table;
  f16Table = new Float32Array(65536);
  for (let bits = 0; bits < 65536; bits++) {
    const sign = bits & 0x8000 ? -1 : 1;
    const exponent = (bits >> 10) & 0x1f;
    const mantissa = bits & 0x3ff;
    let value: number;
    if (exponent === 0) value = mantissa * 2 ** -24; // subnormal
    else if (exponent === 31) value = mantissa ? NaN : Infinity;
    else value = (1 + mantissa / 1024) * 2 ** (exponent - 15);
    f16Table[bits] = sign * value;
  }
  return f16Table;
}

/**
 * The tensor's values as float32: F32 as is (no copy), F16 and BF16 decoded, other dtypes
 * converted (F64 and large I64 values round to the nearest float32).
 */
export function toFloat32(raw: RawTensor): Float32Array {
  switch (raw.dtype) {
    case 'F32':
      return raw.data;
    case 'F16': {
      const table = halfTable();
      const out = new Float32Array(raw.data.length);
      for (let i = 0; i < out.length; i++) out[i] = table[raw.data[i] as number] as number;
      return out;
    }
    case 'BF16': {
      // bfloat16 is the top half of a float32.
      const bits = new Uint32Array(raw.data.length);
      for (let i = 0; i < bits.length; i++) bits[i] = (raw.data[i] as number) << 16;
      return new Float32Array(bits.buffer);
    }
    case 'I64':
      return Float32Array.from(raw.data, (v) => Number(v));
    default:
      return Float32Array.from(raw.data);
  }
}

/**
 * The tensor's values as int32, for integer and BOOL dtypes: I32 as is (no copy), I64 checked to
 * fit (a `SafetensorsError` naming `where` otherwise). Float dtypes are an error.
 */
export function toInt32(raw: RawTensor, where: { file: string; tensor?: string } = { file: '<buffer>' }): Int32Array {
  switch (raw.dtype) {
    case 'I32':
      return raw.data;
    case 'I64': {
      const out = new Int32Array(raw.data.length);
      for (let i = 0; i < out.length; i++) {
        const v = raw.data[i] as bigint;
        if (v < -2147483648n || v > 2147483647n) {
          throw new SafetensorsError(`I64 element ${i} is ${v}, outside the int32 range TensorFlow.js supports`, where);
        }
        out[i] = Number(v);
      }
      return out;
    }
    case 'I16':
    case 'I8':
    case 'U8':
    case 'BOOL':
      return Int32Array.from(raw.data);
    default:
      throw new SafetensorsError(`${raw.dtype} is not an integer dtype`, where);
  }
}
