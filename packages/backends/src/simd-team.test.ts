/**
 * tfkit's product on the threaded wasm build with helper threads (simd-team.ts): each part is
 * written by the thread it was given, the whole equals one thread's product bit for bit, and the
 * dense layers and batched products of a model run on it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchedMatMul, createRegistry, FUSED_BATCH_MATMUL, gelu, geluTanh, linear } from '@tfkit/core-tensor';
import { expectAllClose, expectNoLeaks, withBackend } from '@tfkit/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { registerAllBackends, useBackend } from './index.js';
import { gemmScratchFloats, simdKernels, simdTeam, type SimdKernels } from './simd-kernels.js';
import { ELEMENTWISE_WASM_BASE64 } from './simd/elementwise-wasm.js';
import { KERNELS_WASM_BASE64 } from './simd/kernels-wasm.js';
import { sharedMemoryModule } from './simd/shared-memory.js';
import { SimdTeam, type GemmJob } from './simd-team.js';
import { values } from './testing/values.js';

const registry = createRegistry();
registerAllBackends(registry);

interface HeapBackend {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
  disposeData(id: object): void;
}

/** `n` float32 on the heap holding `data` (or zeros), its byte offset, and a reader. */
function heapBuffer(backend: HeapBackend, n: number, data?: Float32Array) {
  const info = backend.makeOutput([n], 'float32');
  if (data) backend.typedArrayFromHeap(info).set(data);
  else backend.typedArrayFromHeap(info).fill(0);
  return {
    at: () => backend.typedArrayFromHeap(info).byteOffset,
    read: () => backend.typedArrayFromHeap(info).slice(),
    dispose: () => backend.disposeData(info.dataId),
  };
}

/**
 * The heap buffers of a (batched) product's test: seeded operands (seeds `seed` to `seed` + 2), a
 * bias (used only by a single product), three outputs and two parts' packing scratch.
 */
function productBuffers(backend: HeapBackend, m: number, n: number, k: number, count: number, seed: number) {
  const a = heapBuffer(backend, count * m * k, values(count * m * k, seed));
  const b = heapBuffer(backend, count * k * n, values(count * k * n, seed + 1));
  const bias = heapBuffer(backend, n, values(n, seed + 2));
  const [one, split, mine] = [0, 1, 2].map(() => heapBuffer(backend, count * m * n)) as [HeapBuffer, HeapBuffer, HeapBuffer];
  const scratch = gemmScratchFloats(m, 64);
  const packs = heapBuffer(backend, 2 * scratch);
  return { a, b, one, split, mine, packs, second: packs.at() + 4 * scratch, biasAt: count === 1 ? bias.at() : 0, dispose: () => [a, b, bias, one, split, mine, packs].forEach((t) => t.dispose()) };
}

type HeapBuffer = ReturnType<typeof heapBuffer>;

/** `body`'s result and how many parts `team` cut each job it ran into meanwhile. */
async function partsOf<T>(team: SimdTeam, body: () => Promise<T>): Promise<{ parts: number[]; result: T }> {
  const parts: number[] = [];
  const original = team.run.bind(team);
  team.run = (kernels, job, packs, relaxed) => {
    parts.push(team.parts(job));
    original(kernels, job, packs, relaxed);
  };
  try {
    return { parts, result: await body() };
  } finally {
    team.run = original;
  }
}

