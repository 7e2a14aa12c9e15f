import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeaks, withBackend } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { installWasmKernels } from './wasm-kernels.js';
import { matrixTransposeView, originalWasmKernel } from './wasm-layout-kernels.js';

/** Seeded float32 values with zeros of both signs and a NaN mixed in. */
function seeded(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s / 2 ** 32) - 0.5) * 10 ** ((i % 7) - 3);
  }
  if (n > 3) [out[0], out[1], out[2]] = [0, -0, NaN];
  return out;
}

/** The bits of a kernel's result, run directly on the backend (no tape), then freed. */
function runBits(kernel: tf.KernelFunc, x: tf.Tensor, attrs: tf.NamedAttrMap): { shape: number[]; bits: Uint32Array } {
  const backend = tf.backend() as unknown as { readSync(id: object): Float32Array | Int32Array; disposeData(id: object): void };
  const out = kernel({ inputs: { x }, backend: tf.backend(), attrs }) as tf.TensorInfo;
  const values = backend.readSync(out.dataId);
  backend.disposeData(out.dataId);
  return { shape: out.shape, bits: new Uint32Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)) };
}

/** On wasm with tfkit's kernels installed: `body` gets tfjs-backend-wasm's own kernel `name`; no tensor may leak. */
async function againstOriginal(name: 'Transpose' | 'Sum' | 'Slice' | 'SplitV' | 'GatherV2', body: (original: tf.KernelFunc) => void): Promise<void> {
  await withBackend('wasm', async () => {
    installWasmKernels();
    const original = originalWasmKernel(name);
    expect(original).toBeDefined();
    await expectNoLeaks(() => body(original!));
  });
}

/** `body`'s result and how many times it read a tensor out of the heap (the backend's `readSync`). */
function countingReads<T>(body: () => T): { reads: number; result: T } {
  const backend = tf.backend() as unknown as { readSync: (...a: unknown[]) => unknown };
  const readSync = backend.readSync;
  let reads = 0;
  backend.readSync = (...a: unknown[]) => (reads++, readSync.apply(backend, a));
  try {
    const result = body();
    return { reads, result };
  } finally {
    backend.readSync = readSync;
  }
}

/** True when `mine` holds exactly the bits of `theirs`. */
function sameBits(mine: tf.Tensor, theirs: { bits: Uint32Array }): boolean {
  const data = mine.dataSync() as Float32Array | Int32Array;
  return Buffer.from(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)).equals(Buffer.from(theirs.bits.buffer));
}

describe('matrixTransposeView', () => {
  it('recognises swaps of two trailing axis groups and nothing else', () => {
    expect(matrixTransposeView([3, 4], [1, 0])).toEqual({ a: 1, r: 3, c: 4 });
    expect(matrixTransposeView([2, 3, 4], [0, 2, 1])).toEqual({ a: 2, r: 3, c: 4 });
    expect(matrixTransposeView([2, 3, 4, 5], [2, 3, 0, 1])).toEqual({ a: 1, r: 6, c: 20 });
    expect(matrixTransposeView([2, 3, 4, 5], [0, 3, 1, 2])).toEqual({ a: 2, r: 12, c: 5 });
    expect(matrixTransposeView([2, 3, 4, 5], [0, 2, 1, 3])).toBeNull(); // an axis after the swap
    expect(matrixTransposeView([2, 3, 4], [2, 0, 1].reverse())).toBeNull(); // [1, 0, 2]
    expect(matrixTransposeView([2, 3], [0, 1])).toBeNull(); // identity
    expect(matrixTransposeView([2, 3, 4], [1, 2, 0])).toEqual({ a: 1, r: 2, c: 12 });
    expect(matrixTransposeView([2, 3, 4], [2, 1, 0])).toBeNull();
  });
});

