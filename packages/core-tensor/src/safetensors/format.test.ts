import fs from 'node:fs';
import path from 'node:path';
import { fixturePath } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { SafetensorsError } from '../errors.js';
import { parseSafetensors, serializeSafetensors, toFloat32, toInt32, type RawTensor, type RawTensorInput } from './format.js';

/** A file from raw header text and data bytes; `headerLength` overrides the length field. */
function craft(header: string, data: Uint8Array | number = 0, headerLength?: bigint): Uint8Array {
  const text = new TextEncoder().encode(header);
  const bytes = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + text.length + bytes.length);
  new DataView(out.buffer).setBigUint64(0, headerLength ?? BigInt(text.length), true);
  out.set(text, 8);
  out.set(bytes, 8 + text.length);
  return out;
}

const f32 = (name: string, shape: number[], begin: number, end: number) => `${JSON.stringify(name)}:{"dtype":"F32","shape":${JSON.stringify(shape)},"data_offsets":[${begin},${end}]}`;

const modelFiles = fs
  .readdirSync(fixturePath('models'))
  .flatMap((dir) => ['model.safetensors', 'expected.safetensors'].map((f) => path.join(fixturePath('models'), dir, f)))
  .filter((f) => fs.existsSync(f));

describe('parseSafetensors on the Hugging Face fixtures', () => {
  it('finds the fixture files', () => {
    expect(modelFiles.length).toBeGreaterThanOrEqual(14);
  });

  it.each(modelFiles)('%s: reads, and re-serializes to the identical bytes', (file) => {
    const bytes = new Uint8Array(fs.readFileSync(file));
    const parsed = parseSafetensors(bytes, file);
    expect(parsed.metadata).toEqual({ format: 'pt' });
    expect(parsed.tensors.size).toBeGreaterThan(0);
    for (const [name, t] of parsed.tensors) {
      expect(t.dtype, name).toBe('F32');
      expect(t.data.length, name).toBe(t.shape.reduce((a, b) => a * b, 1));
    }
    // Files written by the reference implementation come back byte for byte: same tensor order,
    // same header JSON, same padding.
    const again = serializeSafetensors(parsed.tensors, parsed.metadata);
    expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
  });

  it('reads values at the right offsets (checked against an independent DataView decode)', () => {
    const file = fixturePath('models', 'bert-for-pretraining', 'model.safetensors');
    const bytes = new Uint8Array(fs.readFileSync(file));
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { data_offsets: [number, number] }>;
    const parsed = parseSafetensors(bytes, file);
    const name = 'bert.embeddings.word_embeddings.weight';
    const [begin] = header[name]!.data_offsets;
    const view = new DataView(bytes.buffer, bytes.byteOffset + 8 + n + begin);
    const t = parsed.tensors.get(name)!;
    expect(t.shape).toEqual([1000, 32]);
    for (const i of [0, 1, 31, 32, 12345, 31999]) expect(t.data[i]).toBe(view.getFloat32(i * 4, true));
    // Zero copy: the tensor is a view into the file's buffer.
    expect(t.data.buffer).toBe(bytes.buffer);
  });
});