describe("tfkit's product on helper threads (threaded wasm build)", () => {
  afterAll(async () => {
    await useBackend(registry, 'wasm', { threads: 1 });
    await withBackend('cpu', () => undefined);
  });

  /** The backend, its kernels and team (null on a one-core machine, which runs one thread). */
  async function setup(): Promise<{ backend: HeapBackend; simd: SimdKernels; team: SimdTeam } | null> {
    const activation = await useBackend(registry, 'wasm', { threads: 2 });
    if (activation.threads < 2) {
      expect(activation.notes.join('\n')).toMatch(/1 thread of 1 logical core|one thread/);
      return null;
    }
    expect(activation.notes[0]).toMatch(/^wasm: threaded-SIMD binary, 2 threads .*; tfkit's SIMD kernels; its products on 2 threads \(1 helper Worker\)$/);
    const backend = tf.backend() as unknown as HeapBackend;
    const simd = simdKernels(backend)!;
    const team = simdTeam(backend)!;
    expect(simd.shared).toBe(true);
    expect(team.threads).toBe(2);
    return { backend, simd, team };
  }

  it.each([
    // [label, m, n, k, count, transposeA, transposeB, how the helper's part starts, kernel]
    ['one product cut into bands of columns (203: 104 and 99), both operands read transposed', 41, 203, 150, 1, true, true, { column: 104 }, 'gemm'],
    ['one product with few columns cut into bands of rows (37: 20 and 17)', 37, 48, 700, 1, false, false, { row: 20 }, 'gemm'],
    ['five slices of a batched product: three and two', 40, 72, 96, 5, false, true, { slice: 3 }, 'gemm'],
    // gemv: bands of long rows only
    ["a decoding step's one-row product (gemv) over long rows cut into bands of columns (33001: 16504 and 16497)", 1, 33001, 40, 1, false, false, { column: 16504 }, 'gemv'],
    ['three rows by gemv, a read transposed: bands of columns (32800: 16400 each)', 3, 32800, 12, 1, true, false, { column: 16400 }, 'gemv'],
  ] as const)('%s: each part written by its thread, the whole equal to one thread bit for bit', async (_label, m, n, k, count, ta, tb, helperFrom, kernel) => {
    const s = await setup();
    if (!s) return;
    const { backend, simd, team } = s;
    const job0: Omit<GemmJob, 'a' | 'b' | 'c' | 'bias'> = {
      kernel, m, n, k, count, kc: 64, cRow: 4 * n,
      aRow: ta ? 4 : 4 * k, aCol: ta ? 4 * m : 4,
      bRow: tb ? 4 : 4 * n, bCol: tb ? 4 * k : 4,
      aStep: 4 * m * k, bStep: 4 * k * n, cStep: 4 * m * n,
    };
    expect(team.parts(job0)).toBe(2);
    const { a, b, one, split, mine, packs, second, biasAt, dispose } = productBuffers(backend, m, n, k, count, 11);
    try {
      const job = (c: number): GemmJob => ({ ...job0, a: a.at(), b: b.at(), c, bias: biasAt });
      for (let sl = 0; sl < count; sl++) {
        simd.gemm(a.at() + sl * job0.aStep, b.at() + sl * job0.bStep, one.at() + sl * job0.cStep, biasAt, m, n, k, job0.aRow, job0.aCol, job0.bRow, job0.bCol, packs.at(), 64, 4 * n);
      }
      team.run(simd, job(split.at()), [packs.at(), second]);
      expect(split.read()).toEqual(one.read());

      // The calling thread skips its part (it only waits until the helper has claimed its own, so
      // it never takes that back): what is left is exactly the helper's part.
      const calls: number[][] = [];
      const internals = team as unknown as { seq: number; helpers: { control: Int32Array }[] };
      const control = internals.helpers[0]!.control;
      const skip = (...args: number[]) => {
        calls.push(args);
        while (Atomics.load(control, 3) !== internals.seq); // CLAIM: the helper has the job
      };
      team.run({ gemm: skip, gemv: skip, gelu: skip }, job(mine.at()), [packs.at(), second]);
      const got = mine.read();
      const want = one.read();
      const column = 'column' in helperFrom ? helperFrom.column : 0;
      const helpers = (index: number): boolean => {
        const [sl, i, j] = [Math.floor(index / (m * n)), Math.floor(index / n) % m, index % n];
        return 'slice' in helperFrom ? sl >= helperFrom.slice : 'row' in helperFrom ? i >= helperFrom.row : j >= column;
      };
      let helperValues = 0;
      got.forEach((v, index) => {
        if (helpers(index)) {
          helperValues++;
          expect(v).toBe(want[index]);
        } else {
          expect(v).toBe(0);
        }
      });
      expect(helperValues).toBeGreaterThan(0);
      // The calling thread's share: its slices, or one call for its band.
      expect(calls.length).toBe('slice' in helperFrom ? helperFrom.slice : 1);
      if ('row' in helperFrom) expect(calls[0]![4]).toBe(helperFrom.row);
      if ('column' in helperFrom) expect(calls[0]![5]).toBe(column);
    } finally {
      dispose();
    }
  });

  it.each([
    // [label, m, n, k, count, activation]
    ['bands of columns, exact GELU', 41, 203, 150, 1, 'gelu'],
    ['slices of a batched product, tanh GELU', 64, 96, 96, 3, 'gelu_tanh'],
  ] as const)('with an activation (%s), each thread applies it to the values it wrote: the whole equals one thread’s product then GELU, bit for bit', async (_label, m, n, k, count, activation) => {
    const s = await setup();
    if (!s) return;
    const { backend, simd, team } = s;
    const { a, b, one, split, mine, packs, second, biasAt, dispose } = productBuffers(backend, m, n, k, count, 21);
    const mode = activation === 'gelu' ? 0 : 1;
    try {
      const job = (c: number): GemmJob => ({ activation, a: a.at(), b: b.at(), c, bias: biasAt, m, n, k, count, kc: 64, cRow: 4 * n, aRow: 4 * k, aCol: 4, bRow: 4 * n, bCol: 4, aStep: 4 * m * k, bStep: 4 * k * n, cStep: 4 * m * n });
      expect(team.parts(job(0))).toBe(2);
      for (let sl = 0; sl < count; sl++) simd.gemm(a.at() + sl * 4 * m * k, b.at() + sl * 4 * k * n, one.at() + sl * 4 * m * n, biasAt, m, n, k, 4 * k, 4, 4 * n, 4, packs.at(), 64, 4 * n);
      const products = one.read();
      simd.gelu(one.at(), 0, one.at(), count * m * n, mode);
      const want = one.read();
      // The GELU changed the values (a test of it, not of the product alone).
      expect(want.filter((v, i) => v !== products[i]).length).toBeGreaterThan(want.length / 2);
      team.run(simd, job(split.at()), [packs.at(), second]);
      expect(split.read()).toEqual(want);
      // The caller does nothing of its own part: the helper's values carry the GELU, the rest is 0.
      const internals = team as unknown as { seq: number; helpers: { control: Int32Array }[] };
      const control = internals.helpers[0]!.control;
      const skip = () => {
        while (Atomics.load(control, 3) !== internals.seq); // CLAIM: the helper has the job
      };
      team.run({ gemm: skip, gemv: skip, gelu: skip }, job(mine.at()), [packs.at(), second]);
      // The helper's part: the last of the three slices; columns from 104 of 203.
      const helpers = (index: number) => (count > 1 ? index >= 2 * m * n : index % n >= 104);
      const got = mine.read();
      got.forEach((v, index) => expect(v).toBe(helpers(index) ? want[index] : 0));
      expect(got.filter((v, index) => helpers(index) && v !== products[index]).length).toBeGreaterThan(0);
    } finally {
      dispose();
    }
  });

  it('a helper that never takes its part: the caller takes it back after its own, and the product is whole', async () => {
    const s = await setup();
    if (!s) return;
    const { backend, simd } = s;
    const memory = (backend as unknown as { wasm: { wasmMemory: WebAssembly.Memory } }).wasm.wasmMemory;
    const shared = (base64: string) => sharedMemoryModule(Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0)));
    const team = (await SimdTeam.start({ kernels: shared(KERNELS_WASM_BASE64), relaxed: null, elementwise: shared(ELEMENTWISE_WASM_BASE64) }, memory, 1)) as SimdTeam;
    expect(team).toBeInstanceOf(SimdTeam);
    // Its Worker ends, but the team is not told.
    (team as unknown as { helpers: { stop(): void }[] }).helpers[0]!.stop();
    const [m, n, k] = [16, 256, 300];
    const a = heapBuffer(backend, m * k, values(m * k, 31));
    const b = heapBuffer(backend, k * n, values(k * n, 32));
    const one = heapBuffer(backend, m * n);
    const split = heapBuffer(backend, m * n);
    const packs = heapBuffer(backend, 2 * gemmScratchFloats(m, 64));
    try {
      const job = { a: a.at(), b: b.at(), c: split.at(), bias: 0, m, n, k, aRow: 4 * k, aCol: 4, bRow: 4 * n, bCol: 4, kc: 64, cRow: 4 * n, count: 1, aStep: 0, bStep: 0, cStep: 0 };
      expect(team.parts(job)).toBe(2);
      simd.gemm(a.at(), b.at(), one.at(), 0, m, n, k, 4 * k, 4, 4 * n, 4, packs.at(), 64, 4 * n);
      const calls: number[][] = [];
      const record = (...args: Parameters<SimdKernels['gemm']>) => { calls.push(args); simd.gemm(...args); };
      team.run({ gemm: record, gemv: record, gelu: simd.gelu }, job, [packs.at(), packs.at() + 4 * gemmScratchFloats(m, 64)]);
      expect(calls).toHaveLength(2); // its own band, then the helper's
      expect(calls.map((c) => c[5])).toEqual([128, 128]);
      expect(split.read()).toEqual(one.read());
    } finally {
      team.stop();
      for (const t of [a, b, one, split, packs]) t.dispose();
    }
  });

  it('small products stay on the calling thread', async () => {
    const s = await setup();
    if (!s) return;
    expect(s.team.parts({ m: 16, n: 64, k: 64, count: 1 })).toBe(1); // 65,536 multiply-adds
    expect(s.team.parts({ m: 3, n: 4096, k: 768, count: 1 })).toBe(2); // bands of columns
    expect(s.team.parts({ m: 6, n: 60, k: 4096, count: 1 })).toBe(1); // too few columns and rows for two bands
    expect(s.team.parts({ m: 128, n: 768, k: 768, count: 1 })).toBe(2);
    // gemv: only long rows (a language model's head), not a GPT-2-small block's 768 to 3072 columns
    expect(s.team.parts({ kernel: 'gemv', m: 1, n: 50257, k: 768, count: 1 })).toBe(2);
    expect(s.team.parts({ kernel: 'gemv', m: 1, n: 3072, k: 3072, count: 1 })).toBe(1);
    expect(s.team.parts({ kernel: 'gemv', m: 1, n: 40000, k: 16, count: 1 })).toBe(1); // 640,000 multiply-adds
  });

  it('dense layers and batched products run on it, within float32 rounding of cpu, without leaks', async () => {
    const s = await setup();
    if (!s) return;
    const x = values(128 * 256, 21);
    const w = values(256 * 192, 22, 0.2);
    const bias = values(192, 23);
    const q = values(12 * 64 * 32, 24);
    const kT = values(12 * 64 * 32, 25);
    const x2 = values(2 * 32, 26);
    const w2 = values(32 * 33000, 27, 0.1);
    const run = () => tf.tidy(() => {
      const h = linear(tf.tensor2d(x, [128, 256]), tf.tensor2d(w, [256, 192]), tf.tensor1d(bias));
      const scores = batchedMatMul(tf.tensor3d(q, [12, 64, 32]), tf.tensor3d(kT, [12, 64, 32]), false, true);
      const step = linear(tf.tensor2d(x2, [2, 32]), tf.tensor2d(w2, [32, 33000]));
      return { h: h.dataSync() as Float32Array, scores: scores.dataSync() as Float32Array, step: step.dataSync() as Float32Array };
    });
    const want = await withBackend('cpu', run);
    const got = await withBackend('wasm', async () => {
      expect(tf.getKernel(FUSED_BATCH_MATMUL, 'wasm')).toBeDefined();
      const { parts, result } = await partsOf(s.team, () => expectNoLeaks(run, 'products on helper threads'));
      // The dense layer (128 rows), the batched product (12 slices) and the two rows over long rows (gemv), each cut in two.
      expect(parts).toEqual([2, 2, 2]);
      return result;
    });
    expectAllClose(got.step, want.step, { atol: 2e-5, rtol: 1e-5, label: 'two rows' });
    expectAllClose(got.h, want.h, { atol: 2e-5, rtol: 1e-5, label: 'dense' });
    expectAllClose(got.scores, want.scores, { atol: 2e-5, rtol: 1e-5, label: 'batched' });
  });

  it.each(['gelu', 'gelu_tanh'] as const)('a dense layer with its GELU inside (%s) is cut in two, each thread applying it: the bits of the product then the GELU kernel', async (activation) => {
    const s = await setup();
    if (!s) return;
    const x = tf.tensor2d(values(128 * 256, 31), [128, 256]);
    const w = tf.tensor2d(values(256 * 192, 32, 0.2), [256, 192]);
    const bias = tf.tensor1d(values(192, 33));
    try {
      const { parts } = await partsOf(s.team, () => expectNoLeaks(async () => {
        const info = await tf.profile(() => linear(x, w, bias, { activation }));
        expect(info.kernels.map((k) => k.name)).toEqual(['TfkitDense']);
        const fused = info.result as tf.Tensor;
        const separate = tf.tidy(() => (activation === 'gelu' ? gelu : geluTanh)(linear(x, w, bias)));
        expect(Buffer.from((fused.dataSync() as Float32Array).buffer).equals(Buffer.from((separate.dataSync() as Float32Array).buffer))).toBe(true);
        tf.dispose([fused, separate]);
      }, 'dense + GELU on helper threads'));
      expect(parts).toEqual([2, 2]);
    } finally {
      tf.dispose([x, w, bias]);
    }
  });

  it("products: 'xnnpack' keeps XNNPACK's operators; one thread stops the helpers", async () => {
    const s = await setup();
    if (!s) return;
    const { team } = s;
    const activation = await useBackend(registry, 'wasm', { threads: 2, products: 'xnnpack' });
    expect(activation.notes[0]).toMatch(/; tfkit's SIMD kernels$/);
    expect(simdTeam(tf.backend())).toBeNull();
    expect(tf.getKernel(FUSED_BATCH_MATMUL, 'wasm')).toBeUndefined();
    expect(team.parts({ m: 128, n: 768, k: 768, count: 1 })).toBe(1); // stopped
    await useBackend(registry, 'wasm', { threads: 2 });
    expect(simdTeam(tf.backend())).not.toBeNull();
    await useBackend(registry, 'wasm', { threads: 1 });
    expect(simdTeam(tf.backend())).toBeNull();
    await expect(useBackend(registry, 'wasm', { threads: 2, products: 'both' as never })).rejects.toThrow(/products must be 'tfkit' or 'xnnpack', got "both"/);
  });
});
