/**
 * Some of tfjs-backend-wasm's kernels taken over for the shapes a forward or training step spends
 * its time in, delegating every other case to the original kernel:
 *
 * - `Transpose` of two adjacent groups of axes with nothing after them — a matrix transpose,
 *   batched or not (`[A, R, C] → [A, C, R]`): the backward pass of every dense layer and of
 *   attention's products transposes its operands so that the products stay on XNNPACK.
 *   tfjs-backend-wasm walks the output in order and reads the input a row apart each time, so
 *   a 1024 × 1024 transpose misses the cache on every value; here it goes in 8 × 8 tiles (the
 *   best of 4–32 on 1024 × 256, 1024 × 1024 and 768 × 3072: 4–10× the original's speed there).
 * - `Sum` over the leading axes (`[N, C] → [C]`, as every bias and norm gradient sums over the
 *   rows): tfjs-backend-wasm first transposes the input so that the summed axes come last, then
 *   sums; here the rows are added into the output one after the other (four columns at a time by
 *   tfkit's SIMD `add` where it runs). Each output value is the same float32 sum in the same order
 *   (row 0 first), so the results are the same bits.
 *
 * - `Slice` and `SplitV` (GPT-2 splits every layer's fused q/k/v projection in three): the
 *   original reads its whole input out of the heap into a fresh JavaScript buffer (`readSync`)
 *   for every slice — three 1.2 MB copies per GPT-2-small layer at 128 tokens, whose garbage made
 *   `SplitV` take 5–126 ms of a forward from one run to the next. Here each run of the last axis
 *   is copied from the heap to the output directly.
 *
 * - `GatherV2` without batch dimensions (every embedding lookup): the original indexes each value
 *   through strides, about 30 ns a value — 3 ms for 128 rows of 768, whatever the table's size, so a
 *   BERT-base forward spent ~9 ms in its three lookups. Here each gathered run (a table row) is one
 *   copy within the heap. Indices are checked as the original checks them; any out of range goes to
 *   the original, which throws its own error.
 *
 * All move 4-byte values (float32, int32) as raw bits; other dtypes go to the original kernels.
 */
import * as tf from '@tensorflow/tfjs-core';
import { simdKernels } from './simd-kernels.js';

interface HeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object): void;
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap };

const TILE = 8;

/** The raw 4-byte words of a tensor on the heap (a view taken after the last allocation). */
function words(backend: HeapBackend, info: tf.TensorInfo): Uint32Array {
  const a = backend.typedArrayFromHeap(info);
  return new Uint32Array(a.buffer, a.byteOffset, (a.byteLength / 4) | 0);
}

/**
 * `perm` as `[A, R, C] → [A, C, R]` over the shape's axis groups (leading axes kept, then two
 * adjacent groups swapped, none after them), or null for any other permutation.
 */
export function matrixTransposeView(shape: readonly number[], perm: readonly number[]): { a: number; r: number; c: number } | null {
  const n = shape.length;
  if (perm.length !== n) return null;
  let lead = 0;
  while (lead < n && perm[lead] === lead) lead++;
  if (lead === n) return null; // identity
  // The rest must be [b, …, n-1, lead, …, b-1]: the tail group first, then the head group.
  const b = perm[lead] as number;
  if (b <= lead) return null;
  for (let i = lead; i < n; i++) {
    const want = i - lead < n - b ? b + (i - lead) : lead + (i - lead - (n - b));
    if (perm[i] !== want) return null;
  }
  const prod = (from: number, to: number) => shape.slice(from, to).reduce((p, d) => p * d, 1);
  return { a: prod(0, lead), r: prod(lead, b), c: prod(b, n) };
}

/** dst[(i·C + c)·R + r] = src[(i·R + r)·C + c] in TILE × TILE tiles. */
export function transposeWords(src: Uint32Array, dst: Uint32Array, a: number, r: number, c: number): void {
  const plane = r * c;
  for (let i = 0, base = 0; i < a; i++, base += plane) {
    for (let r0 = 0; r0 < r; r0 += TILE) {
      const r1 = Math.min(r0 + TILE, r);
      for (let c0 = 0; c0 < c; c0 += TILE) {
        const c1 = Math.min(c0 + TILE, c);
        for (let y = r0; y < r1; y++) {
          let s = base + y * c + c0;
          let d = base + c0 * r + y;
          for (let x = c0; x < c1; x++, s++, d += r) dst[d] = src[s] as number;
        }
      }
    }
  }
}

/** out[j] = Σ_i x[i·cols + j] over rows i in order, each partial sum rounded to float32. */
export function sumRows(x: Float32Array, out: Float32Array, rows: number, cols: number): void {
  out.fill(0);
  for (let i = 0, o = 0; i < rows; i++, o += cols) {
    for (let j = 0; j < cols; j++) out[j] = (out[j] as number) + (x[o + j] as number);
  }
}