describe('wasm Transpose and Sum over tfjs-backend-wasm’s', () => {
  it('transpose gives the original kernel’s bits (float32 and int32, batched, tiles cut short)', async () => {
    await againstOriginal('Transpose', (original) => {
      const cases: [number[], number[]][] = [[[100, 70], [1, 0]], [[3, 65, 33], [0, 2, 1]], [[4, 5, 6, 40], [0, 3, 1, 2]], [[64, 64], [1, 0]], [[2, 8, 128, 64], [0, 1, 3, 2]]];
      for (const [shape, perm] of cases) {
        const n = shape.reduce((a, b) => a * b, 1);
        for (const x of [tf.tensor(seeded(n, n), shape), tf.tensor(Int32Array.from(seeded(n, 7), (v, i) => (Number.isFinite(v) ? Math.round(v * 1e4) : -i)), shape, 'int32')]) {
          const mine = tf.transpose(x, perm);
          const theirs = runBits(original, x, { perm });
          expect(mine.shape).toEqual(theirs.shape);
          expect(sameBits(mine, theirs)).toBe(true);
          // And it is the transpose: spot-check one element against the index arithmetic.
          const xs = x.arraySync() as unknown;
          const at = (t: unknown, idx: number[]): number => idx.reduce<unknown>((v, i) => (v as unknown[])[i], t) as number;
          const idx = shape.map((d, i) => (d - 1) % (i + 2));
          const got = at(mine.arraySync(), perm.map((p) => idx[p] as number));
          expect(Object.is(got, at(xs, idx)) || (Number.isNaN(got) && Number.isNaN(at(xs, idx)))).toBe(true);
          x.dispose();
          mine.dispose();
        }
      }
    });
  });

  it('sum over leading axes gives the original kernel’s bits; other reductions are the original’s', async () => {
    await againstOriginal('Sum', (original) => {
      const cases: [number[], number | number[], boolean][] = [[[1000, 37], 0, false], [[8, 128, 256], [0, 1], false], [[8, 128, 256], [1, 0], true], [[8, 128, 256], [0, 1], true], [[5, 7, 3], 0, true], [[5, 7, 3], 1, false], [[5, 7, 3], -1, false], [[6, 9], [0, 1], false]];
      for (const [shape, axis, keepDims] of cases) {
        const n = shape.reduce((a, b) => a * b, 1);
        const values = seeded(n, n + 1);
        values[2] = 0.5; // no NaN: one would make the whole column NaN
        const x = tf.tensor(values, shape);
        const mine = tf.sum(x, axis, keepDims);
        const theirs = runBits(original, x, { axis, keepDims });
        expect(mine.shape).toEqual(theirs.shape);
        expect({ shape, axis, same: sameBits(mine, theirs) }).toEqual({ shape, axis, same: true });
        x.dispose();
        mine.dispose();
      }
      // A column sum by hand: 1 + 2 + … down each of two columns.
      const hand = tf.tensor2d([1, 10, 2, 20, 3, 30], [3, 2]);
      const s = tf.sum(hand, 0);
      expect(Array.from(s.dataSync())).toEqual([6, 60]);
      hand.dispose();
      s.dispose();
    });
  });
});

