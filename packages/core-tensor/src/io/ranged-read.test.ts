/**
 * Loading safetensors a tensor at a time: a source with ranged reads (a local folder, a cached
 * hub file) never has the whole weights file in memory, only its header and one tensor's bytes
 * at once, and gives the same tensors and the same errors as reading the whole file.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeaks, tempFolders } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { CheckpointError, FileTooLargeError, SafetensorsError, SourceAbortedError, TfkitError } from '../errors.js';
import { checkSafetensorsHeader, safetensorsHeaderLength, serializeSafetensors, type RawTensorInput } from '../safetensors/format.js';
import { QUANTIZATION_METADATA_KEY, INT8_PER_CHANNEL } from '../safetensors/quantize.js';
import { readSafetensorsTensors, safetensorsToTensors, tensorsToSafetensors } from '../safetensors/tensors.js';
import type { DownloadProgress } from '../download-progress.js';
import { loadCheckpoint } from './checkpoint.js';
import { openFileBounded } from './local.js';
import { openSource } from './sources.js';
import type { FileSource, RangedFile } from './types.js';

const tempDir = tempFolders('ranged');

const CONFIG = JSON.stringify({ model_type: 'test', hidden_size: 4 });

/** Several tensors of very different sizes and every dtype family. */
const TENSORS: Record<string, RawTensorInput> = {
  'embeddings.word.weight': { dtype: 'F32', shape: [500, 64], data: Float32Array.from({ length: 32_000 }, (_, i) => Math.sin(i)) }, // 128,000 bytes
  'layer.0.weight': { dtype: 'F16', shape: [64, 64], data: Uint16Array.from({ length: 4096 }, (_, i) => 0x3c00 + (i % 977)) },
  'layer.0.bias': { dtype: 'BF16', shape: [64], data: Uint16Array.from({ length: 64 }, (_, i) => 0x3f80 + i) },
  'layer.1.weight': { dtype: 'F32', shape: [64, 32], data: Float32Array.from({ length: 2048 }, (_, i) => i / 100) },
  position_ids: { dtype: 'I64', shape: [1, 9], data: BigInt64Array.from({ length: 9 }, (_, i) => BigInt(i)) },
  mask: { dtype: 'BOOL', shape: [3], data: new Uint8Array([1, 0, 1]) },
};
const WEIGHTS = serializeSafetensors(TENSORS, { format: 'pt' });
const HEADER_BYTES = 8 + safetensorsHeaderLength(WEIGHTS, WEIGHTS.byteLength);
const LARGEST_TENSOR = 128_000;

/** `source` that records each ranged read's length and counts whole reads of safetensors files. */
function countingSource(source: FileSource): { source: FileSource; reads: number[]; wholeReads: () => number } {
  const reads: number[] = [];
  let whole = 0;
  const counting: FileSource = {
    description: source.description,
    exists: (name) => source.exists(name),
    read: (name) => {
      if (name.endsWith('.safetensors')) whole++;
      return source.read(name);
    },
    readText: (name) => source.readText(name),
    readJson: (name) => source.readJson(name),
    openRanged: async (name) => {
      const file = (await source.openRanged!(name))!;
      return { size: file.size, read: (p, l) => (reads.push(l), file.read(p, l)), close: () => file.close() };
    },
  };
  return { source: counting, reads, wholeReads: () => whole };
}

/** An in-memory file with ranged reads that records each read's length. */
function memoryFile(bytes: Uint8Array, reads: number[]): RangedFile & { closed: boolean } {
  return {
    size: bytes.byteLength,
    closed: false,
    async read(position, length) {
      if (this.closed) throw new Error('read after close');
      if (position < 0 || length < 0 || position + length > bytes.byteLength) throw new CheckpointError(`read [${position}, ${position + length}] outside the file`);
      reads.push(length);
      return bytes.slice(position, position + length);
    },
    async close() {
      this.closed = true;
    },
  };
}

