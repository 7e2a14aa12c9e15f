/**
 * tfkit's SIMD product (`gemm` in src/simd/kernels.wat, behind `TfkitDense` and `TfkitBatchMatMul`
 * on single-threaded wasm) against XNNPACK (tfjs-backend-wasm's matMul) on a transformer's dense
 * shapes: BERT-mini's at batch 8 × 128 tokens (forward, the input gradient dY·Wᵀ, the weight
 * gradient Xᵀ·dY) and BERT-base's FFN at batch 1 and 8 × 128 (and its weight gradients at 8 × 128);
 * with GEMM_SMALL=1, 768×768 weights
 * against 1 to 64 rows (where packing per call stops paying).
 *
 * XNNPACK "fresh": the weight is a new tensor each call (as in a training step, where it changes),
 * so XNNPACK packs it, after the explicit transposes tfjs-backend-wasm needs; "cached": the same
 * weight every call (inference). The SIMD product packs eight columns of op(b) and op(a)'s rows four
 * at a time per call, transposed or not; "relaxed" is the same kernel with relaxed SIMD's fused multiply-adds
 * (V8's flag is set here for Node 20; Node 22+ has it on). Best of 11 calls after a warm-up.
 *
 *   npx tsx bench/gemm.ts     (in packages/backends; GEMM_BLOCKS=128,256,512 tries inner blocks;
 *                              GEMM_GPT2=1: GPT-2 small's shapes at 128 tokens, LM head included)
 */
import v8 from 'node:v8';
import * as tf from '@tensorflow/tfjs-core';
import { createRegistry } from '@tfkit/core-tensor';
import { registerAllBackends, useBackend } from '../src/index.js';
import { gemmScratchFloats, setRelaxedSimd, simdKernels } from '../src/simd-kernels.js';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
const registry = createRegistry();
registerAllBackends(registry);
await useBackend(registry, 'wasm', { threads: 1 });
const backend = tf.backend() as unknown as { typedArrayFromHeap(info: tf.TensorInfo): Float32Array };
const relaxed = simdKernels(backend);
setRelaxedSimd(false);
const simd = simdKernels(backend);
if (!simd || !relaxed) throw new Error('this runtime cannot run tfkit’s SIMD kernels');

function seeded(shape: number[], seed: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.sin(seed * 7919 + i * 0.7) * 0.5;
  return tf.tensor(data, shape);
}

function best(fn: () => void, runs = 11): number {
  fn();
  let min = Infinity;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    fn();
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}

const heapAt = (t: tf.Tensor) => backend.typedArrayFromHeap({ dataId: t.dataId, shape: t.shape, dtype: t.dtype }).byteOffset;

/** [label, m, k, n, op(a) transposed, op(b) transposed] */
type Shape = [string, number, number, number, boolean, boolean];
/** GPT-2 small's weights: [label, in, out]. */
const GPT2: [string, number, number][] = [
  ['c_attn', 768, 2304],
  ['attn c_proj', 768, 768],
  ['c_fc', 768, 3072],
  ['c_proj (MLP)', 3072, 768],
  ['LM head', 768, 50257],
];
/** Those of `GPT2` named in `which` (all when omitted) times `m` rows. */
const gpt2 = (m: number, which?: string[]): Shape[] =>
  GPT2.filter(([label]) => !which || which.includes(label)).map(([label, k, n]): Shape => [`GPT-2 ${label}, ${m} row${m === 1 ? '' : 's'}`, m, k, n, false, false]);
const shapes: Shape[] = process.env['GEMM_GPT2']
  ? gpt2(128, ['c_attn', 'c_fc', 'c_proj (MLP)', 'LM head'])
  : process.env['GEMM_DECODE']
  ? [...gpt2(1), ...gpt2(4, ['c_fc', 'LM head'])]
  : process.env['GEMM_SMALL']
  ? [1, 2, 4, 8, 16, 32, 64].map((m): Shape => [`${m} rows`, m, 768, 768, false, false])
  : [
      ['BERT-mini q/k/v/out', 1024, 256, 256, false, false],
      ['BERT-mini FFN in', 1024, 256, 1024, false, false],
      ['BERT-mini FFN out', 1024, 1024, 256, false, false],
      ['BERT-mini FFN in, dX = dY·Wᵀ', 1024, 1024, 256, false, true],
      ['BERT-mini FFN in, dW = Xᵀ·dY', 256, 1024, 1024, true, false],
      ['BERT-base FFN in, b1', 128, 768, 3072, false, false],
      ['BERT-base FFN out, b1', 128, 3072, 768, false, false],
      ['BERT-base FFN in, b8', 1024, 768, 3072, false, false],
      // the weight gradients of BERT-base's FFN at batch 8 × 128: a transposed, its rows 3 and 12 kB
      // apart along the inner axis
      ['BERT-base FFN in, b8, dW = Xᵀ·dY', 768, 1024, 3072, true, false],
      ['BERT-base FFN out, b8, dW = Xᵀ·dY', 3072, 1024, 768, true, false],
    ];