function wrapTranspose(original: tf.KernelFunc): tf.KernelFunc {
  return ((args: KernelArgs) => {
    const x = args.inputs['x'] as tf.TensorInfo;
    const perm = (args.attrs?.['perm'] ?? []) as number[];
    const view = x.dtype === 'float32' || x.dtype === 'int32' ? matrixTransposeView(x.shape, perm) : null;
    // Below a few thousand values the original's loop is as fast and the tiles buy nothing.
    if (!view || view.r === 1 || view.c === 1 || view.a * view.r * view.c < 4096) return original(args as unknown as Parameters<tf.KernelFunc>[0]);
    const backend = args.backend as HeapBackend;
    const out = backend.makeOutput(perm.map((p) => x.shape[p] as number), x.dtype);
    transposeWords(words(backend, x), words(backend, out), view.a, view.r, view.c);
    return out;
  }) as unknown as tf.KernelFunc;
}

function wrapSum(original: tf.KernelFunc): tf.KernelFunc {
  return ((args: KernelArgs) => {
    const x = args.inputs['x'] as tf.TensorInfo;
    const rank = x.shape.length;
    const axes = tf.util.parseAxisParam((args.attrs?.['axis'] ?? null) as number | number[], x.shape);
    // Axes as given, in order: tfjs-backend-wasm sums the reduced axes in the order they are
    // listed ([1, 0] walks axis 0 fastest), and only [0, 1, …] walks the rows in memory order.
    const leading = axes.length > 0 && axes.length < rank && axes.every((ax, i) => ax === i);
    if (x.dtype !== 'float32' || !leading) return original(args as unknown as Parameters<tf.KernelFunc>[0]);
    const k = axes.length;
    const rows = x.shape.slice(0, k).reduce((p, d) => p * d, 1);
    const cols = x.shape.slice(k).reduce((p, d) => p * d, 1);
    if (rows < 2 || cols < 2) return original(args as unknown as Parameters<tf.KernelFunc>[0]);
    const keepDims = args.attrs?.['keepDims'] === true;
    const backend = args.backend as HeapBackend;
    const out = backend.makeOutput(keepDims ? [...x.shape.slice(0, k).map(() => 1), ...x.shape.slice(k)] : x.shape.slice(k), 'float32');
    const simd = simdKernels(backend);
    const sums = backend.typedArrayFromHeap(out) as Float32Array;
    if (simd) {
      // The same additions in the same order, four columns at a time: each row added into the sums.
      sums.fill(0);
      const xAt = backend.typedArrayFromHeap(x).byteOffset;
      for (let i = 0; i < rows; i++) simd.add(sums.byteOffset, xAt + 4 * i * cols, sums.byteOffset, cols);
    } else {
      sumRows(backend.typedArrayFromHeap(x) as Float32Array, sums, rows, cols);
    }
    return out;
  }) as unknown as tf.KernelFunc;
}

/**
 * x[begin : begin + size] (per axis) into a new tensor, copying runs along the last axis straight
 * from the heap (an odometer over the other axes); one copy where the slice is contiguous.
 */
function sliceWords(backend: HeapBackend, x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  const n = size.reduce((p, d) => p * d, 1);
  if (n === 0) return out;
  // Views after the allocation: it may grow (and so detach) the heap.
  const src = words(backend, x);
  const dst = words(backend, out);
  const strides = tf.util.computeStrides(x.shape);
  if (tf.slice_util.isSliceContinous(x.shape, begin, size)) {
    const offset = tf.slice_util.computeFlatOffset(begin, strides);
    dst.set(src.subarray(offset, offset + n));
    return out;
  }
  const rank = size.length;
  const run = size[rank - 1]!;
  const index = new Array<number>(Math.max(0, rank - 1)).fill(0);
  for (let o = 0; o < n; o += run) {
    let offset = begin[rank - 1]!;
    for (let ax = 0; ax < rank - 1; ax++) offset += (begin[ax]! + index[ax]!) * strides[ax]!;
    dst.set(src.subarray(offset, offset + run), o);
    for (let ax = rank - 2; ax >= 0; ax--) {
      if (++index[ax]! < size[ax]!) break;
      index[ax] = 0;
    }
  }
  return out;
}

const wordSized = (dtype: tf.DataType) => dtype === 'float32' || dtype === 'int32';