describe('serializeSafetensors', () => {
  const all: Record<string, RawTensorInput> = {
    f64: { dtype: 'F64', shape: [2], data: new Float64Array([1.5, -2.25]) },
    f32: { dtype: 'F32', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) },
    f16: { dtype: 'F16', shape: [3], data: new Uint16Array([0x3c00, 0xc000, 0x7bff]) },
    bf16: { dtype: 'BF16', shape: [2], data: new Uint16Array([0x3f80, 0xc040]) },
    i64: { dtype: 'I64', shape: [3], data: new BigInt64Array([0n, -5n, 2n ** 40n]) },
    i32: { dtype: 'I32', shape: [1, 3], data: new Int32Array([-1, 0, 7]) },
    i16: { dtype: 'I16', shape: [1], data: new Int16Array([-300]) },
    i8: { dtype: 'I8', shape: [3], data: new Int8Array([-128, 0, 127]) },
    u8: { dtype: 'U8', shape: [1, 1, 2], data: new Uint8Array([0, 255]) },
    bool: { dtype: 'BOOL', shape: [3], data: new Uint8Array([1, 0, 1]) },
    scalar: { dtype: 'F32', shape: [], data: new Float32Array([42]) },
    empty: { dtype: 'F32', shape: [0, 3], data: new Float32Array(0) },
  };

  it('round-trips every dtype with identical bytes, scalars and empty tensors included', () => {
    const bytes = serializeSafetensors(all, { note: 'hello', format: 'pt' });
    const parsed = parseSafetensors(bytes);
    expect(parsed.metadata).toEqual({ note: 'hello', format: 'pt' });
    expect(new Set(parsed.tensors.keys())).toEqual(new Set(Object.keys(all)));
    for (const [name, input] of Object.entries(all)) {
      const t = parsed.tensors.get(name)!;
      expect(t.dtype, name).toBe(input.dtype);
      expect(t.shape, name).toEqual(input.shape);
      expect(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), name).toEqual(new Uint8Array(input.data.buffer, input.data.byteOffset, input.data.byteLength));
      expect(t.data.byteOffset % (t.data as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT, `${name} aligned`).toBe(0);
    }
  });

  it('orders tensors by descending dtype alignment, then by name, and pads the header to 8 bytes', () => {
    const bytes = serializeSafetensors({
      b: { dtype: 'F32', shape: [1], data: new Float32Array([1]) },
      flag: { dtype: 'BOOL', shape: [1], data: new Uint8Array([1]) },
      a: { dtype: 'F32', shape: [1], data: new Float32Array([2]) },
      ids: { dtype: 'I64', shape: [1], data: new BigInt64Array([3n]) },
      half: { dtype: 'F16', shape: [1], data: new Uint16Array([0x3c00]) },
      x: { dtype: 'F64', shape: [1], data: new Float64Array([4]) },
    });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(text).toMatch(/^\{.*\} *$/);
    expect([...parseSafetensors(bytes).tensors.keys()]).toEqual(['ids', 'x', 'a', 'b', 'half', 'flag']);
    expect(text.trimEnd()).toBe(
      '{"ids":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"x":{"dtype":"F64","shape":[1],"data_offsets":[8,16]},' +
        '"a":{"dtype":"F32","shape":[1],"data_offsets":[16,20]},"b":{"dtype":"F32","shape":[1],"data_offsets":[20,24]},' +
        '"half":{"dtype":"F16","shape":[1],"data_offsets":[24,26]},"flag":{"dtype":"BOOL","shape":[1],"data_offsets":[26,27]}}',
    );
  });

  it('writes an empty file as an 8-byte "{}" header, and omits empty metadata', () => {
    const bytes = serializeSafetensors(new Map(), {});
    expect([...bytes]).toEqual([8, 0, 0, 0, 0, 0, 0, 0, ...new TextEncoder().encode('{}      ')]);
    expect(parseSafetensors(bytes)).toEqual({ tensors: new Map(), metadata: {} });
  });

  it('keeps header order on read, even for integer-like names that JavaScript objects would reorder', () => {
    const bytes = craft(`{${f32('b', [1], 0, 4)},${f32('10', [1], 4, 8)},${f32('2', [1], 8, 12)}}`, 12);
    expect([...parseSafetensors(bytes).tensors.keys()]).toEqual(['b', '10', '2']);
  });

  it('copies tensors whose bytes are not aligned, with the same values', () => {
    const aligned = serializeSafetensors(all);
    const shifted = new Uint8Array(aligned.length + 1).subarray(1);
    shifted.set(aligned);
    const a = parseSafetensors(aligned);
    const b = parseSafetensors(shifted);
    for (const [name, t] of a.tensors) {
      const u = b.tensors.get(name)!;
      expect(Array.from(u.data as ArrayLike<unknown>), name).toEqual(Array.from(t.data as ArrayLike<unknown>));
    }
    expect(b.tensors.get('f32')!.data.buffer).not.toBe(shifted.buffer);
    expect(b.tensors.get('u8')!.data.buffer).toBe(shifted.buffer); // bytes never need alignment
  });

  it('rejects what it cannot write, naming the tensor', () => {
    const bad = (t: RawTensorInput, name = 't') => () => serializeSafetensors({ [name]: t });
    expect(bad({ dtype: 'F32', shape: [3], data: new Float32Array(2) })).toThrow(/tensor "t".*needs 12 bytes but "data" holds 8/);
    expect(bad({ dtype: 'Q4' as 'F32', shape: [1], data: new Uint8Array(1) })).toThrow(/unsupported dtype/);
    expect(bad({ dtype: 'F32', shape: [-1], data: new Float32Array(0) })).toThrow(/negative or non-integer/);
    expect(bad({ dtype: 'F32', shape: [1], data: new Float32Array(1) }, '__metadata__')).toThrow(SafetensorsError);
    expect(() => serializeSafetensors({}, { n: 1 as unknown as string })).toThrow(/"__metadata__"."n" must be a string/);
  });
});