const blocks = (process.env['GEMM_BLOCKS'] ?? '256').split(',').map(Number);
const gflops = (flop: number, ms: number) => (flop / ms / 1e6).toFixed(0);

const relaxedColumn = relaxed.relaxed ? ' relaxed gemm |' : '';
const gemvColumns = ` gemv |${relaxed.relaxed ? ' relaxed gemv |' : ''}`;
console.log('| shape | XNNPACK fresh, ms (GFLOP/s) | XNNPACK cached | ' + blocks.map((kc) => `SIMD gemm, kc ${kc}`).join(' | ') + ` |${relaxedColumn}${gemvColumns}`);
console.log('|---|---|---|' + blocks.map(() => '---').join('|') + `|${relaxed.relaxed ? '---|' : ''}---|${relaxed.relaxed ? '---|' : ''}`);
for (const [label, m, k, n, ta, tb] of shapes) {
  const a = seeded(ta ? [k, m] : [m, k], 1);
  const b = seeded(tb ? [n, k] : [k, n], 2);
  const flop = 2 * m * n * k;
  const fresh = best(() =>
    tf.tidy(() => {
      const w = tf.clone(tb ? tf.transpose(b) : b);
      tf.matMul((ta ? tf.transpose(a) : a) as tf.Tensor2D, w as tf.Tensor2D);
      w.dispose();
    }),
  );
  const w = tb ? tf.transpose(b) : tf.clone(b);
  const cached = best(() => tf.tidy(() => void tf.matMul((ta ? tf.transpose(a) : a) as tf.Tensor2D, w as tf.Tensor2D)));
  const cells = [`${label} (${m}×${k}·${k}×${n})`, `${fresh.toFixed(2)} (${gflops(flop, fresh)})`, `${cached.toFixed(2)} (${gflops(flop, cached)})`];
  for (const kc of blocks) {
    const c = tf.zeros([m, n]);
    const pack = tf.zeros([gemmScratchFloats(m, Math.max(1, Math.min(k, kc)))]);
    const [pa, pb, pc, pp] = [heapAt(a), heapAt(b), heapAt(c), heapAt(pack)];
    const ms = best(() => simd.gemm(pa, pb, pc, 0, m, n, k, ta ? 4 : 4 * k, ta ? 4 * m : 4, tb ? 4 : 4 * n, tb ? 4 * k : 4, pp, kc, 4 * n), 15);
    cells.push(`${ms.toFixed(2)} (${gflops(flop, ms)})`);
    if (relaxed.relaxed && kc === blocks[blocks.length - 1]) {
      const fma = best(() => relaxed.gemm(pa, pb, pc, 0, m, n, k, ta ? 4 : 4 * k, ta ? 4 * m : 4, tb ? 4 : 4 * n, tb ? 4 * k : 4, pp, kc, 4 * n), 15);
      cells.push(`${fma.toFixed(2)} (${gflops(flop, fma)})`);
    }
    tf.dispose([c, pack]);
  }
  // gemv: no packing; op(b)'s columns must be adjacent; four of its rows at a time for long rows (as TfkitDense).
  const c = tf.zeros([m, n]);
  const [pa, pb, pc] = [heapAt(a), heapAt(b), heapAt(c)];
  for (const kernels of relaxed.relaxed ? [simd, relaxed] : [simd]) {
    const ms = tb ? NaN : best(() => kernels.gemv(pa, pb, pc, 0, m, n, k, ta ? 4 : 4 * k, ta ? 4 * m : 4, 4 * n, 4, 0, m * n > 8192 ? 4 : 1, 4 * n), 15);
    cells.push(tb ? '—' : `${ms.toFixed(2)} (${gflops(flop, ms)})`);
  }
  c.dispose();
  console.log(`| ${cells.join(' | ')} |`);
  tf.dispose([a, b, w]);
}