/** A source of in-memory files whose weights can only be read by range (`read` of them fails the test). */
function rangedSource(files: Record<string, Uint8Array | string>, reads: number[], opened: (RangedFile & { closed: boolean })[] = []): FileSource {
  const bytes = (name: string) => {
    const f = files[name];
    if (f === undefined) throw new CheckpointError(`memory: file "${name}" not found`);
    return typeof f === 'string' ? new TextEncoder().encode(f) : f;
  };
  return {
    description: 'memory',
    exists: async (name) => Object.hasOwn(files, name),
    read: async (name) => {
      if (name.endsWith('.safetensors')) throw new Error(`read the whole of ${name}`);
      return bytes(name);
    },
    readText: async (name) => new TextDecoder().decode(bytes(name)),
    readJson: async <T,>(name: string) => JSON.parse(new TextDecoder().decode(bytes(name))) as T,
    openRanged: async (name) => {
      const file = memoryFile(bytes(name), reads);
      opened.push(file);
      return file;
    },
  };
}

function expectSame(actual: Map<string, tf.Tensor>, expected: Map<string, tf.Tensor>) {
  expect([...actual.keys()]).toEqual([...expected.keys()]);
  for (const [name, t] of expected) {
    const u = actual.get(name)!;
    expect([u.dtype, u.shape], name).toEqual([t.dtype, t.shape]);
    expect(u.dataSync(), name).toEqual(t.dataSync());
  }
}

const disposeAll = (m: Map<string, tf.Tensor>) => m.forEach((t) => t.dispose());