describe('toFloat32 / toInt32', () => {
  it('decodes F16, including subnormals, infinities, NaN and signed zero', () => {
    const bits = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x0400, 0x3555, 0x7c00, 0xfc00, 0x8000, 0x7e00];
    const values = toFloat32({ dtype: 'F16', shape: [bits.length], data: new Uint16Array(bits) });
    expect(Array.from(values.subarray(0, 9))).toEqual([1, -2, 65504, 2 ** -24, 2 ** -14, Math.fround(0.333251953125), Infinity, -Infinity, -0]);
    expect(values[9]).toBeNaN();
  });

  it('decodes BF16 as the top half of a float32', () => {
    const values = toFloat32({ dtype: 'BF16', shape: [4], data: new Uint16Array([0x3f80, 0xc040, 0x4049, 0x0000]) });
    expect(Array.from(values)).toEqual([1, -3, Math.fround(3.140625), 0]);
  });

  it('returns F32 data without copying and converts other dtypes', () => {
    const data = new Float32Array([1, 2]);
    expect(toFloat32({ dtype: 'F32', shape: [2], data })).toBe(data);
    expect(Array.from(toFloat32({ dtype: 'I64', shape: [2], data: new BigInt64Array([-7n, 9n]) }))).toEqual([-7, 9]);
    expect(Array.from(toFloat32({ dtype: 'F64', shape: [1], data: new Float64Array([0.1]) }))).toEqual([Math.fround(0.1)]);
  });

  it('converts I64 to int32 when every value fits, and names the tensor when one does not', () => {
    expect(Array.from(toInt32({ dtype: 'I64', shape: [3], data: new BigInt64Array([-(2n ** 31n), 0n, 2n ** 31n - 1n]) }))).toEqual([-(2 ** 31), 0, 2 ** 31 - 1]);
    const big: RawTensor = { dtype: 'I64', shape: [2], data: new BigInt64Array([1n, 2n ** 31n]) };
    expect(() => toInt32(big, { file: 'm.safetensors', tensor: 'ids' })).toThrow(/m\.safetensors \(tensor "ids"\): I64 element 1 is 2147483648, outside the int32 range/);
    expect(() => toInt32({ dtype: 'F32', shape: [1], data: new Float32Array(1) })).toThrow(/F32 is not an integer dtype/);
    expect(Array.from(toInt32({ dtype: 'U8', shape: [2], data: new Uint8Array([200, 1]) }))).toEqual([200, 1]);
  });
});

