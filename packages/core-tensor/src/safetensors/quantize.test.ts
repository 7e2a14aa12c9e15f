import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeaks, tempFolders } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { CheckpointError } from '../errors.js';
import { loadCheckpoint, saveCheckpoint } from '../io/checkpoint.js';
import { Random } from '../random.js';
import { parseSafetensors, serializeSafetensors, toFloat32, type RawTensorInput } from './format.js';
import { INT8_PER_CHANNEL, int8SquaredError, quantizeInt8, quantizeInt8Auto, toHalfBits } from './quantize.js';
import { safetensorsToTensors, tensorsToSafetensors } from './tensors.js';

const tempDir = tempFolders('int8');

/** A matrix whose rows (and columns) span several magnitudes, with an outlier per row. */
function matrix(rows: number, cols: number, seed: number): Float32Array {
  const random = new Random(seed);
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const magnitude = 10 ** (r % 5 - 3);
    for (let c = 0; c < cols; c++) out[r * cols + c] = (random.uniform() * 2 - 1) * magnitude * (c === (r * 7) % cols ? 8 : 1);
  }
  return out;
}

describe('quantizeInt8', () => {
  it('quantizes a hand-checked matrix per row: scale = max|w| / 127, round to nearest, ties away from zero', () => {
    // Row 0: max 127/64 so scale 1/64 exactly; 0.1 × 64 = 6.4 → 6; ±1/128 is a tie (±0.5) → ±1.
    // Row 1: all zeros → scale 0, q 0. Row 2: max 2.54 → scale ≈ 0.02; 0.015 / 0.02 = 0.75 → 1.
    const w = new Float32Array([127 / 64, -0.5, 0.1, 1 / 128, -1 / 128, 0, 0, 0, 0, 0, -2.54, 0.015, 1, 0, 0]);
    const { q, scale, scaleShape } = quantizeInt8(w, [3, 5], 0);
    expect(scaleShape).toEqual([3, 1]);
    expect([...scale]).toEqual([1 / 64, 0, Math.fround(2.54 / 127)]);
    expect([...q]).toEqual([127, -32, 6, 1, -1, 0, 0, 0, 0, 0, -127, 1, 50, 0, 0]);
    // Dequantized: 0.09375 for 0.1 (error 0.00625 ≤ 1/128), ±1/64 for ±1/128 (error exactly scale / 2).
    expect((q[2] as number) * (scale[0] as number)).toBe(0.09375);
    expect(Math.abs((w[3] as number) - (q[3] as number) * (scale[0] as number))).toBe((scale[0] as number) / 2);
  });

  it('quantizes per column with axis 1', () => {
    const w = new Float32Array([127 / 64, 1, -0.5, -2]); // [[127/64, 1], [-0.5, -2]]
    const { q, scale, scaleShape } = quantizeInt8(w, [2, 2], 1);
    expect(scaleShape).toEqual([1, 2]);
    expect([...scale]).toEqual([1 / 64, Math.fround(2 / 127)]);
    expect([...q]).toEqual([127, Math.round(1 / Math.fround(2 / 127)), -32, -127]);
  });

  it.each([0, 1] as const)('keeps every element within scale / 2 of its channel (axis %i), exactly', (axis) => {
    const [rows, cols] = [40, 56];
    const w = matrix(rows, cols, 7 + axis);
    const { q, scale } = quantizeInt8(w, [rows, cols], axis);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const s = scale[axis === 0 ? r : c] as number;
        const i = r * cols + c;
        // float64 arithmetic on float32 operands: q × s and the difference are exact here.
        expect(Math.abs((w[i] as number) - (q[i] as number) * s), `[${r}, ${c}]`).toBeLessThanOrEqual(s / 2);
      }
    }
    // Every channel uses the full range: its largest magnitude maps to ±127.
    for (let k = 0; k < (axis === 0 ? rows : cols); k++) {
      let peak = 0;
      for (let j = 0; j < (axis === 0 ? cols : rows); j++) peak = Math.max(peak, Math.abs(q[axis === 0 ? k * cols + j : j * cols + k] as number));
      expect(peak, `channel ${k}`).toBe(127);
    }
  });

  it('refuses non-finite values and non-matrices with a CheckpointError naming the tensor', () => {
    expect(() => quantizeInt8(new Float32Array([1, NaN]), [1, 2], 0, 'h.0.w')).toThrow(/"h\.0\.w": element \[0, 1\] is NaN/);
    expect(() => quantizeInt8(new Float32Array(8), [2, 2, 2], 0, 'x')).toThrow(CheckpointError);
  });
});

