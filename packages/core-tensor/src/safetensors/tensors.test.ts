import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { expectAllClose, expectNoLeaks, fixturePath, readFixtureJson, withBackend } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { SafetensorsError } from '../errors.js';
import { parseSafetensors, serializeSafetensors } from './format.js';
import { safetensorsToTensors, tensorsToSafetensors } from './tensors.js';

const disposeAll = (m: Map<string, tf.Tensor>) => m.forEach((t) => t.dispose());

describe('safetensorsToTensors', () => {
  it.each(['cpu', 'wasm'])('reads the GPT-2 reference outputs with the shapes expected.json lists (%s)', async (backend) => {
    await withBackend(backend, () =>
      expectNoLeaks(() => {
        const file = fixturePath('models', 'gpt2-lm', 'expected.safetensors');
        const { tensors, metadata } = safetensorsToTensors(new Uint8Array(fs.readFileSync(file)), file);
        const expected = readFixtureJson<{ tensors: Record<string, { shape: number[] }> }>('models', 'gpt2-lm', 'expected.json');
        expect(metadata).toEqual({ format: 'pt' });
        expect([...tensors.keys()].sort()).toEqual(Object.keys(expected.tensors).sort());
        for (const [name, t] of tensors) {
          expect(t.dtype, name).toBe('float32');
          expect(t.shape, name).toEqual(expected.tensors[name]!.shape);
        }
        const raw = parseSafetensors(new Uint8Array(fs.readFileSync(file)), file);
        for (const [name, t] of tensors) expect(t.dataSync(), name).toEqual(raw.tensors.get(name)!.data);
        disposeAll(tensors);
      }),
    );
  });

  it('converts every dtype: floats to float32, integers to int32, BOOL to bool', async () => {
    await expectNoLeaks(() => {
      const bytes = serializeSafetensors({
        f64: { dtype: 'F64', shape: [2], data: new Float64Array([0.5, -1e300]) },
        f16: { dtype: 'F16', shape: [2], data: new Uint16Array([0x3c00, 0xc000]) },
        bf16: { dtype: 'BF16', shape: [1, 1], data: new Uint16Array([0x4049]) },
        i64: { dtype: 'I64', shape: [2], data: new BigInt64Array([-3n, 2n ** 31n - 1n]) },
        i16: { dtype: 'I16', shape: [1], data: new Int16Array([-2]) },
        u8: { dtype: 'U8', shape: [1], data: new Uint8Array([250]) },
        mask: { dtype: 'BOOL', shape: [2], data: new Uint8Array([0, 1]) },
      });
      const { tensors } = safetensorsToTensors(bytes);
      const got = Object.fromEntries([...tensors].map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, values: Array.from(t.dataSync()) }]));
      expect(got).toEqual({
        f64: { dtype: 'float32', shape: [2], values: [0.5, -Infinity] },
        f16: { dtype: 'float32', shape: [2], values: [1, -2] },
        bf16: { dtype: 'float32', shape: [1, 1], values: [Math.fround(3.140625)] },
        i64: { dtype: 'int32', shape: [2], values: [-3, 2 ** 31 - 1] },
        i16: { dtype: 'int32', shape: [1], values: [-2] },
        u8: { dtype: 'int32', shape: [1], values: [250] },
        mask: { dtype: 'bool', shape: [2], values: [0, 1] },
      });
      disposeAll(tensors);
    });
  });

  it('fails on I64 ids beyond int32, naming the tensor, and leaks nothing already converted', async () => {
    await expectNoLeaks(() => {
      const bytes = serializeSafetensors({
        a: { dtype: 'F32', shape: [1], data: new Float32Array([1]) },
        ids: { dtype: 'I64', shape: [1], data: new BigInt64Array([2n ** 40n]) },
      });
      expect(() => safetensorsToTensors(bytes, 'ids.safetensors')).toThrow(/ids\.safetensors \(tensor "ids"\): I64 element 0 is 1099511627776/);
    });
  });
});

describe('tensorsToSafetensors', () => {
  it.each(['cpu', 'wasm'])('round-trips float32, int32 and bool tensors (%s)', async (backend) => {
    await withBackend(backend, () =>
      expectNoLeaks(async () => {
        const weights = new Map<string, tf.Tensor>([
          ['w', tf.tensor2d([[1.5, -2], [3, 4e-8]])],
          ['ids', tf.tensor1d([7, -1, 2 ** 31 - 1], 'int32')],
          ['mask', tf.tensor1d([true, false, true], 'bool')],
          ['scalar', tf.scalar(3)],
        ]);
        const bytes = await tensorsToSafetensors(weights, { format: 'pt' });
        const raw = parseSafetensors(bytes);
        expect(Object.fromEntries([...raw.tensors].map(([k, t]) => [k, t.dtype]))).toEqual({ w: 'F32', ids: 'I32', mask: 'BOOL', scalar: 'F32' });
        const { tensors, metadata } = safetensorsToTensors(bytes);
        expect(metadata).toEqual({ format: 'pt' });
        for (const [name, t] of weights) {
          const u = tensors.get(name)!;
          expect(u.dtype, name).toBe(t.dtype);
          expect(u.shape, name).toEqual(t.shape);
          expect(Array.from(u.dataSync()), name).toEqual(Array.from(t.dataSync()));
        }
        expectAllClose(tensors.get('w')!, weights.get('w')!, { atol: 0 });
        disposeAll(tensors);
        disposeAll(weights);
      }),
    );
  });

  it('stores int32 as I64 when asked, as PyTorch stores ids', async () => {
    await expectNoLeaks(async () => {
      const ids = tf.tensor2d([[1, 2], [3, -4]], undefined, 'int32');
      const raw = parseSafetensors(await tensorsToSafetensors({ ids }, undefined, { int32As: 'I64' })).tensors.get('ids')!;
      expect(raw.dtype).toBe('I64');
      expect(Array.from(raw.data as BigInt64Array)).toEqual([1n, 2n, 3n, -4n]);
      ids.dispose();
    });
  });

  it('names the tensor it cannot store', async () => {
    const c = tf.complex([1], [2]);
    await expect(tensorsToSafetensors({ c })).rejects.toThrow(/tensor "c"\): tensors of dtype complex64 cannot be stored/);
    c.dispose();
    const gone = tf.scalar(1);
    gone.dispose();
    await expect(tensorsToSafetensors({ gone })).rejects.toThrow(SafetensorsError);
  });
});