describe('parseSafetensors rejects malformed files', () => {
  const ok = f32('w', [2], 0, 8);
  // [case, bytes, expected tensor in the error (undefined: file-level), message pattern]
  const cases: [string, Uint8Array, string | undefined, RegExp][] = [
    ['an empty file', new Uint8Array(0), undefined, /0 bytes; a safetensors file starts with an 8-byte header length/],
    ['a file shorter than the length field', new Uint8Array(5), undefined, /5 bytes/],
    ['a header length beyond the file', craft(`{${ok}}`, 8, 1000n), undefined, /header length 1000 runs past the end of the file/],
    ['an absurd header length', craft(`{${ok}}`, 8, 2n ** 63n), undefined, /runs past the end of the file/],
    ['a header that is not UTF-8', craft('{"\xff"}').map((b, i) => (i === 10 ? 0xff : b)), undefined, /not valid UTF-8/],
    ['a header that is not JSON', craft(`{${ok}`, 8), undefined, /not valid JSON/],
    ['a header that is a JSON array', craft('[1, 2]'), undefined, /must be a JSON object, got an array/],
    ['a header that is JSON null', craft('null'), undefined, /must be a JSON object, got null/],
    ['a tensor entry that is not an object', craft('{"w": 5}'), 'w', /expected \{ dtype, shape, data_offsets \}, got number 5/],
    ['a missing dtype', craft('{"w":{"shape":[1],"data_offsets":[0,4]}}', 4), 'w', /"dtype" is missing/],
    ['an unknown dtype', craft('{"w":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}', 1), 'w', /unsupported dtype the string "F8_E4M3"/],
    ['an unknown field', craft('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"strides":[1]}}', 4), 'w', /unknown field "strides"/],
    ['a missing shape', craft('{"w":{"dtype":"F32","data_offsets":[0,4]}}', 4), 'w', /"shape" is missing/],
    ['a shape that is not an array', craft('{"w":{"dtype":"F32","shape":4,"data_offsets":[0,16]}}', 16), 'w', /"shape" must be an array/],
    ['a negative dimension', craft(`{${f32('w', [-1, 2], 0, 8)}}`, 8), 'w', /negative or non-integer dimension -1/],
    ['a fractional dimension', craft(`{${f32('w', [1.5], 0, 6)}}`, 6), 'w', /negative or non-integer dimension 1.5/],
    ['a shape too large to address', craft(`{${f32('w', [2 ** 30, 2 ** 30, 2 ** 30], 0, 8)}}`, 8), 'w', /more elements than can be addressed/],
    ['data_offsets of the wrong length', craft('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}}', 4), 'w', /"data_offsets" must be \[begin, end\]/],
    ['negative data_offsets', craft('{"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}', 4), 'w', /"data_offsets" must be \[begin, end\]/],
    ['data_offsets that end before they begin', craft(`{${f32('w', [0], 8, 4)}}`, 8), 'w', /end before they begin/],
    ['data_offsets past the end of the data (truncated file)', craft(`{${f32('w', [4], 0, 16)}}`, 12), 'w', /run past the end of the data \(12 bytes\)/],
    ['a shape × dtype size that differs from the byte length', craft(`{${f32('w', [3], 0, 8)}}`, 8), 'w', /\[3\] × F32 needs 12 bytes but "data_offsets" \[0, 8\] hold 8/],
    ['overlapping tensors', craft(`{${f32('a', [2], 0, 8)},${f32('b', [2], 4, 12)}}`, 12), 'b', /overlap tensor "a"/],
    ['a hole between tensors', craft(`{${f32('a', [1], 0, 4)},${f32('b', [1], 8, 12)}}`, 12), 'b', /bytes \[4, 8\] belong to no tensor \(a hole after tensor "a"\)/],
    ['data that do not start at offset 0', craft(`{${f32('a', [1], 4, 8)}}`, 8), 'a', /tensors must start at offset 0/],
    ['trailing bytes after the last tensor', craft(`{${ok}}`, 12), undefined, /data section is 12 bytes but the tensors cover only 8/],
    ['bytes with an empty header', craft('{}', 4), undefined, /trailing bytes after an empty header/],
    ['a tensor named twice (JSON.parse would keep the last)', craft(`{${f32('w', [1], 0, 4)},${f32('w', [1], 0, 4)}}`, 4), 'w', /names tensor "w" twice/],
    ['a field repeated inside an entry', craft('{"w":{"dtype":"F32","shape":[9],"shape":[1],"data_offsets":[0,4]}}', 4), 'w', /repeats the field "shape"/],
    ['a tensor named __proto__', craft(`{${f32('__proto__', [1], 0, 4)}}`, 4), '__proto__', /tensor name "__proto__" is not allowed/],
    ['a tensor named constructor', craft(`{${f32('constructor', [1], 0, 4)}}`, 4), 'constructor', /tensor name "constructor" is not allowed/],
    ['metadata that is not an object', craft('{"__metadata__":["pt"]}'), undefined, /"__metadata__" must be an object of strings, got an array/],
    ['a metadata value that is not a string', craft('{"__metadata__":{"format":"pt","step":3}}'), undefined, /"__metadata__"."step" must be a string, got number 3/],
    ['a metadata key __proto__', craft('{"__metadata__":{"__proto__":"x"}}'), undefined, /"__metadata__" key "__proto__" is not allowed/],
    ['a BOOL value other than 0 or 1', craft('{"m":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}}', new Uint8Array([1, 0, 2])), 'm', /BOOL element 2 is 2/],
  ];

  it.each(cases)('%s', (_label, bytes, tensor, message) => {
    let error: unknown;
    try {
      parseSafetensors(bytes, 'bad.safetensors');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SafetensorsError);
    const e = error as SafetensorsError;
    expect(e.code).toBe('ERR_SAFETENSORS');
    expect(e.file).toBe('bad.safetensors');
    expect(e.tensor).toBe(tensor);
    expect(e.message).toMatch(/^bad\.safetensors/);
    expect(e.message).toMatch(message);
  });

  it('accepts the same layouts when they are well formed (the cases above fail for their stated reason only)', () => {
    expect(parseSafetensors(craft(`{${ok}}`, 8)).tensors.get('w')?.shape).toEqual([2]);
    expect(parseSafetensors(craft(`{${f32('b', [1], 4, 8)},${f32('a', [1], 0, 4)}}`, 8)).tensors.size).toBe(2);
    expect(parseSafetensors(craft('{"m":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}}', new Uint8Array([1, 0, 1]))).tensors.size).toBe(1);
    expect(parseSafetensors(craft('{"__metadata__":{"format":"pt"}}')).metadata).toEqual({ format: 'pt' });
  });
});