function wrapSlice(original: tf.KernelFunc): tf.KernelFunc {
  return ((args: KernelArgs) => {
    const x = args.inputs['x'] as tf.TensorInfo;
    if (!wordSized(x.dtype) || x.shape.length === 0) return original(args as unknown as Parameters<tf.KernelFunc>[0]);
    const [begin, size] = tf.slice_util.parseSliceParams(x as unknown as tf.Tensor, args.attrs?.['begin'] as number[], args.attrs?.['size'] as number[]) as [number[], number[]];
    tf.slice_util.assertParamsValid(x as unknown as tf.Tensor, begin, size);
    return sliceWords(args.backend as HeapBackend, x, begin, size);
  }) as unknown as tf.KernelFunc;
}

function wrapSplitV(original: tf.KernelFunc): tf.KernelFunc {
  return ((args: KernelArgs) => {
    const x = args.inputs['x'] as tf.TensorInfo;
    if (!wordSized(x.dtype) || x.shape.length === 0) return original(args as unknown as Parameters<tf.KernelFunc>[0]);
    const axis = tf.util.parseAxisParam(args.attrs?.['axis'] as number, x.shape)[0]!;
    const sizes = tf.backend_util.prepareSplitSize(x as unknown as tf.Tensor, args.attrs?.['numOrSizeSplits'] as number | number[], axis);
    const begin = x.shape.map(() => 0);
    return sizes.map((s) => {
      const size = x.shape.slice();
      size[axis] = s;
      const part = sliceWords(args.backend as HeapBackend, x, begin.slice(), size);
      begin[axis]! += s;
      return part;
    });
  }) as unknown as tf.KernelFunc;
}

/**
 * out[o, i, :] = x[o, indices[i], :] over x viewed as [outer, dim, inner], one copy per row. Returns
 * false, writing nothing, when an index is outside [0, dim).
 */
function gatherWords(src: Uint32Array, dst: Uint32Array, indices: Int32Array, outer: number, dim: number, inner: number): boolean {
  if (indices.some((i) => i < 0 || i >= dim)) return false;
  for (let o = 0, d = 0; o < outer; o++) {
    for (const index of indices) {
      const s = (o * dim + index) * inner;
      dst.set(src.subarray(s, s + inner), d);
      d += inner;
    }
  }
  return true;
}

function wrapGatherV2(original: tf.KernelFunc): tf.KernelFunc {
  return ((args: KernelArgs) => {
    const x = args.inputs['x'] as tf.TensorInfo;
    const indices = args.inputs['indices'] as tf.TensorInfo;
    const batchDims = (args.attrs?.['batchDims'] ?? 0) as number;
    if (!wordSized(x.dtype) || indices.dtype !== 'int32' || batchDims !== 0 || x.shape.length === 0) return original(args as unknown as Parameters<tf.KernelFunc>[0]);
    const axis = tf.util.parseAxisParam(args.attrs?.['axis'] as number, x.shape)[0]!;
    const outer = x.shape.slice(0, axis).reduce((p, d) => p * d, 1);
    const inner = x.shape.slice(axis + 1).reduce((p, d) => p * d, 1);
    const backend = args.backend as HeapBackend;
    const shape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
    if (outer * inner === 0 || shape.includes(0)) return original(args as unknown as Parameters<tf.KernelFunc>[0]);
    const out = backend.makeOutput(shape, x.dtype);
    // Views after the allocation: it may grow (and so detach) the heap.
    const ids = backend.typedArrayFromHeap(indices) as Int32Array;
    if (gatherWords(words(backend, x), words(backend, out), ids, outer, x.shape[axis]!, inner)) return out;
    backend.disposeData(out.dataId);
    return original(args as unknown as Parameters<tf.KernelFunc>[0]);
  }) as unknown as tf.KernelFunc;
}

/** tfjs-backend-wasm's own kernels, by name, once replaced (the tests compare with them). */
const originals = new Map<string, tf.KernelFunc>();

/** tfjs-backend-wasm's own `Transpose`, `Sum`, `Slice`, `SplitV` or `GatherV2`, after `installWasmLayoutKernels` replaced it. */
export function originalWasmKernel(name: 'Transpose' | 'Sum' | 'Slice' | 'SplitV' | 'GatherV2'): tf.KernelFunc | undefined {
  return originals.get(name);
}

/** Registers the kernels above over tfjs-backend-wasm's (once; later calls do nothing). */
export function installWasmLayoutKernels(): void {
  for (const [name, wrap] of [['Transpose', wrapTranspose], ['Sum', wrapSum], ['Slice', wrapSlice], ['SplitV', wrapSplitV], ['GatherV2', wrapGatherV2]] as const) {
    if (originals.has(name)) continue;
    const original = tf.getKernel(name, 'wasm');
    if (!original) continue;
    originals.set(name, original.kernelFunc);
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ ...original, kernelFunc: wrap(original.kernelFunc) });
  }
}