describe('toHalfBits', () => {
  it('rounds to the nearest half, with subnormals, overflow, signs and ties to even', () => {
    expect(toHalfBits(1)).toBe(0x3c00);
    expect(toHalfBits(-2)).toBe(0xc000);
    expect(toHalfBits(65504)).toBe(0x7bff);
    expect(toHalfBits(1e6)).toBe(0x7c00);
    expect(toHalfBits(2 ** -24)).toBe(0x0001);
    expect(toHalfBits(0.1)).toBe(0x2e66);
    expect(toHalfBits(-0)).toBe(0x8000);
    expect(toHalfBits(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(toHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(toHalfBits(Number.NaN) & 0x7c00).toBe(0x7c00);
  });
});

describe('int8 safetensors (tensorsToSafetensors dtype int8 / safetensorsToTensors)', () => {
  it('stores 2-D weights as I8 + a per-row F32 scale, the rest as float32, marks the metadata, and loads float32 back', async () => {
    await expectNoLeaks(async () => {
      const w = tf.tensor2d(matrix(48, 32, 3), [48, 32]);
      const small = tf.tensor2d([[0.25, -0.75]]);
      const bias = tf.tensor1d(matrix(1, 32, 4));
      const ids = tf.tensor1d([0, 1], 'int32');
      const bytes = await tensorsToSafetensors(new Map<string, tf.Tensor>([['w', w], ['small', small], ['bias', bias], ['ids', ids]]), { format: 'pt' }, { dtype: 'int8' });
      const parsed = parseSafetensors(bytes, 'q.safetensors');
      expect(parsed.metadata).toEqual({ format: 'pt', tfkit_quantization: INT8_PER_CHANNEL });
      expect(Object.fromEntries([...parsed.tensors].map(([n, t]) => [n, [t.dtype, t.shape]]))).toEqual({
        w: ['I8', [48, 32]], 'w.__scale': ['F32', [48, 1]], small: ['F32', [1, 2]], bias: ['F32', [32]], ids: ['I32', [2]],
      });
      const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
      expect(bytes.length - 8 - headerLength).toBe(48 * 32 + 48 * 4 + 2 * 4 + 32 * 4 + 2 * 4);

      const { tensors, metadata } = safetensorsToTensors(bytes, 'q.safetensors');
      expect(metadata['tfkit_quantization']).toBe(INT8_PER_CHANNEL);
      expect([...tensors.keys()].sort()).toEqual(['bias', 'ids', 'small', 'w']);
      const loaded = tensors.get('w')!;
      expect(loaded.dtype).toBe('float32');
      const q = parsed.tensors.get('w')!.data as Int8Array;
      const scale = toFloat32(parsed.tensors.get('w.__scale')!);
      const got = loaded.dataSync();
      const orig = w.dataSync();
      for (let i = 0; i < got.length; i++) {
        const s = scale[Math.floor(i / 32)] as number;
        expect(got[i]).toBe(Math.fround((q[i] as number) * s));
        expect(Math.abs((got[i] as number) - (orig[i] as number))).toBeLessThanOrEqual(s / 2 + Math.abs(orig[i] as number) * 2 ** -23);
      }
      expect(tensors.get('bias')!.dataSync()).toEqual(bias.dataSync());
      expect(tensors.get('small')!.dataSync()).toEqual(small.dataSync());
      tensors.forEach((t) => t.dispose());
      tf.dispose([w, small, bias, ids]);
    });
  });

  it('uses the per-column axis the caller picks, and stores float16 with dtype float16', async () => {
    await expectNoLeaks(async () => {
      const w = tf.tensor2d(matrix(32, 40, 5), [32, 40]);
      const bytes = await tensorsToSafetensors({ 'c_fc.weight': w }, undefined, { dtype: 'int8', int8Axis: () => 1 });
      expect(parseSafetensors(bytes).tensors.get('c_fc.weight.__scale')!.shape).toEqual([1, 40]);
      const { tensors } = safetensorsToTensors(bytes);
      const scale = toFloat32(parseSafetensors(bytes).tensors.get('c_fc.weight.__scale')!);
      const got = tensors.get('c_fc.weight')!.dataSync();
      const orig = w.dataSync();
      for (let i = 0; i < got.length; i++) expect(Math.abs((got[i] as number) - (orig[i] as number))).toBeLessThanOrEqual((scale[i % 40] as number) * (0.5 + 2 ** -20));
      tensors.forEach((t) => t.dispose());

      const half = parseSafetensors(await tensorsToSafetensors({ w }, { tfkit_quantization: INT8_PER_CHANNEL, format: 'pt' }, { dtype: 'float16' }));
      expect(half.metadata).toEqual({ format: 'pt' }); // a float16 save never carries the int8 marker over
      expect(half.tensors.get('w')!.dtype).toBe('F16');
      expect([...toFloat32(half.tensors.get('w')!)]).toEqual([...orig].map((v) => toFloat32({ dtype: 'F16', shape: [1], data: new Uint16Array([toHalfBits(v)]) })[0]));
      w.dispose();
    });
  });

  it('refuses a tensor named like a scale', async () => {
    const t = tf.zeros([2, 2]);
    await expect(tensorsToSafetensors({ 'a.__scale': t }, undefined, { dtype: 'int8' })).rejects.toThrow(/"a\.__scale".*int8 scales/);
    t.dispose();
  });
});

describe('hostile int8 files', () => {
  const marked = { format: 'pt', tfkit_quantization: INT8_PER_CHANNEL };
  const q: RawTensorInput = { dtype: 'I8', shape: [3, 4], data: new Int8Array(12).fill(5) };
  const scale = (shape: number[], data: ArrayBufferView = new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5), dtype: RawTensorInput['dtype'] = 'F32'): RawTensorInput => ({ dtype, shape, data });
  const cases: [string, Record<string, RawTensorInput>, RegExp, Record<string, string>?][] = [
    ['a scale of the wrong length', { w: q, 'w.__scale': scale([4, 1]) }, /\(tensor "w\.__scale"\): shape \[4, 1\] does not fit "w" \[3, 4\]: expected \[3, 1\] \(per row\) or \[1, 4\]/],
    ['a 1-D scale', { w: q, 'w.__scale': scale([3]) }, /tensor "w\.__scale".*does not fit "w"/],
    ['a missing scale', { w: q }, /\(tensor "w"\): is I8 in a file quantized as int8-per-channel but has no scale tensor "w\.__scale"/],
    ['an integer scale', { w: q, 'w.__scale': scale([3, 1], new Int32Array(3), 'I32') }, /tensor "w\.__scale".*scales must be F32, F16 or BF16, got I32/],
    ['a NaN scale', { w: q, 'w.__scale': scale([3, 1], new Float32Array([0.5, NaN, 0.5])) }, /tensor "w\.__scale".*scale 1 is NaN/],
    ['a negative scale', { w: q, 'w.__scale': scale([3, 1], new Float32Array([0.5, -1, 0.5])) }, /scale 1 is -1; scales must be finite and non-negative/],
    ['a scale without its tensor', { w: q, 'w.__scale': scale([3, 1]), 'v.__scale': scale([3, 1]) }, /tensor "v\.__scale".*a scale for "v", which the file does not hold/],
    ['a scale on a float tensor', { w: { dtype: 'F32', shape: [3, 4], data: new Float32Array(12) }, 'w.__scale': scale([3, 1]) }, /tensor "w".*is F32; quantized tensors are I8/],
    ['a 3-D quantized tensor', { w: { dtype: 'I8', shape: [3, 2, 2], data: new Int8Array(12) }, 'w.__scale': scale([3, 1, 1]) }, /tensor "w\.__scale".*2-D tensor/],
    ['an unknown scheme', { w: q, 'w.__scale': scale([3, 1]) }, /quantized as "int4-awq", which tfkit cannot read/, { tfkit_quantization: 'int4-awq' }],
  ];
  it.each(cases)('%s is a CheckpointError naming the tensor, with nothing leaked', async (_label, tensors, message, metadata) => {
    await expectNoLeaks(() => {
      const bytes = serializeSafetensors(tensors, metadata ?? marked);
      let error: unknown;
      try {
        safetensorsToTensors(bytes, 'bad.safetensors').tensors.forEach((t) => t.dispose());
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(CheckpointError);
      expect((error as CheckpointError).code).toBe('ERR_QUANTIZATION');
      expect((error as Error).message).toMatch(/^bad\.safetensors/);
      expect((error as Error).message).toMatch(message);
    });
  });

  it('reads F16 scales, and leaves I8 tensors of unmarked files alone (as Hugging Face would)', () => {
    expectNoLeaks(() => {
      const half = serializeSafetensors({ w: q, 'w.__scale': scale([1, 4], new Uint16Array(4).fill(0x3800), 'F16') }, marked);
      const a = safetensorsToTensors(half).tensors;
      expect([...a.get('w')!.dataSync()]).toEqual(new Array(12).fill(2.5));
      a.forEach((t) => t.dispose());
      const plain = safetensorsToTensors(serializeSafetensors({ w: q, 'w.__scale': scale([3, 1]) }, { format: 'pt' })).tensors;
      expect([...plain.keys()].sort()).toEqual(['w', 'w.__scale']);
      expect(plain.get('w')!.dtype).toBe('int32');
      plain.forEach((t) => t.dispose());
    });
  });
});

describe('saveCheckpoint dtype int8', () => {
  it('round-trips through shards (each scale beside its tensor, listed in the index) and loads float32', async () => {
    const dir = tempDir();
    await expectNoLeaks(async () => {
      const weights = new Map<string, tf.Tensor>([
        ['a.weight', tf.tensor2d(matrix(64, 32, 11), [64, 32])],
        ['a.bias', tf.tensor1d(matrix(1, 64, 12))],
        ['b.weight', tf.tensor2d(matrix(32, 64, 13), [32, 64])],
      ]);
      await saveCheckpoint(dir, { config: { model_type: 'toy' }, weights, dtype: 'int8', maxShardSize: 2500 });
      const index = JSON.parse(fs.readFileSync(path.join(dir, 'model.safetensors.index.json'), 'utf8')) as { metadata: { total_size: number }; weight_map: Record<string, string> };
      expect(index.weight_map['a.weight.__scale']).toBe(index.weight_map['a.weight']);
      expect(index.weight_map['b.weight.__scale']).toBe(index.weight_map['b.weight']);
      expect(index.metadata.total_size).toBe(64 * 32 + 64 * 4 + 64 * 4 + 32 * 64 + 32 * 4);
      const checkpoint = await loadCheckpoint(dir);
      expect([...checkpoint.weights.keys()].sort()).toEqual(['a.bias', 'a.weight', 'b.weight']);
      for (const [name, t] of weights) {
        const got = checkpoint.weights.get(name)!;
        expect(got.dtype).toBe('float32');
        const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(got, t))).dataSync()[0] as number);
        const rowMax = tf.tidy(() => (t.rank === 2 ? tf.max(tf.max(tf.abs(t), 1)) : tf.scalar(0)).dataSync()[0] as number);
        expect(diff, name).toBeLessThanOrEqual((rowMax / 127) * (0.5 + 2 ** -20));
      }
      checkpoint.weights.forEach((t) => t.dispose());
      weights.forEach((t) => t.dispose());
    });
  });
});

