/**
 * Batched matrix products (attention's q·kᵀ and p·v) with a gradient that takes each backend's
 * fastest route in both directions.
 *
 * On wasm a batched or transposed matMul runs a scalar loop; only a 2-D untransposed one reaches
 * XNNPACK. Splitting the batch into 2-D products costs a few kernel launches per slice, so it pays
 * off once a slice has enough work (see `SPLIT_MIN_MACS`, measured in packages/backends/bench).
 * On cpu, webgl and webgpu the batched kernel is already the fast one. Where a backend registers
 * `TfkitBatchMatMul` (tfkit's SIMD product on single-threaded wasm) every slice goes to it in one call.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../errors.js';
import { FUSED_BATCH_MATMUL, hasFusedKernel } from './fused-kernels.js';

/**
 * Multiply-accumulates per 2-D slice above which wasm runs a batch as separate 2-D XNNPACK
 * matMuls. Below it the per-slice launches cost more than the scalar loop they replace.
 */
export const SPLIT_MIN_MACS = 65_536;

function lastTwoTransposed(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_, i) => i);
  perm[x.rank - 2] = x.rank - 1;
  perm[x.rank - 1] = x.rank - 2;
  return tf.transpose(x, perm);
}

/** op(a)·op(b) on the route that is fastest for the active backend. Not differentiable itself. */
function product(a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean): tf.Tensor {
  const r = a.rank;
  const m = a.shape[transposeA ? r - 1 : r - 2] as number;
  const k = a.shape[transposeA ? r - 2 : r - 1] as number;
  const n = b.shape[transposeB ? r - 2 : r - 1] as number;
  const batchShape = a.shape.slice(0, -2);
  const batch = batchShape.reduce((p, d) => p * d, 1);
  if (tf.getBackend() !== 'wasm' || a.dtype !== 'float32' || b.dtype !== 'float32') {
    return tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, transposeA, transposeB);
  }
  // A backend's own batched kernel (tfkit's SIMD product on wasm): one call for every slice.
  if (m >= 4 && n >= 8 && hasFusedKernel(FUSED_BATCH_MATMUL, a, b)) {
    const a3 = tf.reshape(a, [batch, transposeA ? k : m, transposeA ? m : k]);
    const b3 = tf.reshape(b, [batch, transposeB ? n : k, transposeB ? k : n]);
    const c = tf.engine().runKernel(FUSED_BATCH_MATMUL, { a: a3, b: b3 }, { transposeA, transposeB }) as tf.Tensor;
    return tf.reshape(c, [...batchShape, m, n]);
  }
  if (batch > 1 && m * k * n < SPLIT_MIN_MACS) {
    // One query row against n keys (a decoding step's q·kᵀ): the scalar loop runs about twice as
    // fast as b·aᵀ, [n, 1] per slice, which is the same memory as the [1, n] wanted.
    if (m === 1 && !transposeA && transposeB) return tf.reshape(tf.matMul(b as tf.Tensor3D, a as tf.Tensor3D, false, true), [...batchShape, 1, n]);
    return tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, transposeA, transposeB);
  }
  // wasm: explicit transposes, then one 2-D XNNPACK matMul per slice.
  const a3 = tf.reshape(transposeA ? lastTwoTransposed(a) : a, [batch, m, k]);
  const b3 = tf.reshape(transposeB ? lastTwoTransposed(b) : b, [batch, k, n]);
  if (batch === 1) return tf.reshape(tf.matMul(tf.reshape(a3, [m, k]) as tf.Tensor2D, tf.reshape(b3, [k, n]) as tf.Tensor2D), [...batchShape, m, n]);
  // Slices are cut and the results assembled with typed-array copies: tfjs-wasm's Slice, Unpack and
  // Pack kernels run JavaScript loops that cost more than the products themselves (≈ 8 ms to unstack
  // 12×128×128 against ≈ 1.7 ms for these copies). This function is not differentiated through
  // (it runs inside the custom-gradient ops below), so leaving the tape here is fine.
  const aData = a3.dataSync() as Float32Array;
  const bData = b3.dataSync() as Float32Array;
  const out = new Float32Array(batch * m * n);
  for (let i = 0; i < batch; i++) {
    tf.tidy(() => {
      const ai = tf.tensor2d(aData.subarray(i * m * k, (i + 1) * m * k), [m, k]);
      const bi = tf.tensor2d(bData.subarray(i * k * n, (i + 1) * k * n), [k, n]);
      out.set(tf.matMul(ai, bi).dataSync() as Float32Array, i * m * n);
    });
  }
  return tf.tensor(out, [...batchShape, m, n]);
}

function batchedOp(transposeA: boolean, transposeB: boolean): (a: tf.Tensor, b: tf.Tensor) => tf.Tensor {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([a, b]);
    return {
      value: product(a, b, transposeA, transposeB),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sa, sb] = saved as [tf.Tensor, tf.Tensor];
        const g = dy as tf.Tensor;
        // c = op(a)·op(b); each gradient is again a batched product, routed the same way.
        if (!transposeA && !transposeB) return [product(g, sb, false, true), product(sa, g, true, false)];
        if (!transposeA && transposeB) return [product(g, sb, false, false), product(g, sa, true, false)];
        if (transposeA && !transposeB) return [product(sb, g, false, true), product(sa, g, false, false)];
        return [product(sb, g, true, true), product(g, sa, true, true)];
      },
    };
  }) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;
}

const OPS = [batchedOp(false, false), batchedOp(false, true), batchedOp(true, false), batchedOp(true, true)] as const;

/**
 * `op(a) · op(b)` over matching leading (batch) axes, where `op` transposes the last two axes when
 * asked: `a` `[..., m, k]`, `b` `[..., k, n]` → `[..., m, n]`. Differentiable; forward and
 * backward use 2-D XNNPACK matMuls on wasm when the slices are large enough.
 */
export function batchedMatMul(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor {
  if (a.rank < 2 || a.rank !== b.rank) {
    throw new ShapeError(`batchedMatMul: expected tensors of the same rank ≥ 2, got [${a.shape}] and [${b.shape}]`);
  }
  const r = a.rank;
  for (let i = 0; i < r - 2; i++) {
    if (a.shape[i] !== b.shape[i]) {
      throw new ShapeError(`batchedMatMul: batch axes differ: [${a.shape}] and [${b.shape}] (broadcast them explicitly first)`);
    }
  }
  const ka = a.shape[transposeA ? r - 2 : r - 1];
  const kb = b.shape[transposeB ? r - 1 : r - 2];
  if (ka !== kb) {
    throw new ShapeError(`batchedMatMul: inner dimensions differ (${ka} vs ${kb}) for [${a.shape}]${transposeA ? 'ᵀ' : ''} · [${b.shape}]${transposeB ? 'ᵀ' : ''}`);
  }
  return (OPS[(transposeA ? 2 : 0) + (transposeB ? 1 : 0)] as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor)(a, b);
}