describe('ranged loading', () => {
  it('reads the header, then one tensor at a time: never more than the largest tensor at once, every byte once', async () => {
    await expectNoLeaks(async () => {
      const reads: number[] = [];
      const opened: (RangedFile & { closed: boolean })[] = [];
      const checkpoint = await loadCheckpoint(rangedSource({ 'config.json': CONFIG, 'model.safetensors': WEIGHTS }, reads, opened));
      const whole = safetensorsToTensors(WEIGHTS.slice(), 'whole');
      expectSame(checkpoint.weights, whole.tensors);
      expect(checkpoint.metadata).toEqual({ format: 'pt' });
      disposeAll(checkpoint.weights);
      disposeAll(whole.tensors);
      expect(Math.max(...reads)).toBe(Math.max(HEADER_BYTES, LARGEST_TENSOR));
      expect(Math.max(...reads)).toBeLessThan(WEIGHTS.byteLength / 1.1);
      expect(reads.reduce((a, b) => a + b, 0)).toBe(WEIGHTS.byteLength);
      expect(reads.length).toBe(2 + Object.keys(TENSORS).length);
      expect(opened.every((f) => f.closed)).toBe(true);
    });
  });

  it('reads each shard of a sharded checkpoint by range', async () => {
    const names = Object.keys(TENSORS);
    const shard1 = serializeSafetensors(Object.fromEntries(names.slice(0, 3).map((n) => [n, TENSORS[n]!])), { format: 'pt' });
    const shard2 = serializeSafetensors(Object.fromEntries(names.slice(3).map((n) => [n, TENSORS[n]!])), { format: 'pt' });
    const files = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
    const index = { metadata: {}, weight_map: Object.fromEntries(names.map((n, i) => [n, files[i < 3 ? 0 : 1]])) };
    const reads: number[] = [];
    const opened: (RangedFile & { closed: boolean })[] = [];
    const source = rangedSource({ 'config.json': CONFIG, 'model.safetensors.index.json': JSON.stringify(index), [files[0]!]: shard1, [files[1]!]: shard2 }, reads, opened);
    const checkpoint = await loadCheckpoint(source);
    const whole = safetensorsToTensors(WEIGHTS.slice());
    expectSame(new Map([...whole.tensors.keys()].map((n) => [n, checkpoint.weights.get(n)!])), whole.tensors);
    disposeAll(checkpoint.weights);
    disposeAll(whole.tensors);
    expect(opened).toHaveLength(2);
    expect(opened.every((f) => f.closed)).toBe(true);
    expect(reads.reduce((a, b) => a + b, 0)).toBe(shard1.byteLength + shard2.byteLength);
    expect(Math.max(...reads)).toBe(LARGEST_TENSOR);
  });

  it('dequantizes int8 and decodes float16 files read by range, as from the whole file', async () => {
    const weights = new Map<string, tf.Tensor>([
      ['dense.weight', tf.tensor2d(Float32Array.from({ length: 64 * 48 }, (_, i) => Math.cos(i) * (1 + (i % 48))), [64, 48])],
      ['dense.bias', tf.tensor1d(Float32Array.from({ length: 64 }, (_, i) => i / 10))],
      ['ids', tf.tensor1d([3, 1, 2], 'int32')],
    ]);
    for (const dtype of ['int8', 'float16'] as const) {
      const bytes = await tensorsToSafetensors(weights, { format: 'pt' }, { dtype });
      const reads: number[] = [];
      const ranged = await readSafetensorsTensors(memoryFile(bytes, reads), 'q.safetensors');
      const whole = safetensorsToTensors(bytes.slice(), 'q.safetensors');
      expectSame(ranged.tensors, whole.tensors);
      expect(ranged.tensors.get('dense.weight')!.dtype).toBe('float32');
      expect(ranged.tensors.has('dense.weight.__scale')).toBe(false);
      expect(ranged.metadata).toEqual(whole.metadata);
      if (dtype === 'int8') expect(ranged.metadata[QUANTIZATION_METADATA_KEY]).toBe(INT8_PER_CHANNEL);
      expect(Math.max(...reads)).toBeLessThanOrEqual(64 * 48 * (dtype === 'int8' ? 1 : 2));
      disposeAll(ranged.tensors);
      disposeAll(whole.tensors);
    }
    disposeAll(weights);
  });

  it('refuses hostile files with the same typed errors as the whole-file reader, leaking nothing', async () => {
    const le64 = (n: number) => {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
      return b;
    };
    const withHeader = (header: string, dataBytes: number) => {
      const h = new TextEncoder().encode(header);
      const out = new Uint8Array(8 + h.length + dataBytes);
      out.set(le64(h.length));
      out.set(h, 8);
      return out;
    };
    const square = new Map<string, tf.Tensor>([['w', tf.tensor2d(Float32Array.from({ length: 2048 }, (_, i) => i - 1000), [32, 64])]]);
    const quantized = await tensorsToSafetensors(square, {}, { dtype: 'int8' });
    disposeAll(square);
    const scaleAt = (bytes: Uint8Array) => {
      const headerLength = safetensorsHeaderLength(bytes, bytes.byteLength);
      const { entries } = checkSafetensorsHeader(bytes.subarray(8, 8 + headerLength), bytes.byteLength - 8 - headerLength);
      return 8 + headerLength + entries.find((e) => e.name === 'w.__scale')!.begin;
    };
    const badScale = quantized.slice();
    new DataView(badScale.buffer).setFloat32(scaleAt(badScale) + 4 * 3, -1, true);
    const hostile: Record<string, Uint8Array> = {
      truncated: WEIGHTS.slice(0, WEIGHTS.byteLength - 7),
      'short length field': WEIGHTS.slice(0, 5),
      'header past the end': le64(2 ** 40),
      overlapping: withHeader('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}', 12),
      'out of the file': withHeader('{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}', 8),
      'shape × dtype ≠ bytes': withHeader('{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', 8),
      'unknown dtype': withHeader('{"a":{"dtype":"F8_E4M3","shape":[8],"data_offsets":[0,8]}}', 8),
      'bad bool': (() => {
        const b = withHeader('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"m":{"dtype":"BOOL","shape":[4],"data_offsets":[4,8]}}', 8);
        b[b.length - 2] = 7;
        return b;
      })(),
      'I64 out of int32 range': (() => {
        const b = withHeader('{"i":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}', 8);
        b.set(le64(2 ** 40), b.length - 8);
        return b;
      })(),
      'negative int8 scale': badScale,
      'int8 without its scale': withHeader(`{"__metadata__":{"${QUANTIZATION_METADATA_KEY}":"${INT8_PER_CHANNEL}"},"w":{"dtype":"I8","shape":[2,4],"data_offsets":[0,8]}}`, 8),
    };
    await expectNoLeaks(async () => {
      for (const [what, bytes] of Object.entries(hostile)) {
        let wholeError: unknown;
        try {
          disposeAll(safetensorsToTensors(bytes.slice(), 'hostile.safetensors').tensors);
        } catch (error) {
          wholeError = error;
        }
        const rangedError = await readSafetensorsTensors(memoryFile(bytes, []), 'hostile.safetensors').then(
          (r) => disposeAll(r.tensors),
          (e: unknown) => e,
        );
        expect(rangedError, what).toBeInstanceOf(TfkitError);
        expect((rangedError as Error).message, what).toContain('hostile.safetensors');
        expect([(rangedError as Error).constructor, (rangedError as Error).message], what).toEqual([(wholeError as Error).constructor, (wholeError as Error).message]);
      }
    });
    expect(hostile['overlapping']).toBeDefined();
    const overlap = await readSafetensorsTensors(memoryFile(hostile['overlapping']!, []), 'x').catch((e: unknown) => e);
    expect(overlap).toBeInstanceOf(SafetensorsError);
    expect((overlap as Error).message).toMatch(/overlap tensor "a"/);
  });

  it('a failed read disposes the tensors made so far and passes the error on', async () => {
    await expectNoLeaks(async () => {
      let n = 0;
      const failing: RangedFile = {
        size: WEIGHTS.byteLength,
        read: async (position, length) => {
          if (++n === 5) throw new CheckpointError('disk went away');
          return WEIGHTS.slice(position, position + length);
        },
        close: async () => undefined,
      };
      await expect(readSafetensorsTensors(failing, 'f')).rejects.toThrow('disk went away');
    });
  });
});