describe('int8Axis auto', () => {
  it('picks the axis with the smaller squared error, and the writer stores that axis', async () => {
    // Columns of very different magnitudes: one scale per column fits far better than one per row.
    const [rows, cols] = [32, 48];
    const w = new Float32Array(rows * cols);
    const random = new Random(5);
    for (let i = 0; i < w.length; i++) w[i] = (random.uniform() * 2 - 1) * 10 ** ((i % cols) % 4 - 2);
    const byRow = quantizeInt8(w, [rows, cols], 0);
    const byCol = quantizeInt8(w, [rows, cols], 1);
    expect(int8SquaredError(w, byCol)).toBeLessThan(int8SquaredError(w, byRow));
    expect(quantizeInt8Auto(w, [rows, cols], 'auto')).toEqual(byCol);
    const transposed = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) transposed[c * rows + r] = w[r * cols + c] as number;
    expect(quantizeInt8Auto(transposed, [cols, rows], 'auto').scaleShape).toEqual([cols, 1]);
    await expectNoLeaks(async () => {
      const t = tf.tensor2d(w, [rows, cols]);
      const file = parseSafetensors(await tensorsToSafetensors({ t }, undefined, { dtype: 'int8', int8Axis: 'auto' }));
      expect(file.tensors.get('t.__scale')!.shape).toEqual([1, cols]);
      t.dispose();
    });
  });
});
