/**
 * Fuzzing the int8 reader: seeded structural mutations of a tfkit int8 file (scale shapes, dtypes
 * and values, tensor dtypes and names, the metadata marker) and byte flips in its data. Every case
 * must load (float32 tensors where the file is quantized) or fail with a typed `TfkitError`, leak
 * nothing, and finish quickly. Rerun one seed with TFKIT_FUZZ_SEED.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { TfkitError } from '../errors.js';
import { Random } from '../random.js';
import { parseSafetensors, serializeSafetensors, type RawTensorInput, type SafetensorsDtype } from './format.js';
import { INT8_PER_CHANNEL } from './quantize.js';
import { safetensorsToTensors } from './tensors.js';

const SEED = Number(process.env['TFKIT_FUZZ_SEED'] ?? 20261205);
const CASES = 3000;
const DTYPES: SafetensorsDtype[] = ['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL'];
const BYTES: Record<SafetensorsDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

function base(): Record<string, RawTensorInput> {
  return {
    'a.weight': { dtype: 'I8', shape: [4, 6], data: Int8Array.from({ length: 24 }, (_, i) => (i * 37) % 255 - 127) },
    'a.weight.__scale': { dtype: 'F32', shape: [4, 1], data: new Float32Array([0.5, 0.01, 0, 3]) },
    'b.weight': { dtype: 'I8', shape: [3, 5], data: Int8Array.from({ length: 15 }, (_, i) => 127 - i * 9) },
    'b.weight.__scale': { dtype: 'F16', shape: [1, 5], data: new Uint16Array([0x3c00, 0x3800, 0x0001, 0x7bff, 0x2e66]) },
    'a.bias': { dtype: 'F32', shape: [4], data: new Float32Array([1, -1, 0.5, 2]) },
  };
}

function randomShape(random: Random): number[] {
  const rank = random.int(4);
  return Array.from({ length: rank }, () => random.int(7));
}

function mutate(random: Random): { tensors: Record<string, RawTensorInput>; metadata: Record<string, string> } {
  const tensors = base();
  const metadata: Record<string, string> = { format: 'pt', tfkit_quantization: INT8_PER_CHANNEL };
  const names = Object.keys(tensors);
  for (let m = 1 + random.int(3); m > 0; m--) {
    const name = names[random.int(names.length)] as string;
    const t = tensors[name];
    switch (random.int(8)) {
      case 0: { // a new shape, data resized to fit
        const shape = randomShape(random);
        const count = shape.reduce((a, b) => a * b, 1);
        const dtype = t?.dtype ?? 'F32';
        tensors[name] = { dtype, shape, data: new Uint8Array(count * BYTES[dtype]).map(() => random.int(256)) };
        break;
      }
      case 1: { // another dtype, same shape, random bytes
        const dtype = DTYPES[random.int(DTYPES.length)] as SafetensorsDtype;
        const shape = t?.shape ?? [2];
        const count = shape.reduce((a, b) => a * b, 1);
        tensors[name] = { dtype, shape, data: new Uint8Array(count * BYTES[dtype]).map(() => random.int(256)) };
        break;
      }
      case 2:
        delete tensors[name];
        break;
      case 3: // an orphan or renamed scale
        if (t) tensors[`${['x', 'a.bias', 'a.weight', ''][random.int(4)]}.__scale`] = t;
        break;
      case 4: // hostile scale values
        if (t && t.dtype === 'F32') {
          const values = new Float32Array(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.byteLength));
          tensors[name] = { ...t, data: values.map((v) => [v, NaN, -v, Infinity, 3.4e38][random.int(5)] as number) };
        }
        break;
      case 5:
        metadata['tfkit_quantization'] = ['int8-per-channel', 'int4', '', 'INT8-PER-CHANNEL'][random.int(4)] as string;
        break;
      case 6:
        delete metadata['tfkit_quantization'];
        break;
      default: { // byte flips in the data
        if (!t) break;
        const bytes = new Uint8Array(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.byteLength));
        for (let k = 0; k < 3 && bytes.length; k++) {
          const at = random.int(bytes.length);
          bytes[at] = (bytes[at] as number) ^ (1 << random.int(8));
        }
        tensors[name] = { ...t, data: bytes };
      }
    }
  }
  return { tensors, metadata };
}

describe('int8 reader fuzz', () => {
  it(`loads or throws a TfkitError for ${CASES} mutated files (seed ${SEED}), leaking nothing`, () => {
    const random = new Random(SEED);
    const before = tf.memory().numTensors;
    let loaded = 0;
    let refused = 0;
    for (let i = 0; i < CASES; i++) {
      const { tensors, metadata } = mutate(random);
      const bytes = serializeSafetensors(tensors, metadata);
      const started = performance.now();
      try {
        const out = safetensorsToTensors(bytes, `case-${i}.safetensors`);
        const marked = metadata['tfkit_quantization'] === INT8_PER_CHANNEL;
        const raw = parseSafetensors(bytes);
        for (const [name, t] of out.tensors) {
          if (marked) expect(name.endsWith('.__scale'), `case ${i}: ${name}`).toBe(false);
          if (marked && raw.tensors.get(name)?.dtype === 'I8') {
            expect(t.dtype, `case ${i}: ${name}`).toBe('float32');
            expect(t.shape, `case ${i}: ${name}`).toEqual(raw.tensors.get(name)!.shape);
            expect(t.dataSync().every((v) => !Number.isNaN(v)), `case ${i}: ${name}`).toBe(true);
          }
        }
        out.tensors.forEach((t) => t.dispose());
        loaded++;
      } catch (error) {
        if (!(error instanceof TfkitError)) throw new Error(`case ${i} (seed ${SEED}): untyped ${String(error)}`);
        refused++;
      }
      expect(performance.now() - started, `case ${i}`).toBeLessThan(10_000);
      expect(tf.memory().numTensors, `case ${i} leaked`).toBe(before);
    }
    expect(loaded).toBeGreaterThan(CASES / 20);
    expect(refused).toBeGreaterThan(CASES / 20);
  }, 120_000);
});