describe('wasm Slice and SplitV over tfjs-backend-wasm’s', () => {
  // [shape, begin, size]: contiguous (leading axis, a whole trailing block), strided (inner axes),
  // size −1 (to the end), empty, rank 1 to 5
  const cases: [number[], number[], number[]][] = [
    [[36, 128, 64], [12, 0, 0], [12, 128, 64]],
    [[1, 128, 36, 64], [0, 0, 12, 0], [1, 128, 12, 64]],
    [[5, 7], [1, 2], [3, 4]],
    [[2, 3, 4, 5, 6], [1, 0, 2, 1, 3], [1, 3, 2, 4, -1]],
    [[9], [4], [-1]],
    [[4, 6], [2, 0], [0, 6]],
  ];

  it.each(cases)('slice of %j at %j, size %j gives the original kernel’s bits without reading the input out of the heap (float32, int32)', async (shape, begin, size) => {
    await againstOriginal('Slice', (original) => {
      const n = shape.reduce((p, d) => p * d, 1);
      for (const x of [tf.tensor(seeded(n, 3), shape), tf.tensor(Int32Array.from(seeded(n, 4), (v) => Math.round(v * 1e3)), shape, 'int32')]) {
        const want = runBits(original, x, { begin, size });
        const { reads, result: mine } = countingReads(() => tf.slice(x, begin, size));
        expect(reads).toBe(0);
        expect(mine.shape).toEqual(want.shape);
        expect(sameBits(mine, want)).toBe(true);
        tf.dispose([x, mine]);
      }
    });
  });

  it('splitV along each axis gives the original kernel’s parts, bit for bit', async () => {
    await againstOriginal('SplitV', (original) => {
      const x = tf.tensor(seeded(2 * 36 * 8 * 5, 5), [2, 36, 8, 5]);
      for (const [splits, axis] of [[3, 1], [[10, 20, 6], 1], [[1, 1], 0], [[3, 5], 2], [5, 3], [[2, -1], -1]] as [number | number[], number][]) {
        const theirs = original({ inputs: { x }, backend: tf.backend(), attrs: { numOrSizeSplits: splits, axis } }) as unknown as tf.TensorInfo[];
        const mine = tf.split(x, splits, axis);
        expect(mine).toHaveLength(theirs.length);
        const backend = tf.backend() as unknown as { readSync(id: object): Float32Array; disposeData(id: object): void };
        mine.forEach((part, i) => {
          const values = backend.readSync(theirs[i]!.dataId);
          expect(part.shape).toEqual(theirs[i]!.shape);
          expect(sameBits(part, { bits: new Uint32Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)) })).toBe(true);
          backend.disposeData(theirs[i]!.dataId);
        });
        tf.dispose(mine);
      }
      x.dispose();
    });
  });

  it('leaves bool tensors to the original kernel and rejects a slice past the end, naming it', async () => {
    await withBackend('wasm', () => {
      installWasmKernels();
      tf.tidy(() => {
        const b = tf.tensor([true, false, true, true], [2, 2], 'bool');
        expect(Array.from(tf.slice(b, [1, 0], [1, 2]).dataSync())).toEqual([1, 1]);
        expect(() => tf.slice(tf.zeros([2, 3]), [1, 1], [2, 2])).toThrow(/slice/i);
      });
    });
  });
});

describe('wasm GatherV2 over tfjs-backend-wasm’s', () => {
  // [table shape, axis, indices]: an embedding lookup (rows of 16), a middle axis, runs of one value
  // (a vector, the last axis), repeated and first/last indices, a 3-D index tensor
  const cases: [number[], number, number[][] | number[] | number[][][]][] = [
    [[50, 16], 0, [[49, 0, 7, 7, 23], [1, 2, 3, 4, 5]]],
    [[3, 7, 5], 1, [6, 0, 3, 3]],
    [[10], 0, [9, 0, 4, 4, 1]],
    [[4, 6], 1, [5, 0, 2]],
    [[4, 6], -1, [[[1], [3]], [[5], [0]]]],
    [[2, 3, 4, 20], 2, [[3, 0], [1, 1]]],
  ];

  it.each(cases)('gather from %j along axis %j gives the original kernel’s bits without reading the indices out of the heap (float32, int32)', async (shape, axis, ids) => {
    await againstOriginal('GatherV2', (original) => {
      const n = shape.reduce((p, d) => p * d, 1);
      const indices = tf.tensor(ids as number[], undefined, 'int32');
      for (const x of [tf.tensor(seeded(n, 6), shape), tf.tensor(Int32Array.from(seeded(n, 7), (v) => Math.round(v * 1e3)), shape, 'int32')]) {
        const backend = tf.backend() as unknown as { readSync(id: object): unknown; disposeData(id: object): void };
        const theirs = original({ inputs: { x, indices }, backend: tf.backend(), attrs: { axis, batchDims: 0 } }) as unknown as tf.TensorInfo;
        const values = backend.readSync(theirs.dataId) as Float32Array | Int32Array;
        const want = { bits: new Uint32Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)) };
        backend.disposeData(theirs.dataId);
        const { reads, result: mine } = countingReads(() => tf.gather(x, indices, axis));
        expect(reads).toBe(0);
        expect(mine.shape).toEqual(theirs.shape);
        expect(sameBits(mine, want)).toBe(true);
        tf.dispose([x, mine]);
      }
      indices.dispose();
    });
  });

  it('rejects an index outside the axis as the original does, leaving nothing allocated', async () => {
    await againstOriginal('GatherV2', () => {
      const x = tf.tensor(seeded(12, 8), [4, 3]);
      for (const bad of [[0, 4], [-1, 2]]) {
        const indices = tf.tensor1d(bad, 'int32');
        expect(() => tf.gather(x, indices)).toThrow(/GatherV2: the index value (4|-1) is not in \[0, 3\]/);
        indices.dispose();
      }
      x.dispose();
    });
  });
});