describe('local ranged reads', () => {
  it('a local folder loads by range: the largest read is the largest tensor, and the result equals the whole file', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'config.json'), CONFIG);
    fs.writeFileSync(path.join(dir, 'model.safetensors'), WEIGHTS);
    const local = await openSource(dir);
    expect(local.openRanged).toBeTypeOf('function');
    const { source: counting, reads, wholeReads } = countingSource(local);
    const checkpoint = await loadCheckpoint(counting);
    const whole = safetensorsToTensors(fs.readFileSync(path.join(dir, 'model.safetensors')));
    expectSame(checkpoint.weights, whole.tensors);
    disposeAll(checkpoint.weights);
    disposeAll(whole.tensors);
    expect(wholeReads()).toBe(0);
    expect(Math.max(...reads)).toBe(LARGEST_TENSOR);
    expect(reads.reduce((a, b) => a + b, 0)).toBe(WEIGHTS.byteLength);
  });

  it('keeps the limits of a whole read: maxFileSize, missing files, ranges past the end, aborts; progress once the file is read', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'model.safetensors');
    fs.writeFileSync(file, WEIGHTS);
    const source = await openSource(dir, { maxFileSize: 1000 });
    await expect(source.openRanged!('model.safetensors')).rejects.toBeInstanceOf(FileTooLargeError);
    await expect((await openSource(dir)).openRanged!('absent.safetensors')).rejects.toThrow(/file "absent.safetensors" not found/);

    const fsp = await import('node:fs/promises');
    const events: DownloadProgress[] = [];
    const controller = new AbortController();
    const ranged = (await openFileBounded(fsp, file, { maxBytes: 2 ** 30, limit: 'maxFileSize', signal: controller.signal, label: file, progress: (loaded, total, done) => events.push({ file: 'model.safetensors', url: file, loaded, total, done }) }))!;
    try {
      expect(ranged.size).toBe(WEIGHTS.byteLength);
      await expect(ranged.read(WEIGHTS.byteLength - 4, 8)).rejects.toBeInstanceOf(CheckpointError);
      await expect(ranged.read(-1, 2)).rejects.toBeInstanceOf(CheckpointError);
      expect(await ranged.read(8, 16)).toEqual(WEIGHTS.slice(8, 24));
      expect(events).toEqual([]);
      expect(await ranged.read(0, 8)).toEqual(WEIGHTS.slice(0, 8));
      expect(await ranged.read(24, WEIGHTS.byteLength - 24)).toEqual(WEIGHTS.slice(24));
      expect(events).toEqual([{ file: 'model.safetensors', url: file, loaded: WEIGHTS.byteLength, total: WEIGHTS.byteLength, done: true }]);
      controller.abort();
      await expect(ranged.read(0, 8)).rejects.toBeInstanceOf(SourceAbortedError);
    } finally {
      await ranged.close();
    }
    await expect(ranged.read(0, 8)).rejects.toThrow(/closed/);
    expect(await openFileBounded(fsp, path.join(dir, 'absent'), { maxBytes: 10, limit: 'maxFileSize', signal: undefined, label: 'x' })).toBeUndefined();
  });

  it('a hub file is downloaded into the cache (streamed to disk, not held), then read by range; offline it stays whole-read', async () => {
    const cacheDir = tempDir();
    const requests: string[] = [];
    const serve: typeof fetch = async (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      requests.push(`${init?.method ?? 'GET'} ${url}`);
      if (url.endsWith('/model.safetensors')) return new Response(WEIGHTS as Uint8Array<ArrayBuffer>, { status: 200, headers: { 'content-length': String(WEIGHTS.byteLength) } });
      if (url.endsWith('/config.json')) return new Response(CONFIG, { status: 200 });
      return new Response('no', { status: 404 });
    };
    const options = { remoteHost: 'https://hub.test', fetch: serve, cacheDir };
    // localFilesOnly with nothing cached: no ranged file, and `read` explains.
    expect(await (await openSource('org/model', { ...options, localFilesOnly: true })).openRanged!('model.safetensors')).toBeUndefined();
    expect(requests).toEqual([]);

    const hub = await openSource('org/model', options);
    const { source: counting, reads, wholeReads } = countingSource(hub);
    for (const round of [1, 2]) {
      reads.length = 0;
      const checkpoint = await loadCheckpoint(counting);
      expect(checkpoint.weights.get('embeddings.word.weight')!.shape, `round ${round}`).toEqual([500, 64]);
      disposeAll(checkpoint.weights);
      expect(Math.max(...reads), `round ${round}`).toBe(LARGEST_TENSOR);
    }
    expect(wholeReads()).toBe(0);
    expect(requests.filter((r) => r.startsWith('GET') && r.endsWith('/model.safetensors'))).toHaveLength(1);
    const cached = (await (await openSource('org/model', { ...options, localFilesOnly: true })).openRanged!('model.safetensors'))!;
    try {
      expect(await cached.read(0, WEIGHTS.byteLength)).toEqual(WEIGHTS);
    } finally {
      await cached.close();
    }

    // A cache that cannot be written: no ranged file, and nothing downloaded by asking.
    const readOnly = path.join(tempDir(), 'file-not-dir');
    fs.writeFileSync(readOnly, '');
    requests.length = 0;
    expect(await (await openSource('org/model', { ...options, cacheDir: readOnly })).openRanged!('model.safetensors')).toBeUndefined();
    expect(requests).toEqual([]);
  });
});
