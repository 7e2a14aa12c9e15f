/**
 * Dense layers and matrix products whose forward *and* backward passes take each backend's fast
 * route. tfjs-backend-wasm sends only 2-D, untransposed matMuls to XNNPACK; a transposed or
 * batched matMul takes a scalar loop that is about 13× slower. tfjs's own matMul gradient uses
 * transposed matMuls, so the gradients here either run the backend's `TfkitBatchMatMul` (tfkit's
 * SIMD product on single-threaded wasm, which reads a transposed operand in place) or transpose
 * explicitly first and then multiply.
 *
 * `linear` is one custom-gradient op from input to output (reshapes and bias included): its
 * backward pass needs no gradient registered by tfjs and runs two products (cpu, webgl and webgpu
 * take transposed operands directly). Where the backend has a fused `TfkitDense` kernel (tfkit's
 * wasm kernels), the forward pass is that one kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../errors.js';
import { gelu, geluTanh } from './activations.js';
import { denseWeightTransient, FUSED_BATCH_MATMUL, FUSED_DENSE, FUSED_GELU, hasFusedElementwise, hasFusedKernel, recordingGradients } from './fused-kernels.js';
import { gradientNeeded, skippedGradient } from './needed-gradients.js';

/** op(a)·op(b) for 2-D operands as one `TfkitBatchMatMul` (a batch of one), transposes read in place. */
function fusedProduct(a: tf.Tensor2D, b: tf.Tensor2D, transposeA: boolean, transposeB: boolean): tf.Tensor2D {
  const m = a.shape[transposeA ? 1 : 0];
  const n = b.shape[transposeB ? 0 : 1];
  const c = tf.engine().runKernel(FUSED_BATCH_MATMUL, { a: tf.reshape(a, [1, ...a.shape]), b: tf.reshape(b, [1, ...b.shape]) }, { transposeA, transposeB }) as tf.Tensor;
  return tf.reshape(c, [m, n]);
}

/**
 * g · bᵀ for 2-D `g` (N, n) and `b` (k, n). Where the backend has `TfkitBatchMatMul` (tfkit's
 * SIMD product on wasm), that, reading bᵀ in place. Otherwise on wasm XNNPACK packs its right
 * operand anew for every tensor it has not seen, so the product is arranged to pack the smaller
 * one: bᵀ (k·n values, transposed and packed) or, for few rows, (b · gᵀ)ᵀ (transposing and
 * packing g, then transposing the N·k result). Elsewhere the transpose flag is free.
 */
function timesTransposed(g: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  if (hasFusedKernel(FUSED_BATCH_MATMUL, g, b)) return fusedProduct(g, b, false, true);
  if (tf.getBackend() !== 'wasm') return tf.matMul(g, b, false, true);
  const [rows, n] = g.shape;
  const k = b.shape[0];
  if (rows * (k + 2 * n) < 2 * k * n) return tf.transpose(tf.matMul(b, tf.transpose(g))) as tf.Tensor2D;
  return tf.matMul(g, tf.transpose(b));
}

/** aᵀ · g for 2-D `a` (N, k) and `g` (N, n): `TfkitBatchMatMul` where the backend has it, an explicit transpose on wasm, the flag elsewhere. */
function transposedTimes(a: tf.Tensor2D, g: tf.Tensor2D): tf.Tensor2D {
  if (hasFusedKernel(FUSED_BATCH_MATMUL, a, g)) return fusedProduct(a, g, true, false);
  return tf.getBackend() === 'wasm' ? tf.matMul(tf.transpose(a), g) : tf.matMul(a, g, true, false);
}

const matMul2dFast = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([a, b]);
  return {
    // 16 rows or more: the backend's TfkitBatchMatMul where it has one (fewer: packing b per call
    // costs about what the product does, and XNNPACK, which caches b, is as fast or faster).
    value: a.shape[0] >= 16 && hasFusedKernel(FUSED_BATCH_MATMUL, a, b) ? fusedProduct(a, b, false, false) : tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor2D, tf.Tensor2D];
      const g = dy as tf.Tensor2D;
      // dA = dY · Bᵀ, dB = Aᵀ · dY, on 2-D untransposed matMuls where that matters (wasm); only
      // those the backward pass needs (not a frozen weight's).
      return [gradientNeeded(0) ? timesTransposed(g, sb) : skippedGradient(), gradientNeeded(1) ? transposedTimes(sa, g) : skippedGradient()];
    },
  };
}) as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

/** `a · b` for 2-D tensors, on the fast path in both directions. */
export function matMul2d(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  if (a.rank !== 2 || b.rank !== 2) throw new ShapeError(`matMul2d: expected 2-D tensors, got [${a.shape}] and [${b.shape}]`);
  if (a.shape[1] !== b.shape[0]) throw new ShapeError(`matMul2d: inner dimensions differ: [${a.shape}] · [${b.shape}]`);
  return matMul2dFast(a, b);
}

/**
 * Forward and backward of `x · w (+ b)` for `x` `[..., in]`, `w` `[in, out]`, `b` `[out]`. With
 * `fused`, the forward is the backend's `TfkitDense` kernel (one kernel for the reshapes, the
 * product and the bias); the backward pass is the same either way.
 */
function denseOp(withBias: boolean, fused: boolean): (...inputs: tf.Tensor[]) => tf.Tensor {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const [x, w, b] = args as tf.Tensor[];
    const xShape = x!.shape;
    const [inF, outF] = w!.shape as [number, number];
    let value: tf.Tensor;
    if (fused) {
      save([x!, w!]);
      const inputs: tf.NamedTensorMap = withBias ? { x: x!, weight: w!, bias: b! } : { x: x!, weight: w! };
      value = tf.engine().runKernel(FUSED_DENSE, inputs, { transientWeight: denseWeightTransient() }) as tf.Tensor;
    } else {
      const x2 = tf.reshape(x!, [-1, inF]) as tf.Tensor2D; // (N, in)
      save([x2, w!]);
      let y: tf.Tensor = tf.matMul(x2, w as tf.Tensor2D); // (N, out)
      if (withBias) y = tf.add(y, b!);
      value = tf.reshape(y, [...xShape.slice(0, -1), outF]);
    }
    return {
      value,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sx, sw] = saved as [tf.Tensor, tf.Tensor2D];
        const sx2 = (sx.rank === 2 ? sx : tf.reshape(sx, [-1, inF])) as tf.Tensor2D;
        const dy2 = tf.reshape(dy as tf.Tensor, [-1, outF]) as tf.Tensor2D; // (N, out)
        // Only the gradients the backward pass needs: none for a frozen weight or bias (LoRA), no dx
        // below the first trainable layer.
        const dx = gradientNeeded(0) ? tf.reshape(timesTransposed(dy2, sw), xShape) : skippedGradient(); // (N, out)·(out, in)
        const dw = gradientNeeded(1) ? transposedTimes(sx2, dy2) : skippedGradient(); // (in, N)·(N, out)
        if (!withBias) return [dx, dw];
        return [dx, dw, gradientNeeded(2) ? tf.reshape(tf.sum(dy2, 0), b!.shape) : skippedGradient()];
      },
    };
  });
}

const dense = denseOp(false, false);
const denseBias = denseOp(true, false);
const fusedDense = denseOp(false, true);
const fusedDenseBias = denseOp(true, true);

/** A GELU `linear` may apply to its output (`'gelu'`: exact, `'gelu_tanh'`: the tanh approximation, GPT-2's). */
export type LinearActivation = 'gelu' | 'gelu_tanh';

/**
 * `x · w + b` over the last axis of `x` (any rank ≥ 1), with `w` stored as `[in, out]`.
 * The leading axes are flattened so the product is one 2-D matMul. With `activation`, the GELU
 * of that (as `gelu` / `geluTanh` give it): one `TfkitDense` kernel for both where the backend
 * has it and no gradient is recorded (a decoding step's FFN), the two ops otherwise.
 */
export function linear(x: tf.Tensor, weight: tf.Tensor, bias?: tf.Tensor | null, options: { activation?: LinearActivation } = {}): tf.Tensor {
  if (weight.rank !== 2) throw new ShapeError(`linear: weight must be 2-D [in, out], got [${weight.shape}]`);
  const [inFeatures, outFeatures] = weight.shape as [number, number];
  if (x.shape[x.rank - 1] !== inFeatures) {
    throw new ShapeError(`linear: input's last axis is ${x.shape[x.rank - 1]} but the weight expects ${inFeatures} ([${x.shape}] · [${weight.shape}])`);
  }
  if (bias && bias.size !== outFeatures) {
    throw new ShapeError(`linear: bias has ${bias.size} elements ([${bias.shape}]) but the weight has ${outFeatures} outputs`);
  }
  // The fused kernel takes float32, a rank-1 bias and at least one row; anything else is composite.
  const fused = x.size > 0 && (!bias || bias.rank === 1) && hasFusedKernel(FUSED_DENSE, x, weight, bias);
  const activation = options.activation;
  if (fused && !recordingGradients()) {
    // Nothing recorded (inference, decoding): the kernel alone, without the custom-gradient scope,
    // and the GELU in it where the elementwise kernels would have taken it too.
    const inputs: tf.NamedTensorMap = bias ? { x, weight, bias } : { x, weight };
    const outSize = (x.size / inFeatures) * outFeatures;
    // Only where `gelu`/`geluTanh` would run the fused GELU kernel, whose values the dense kernel's GELU are.
    const inKernel = activation !== undefined && hasFusedElementwise(FUSED_GELU, x, outSize);
    const attrs = { transientWeight: denseWeightTransient(), ...(inKernel ? { activation } : {}) };
    if (!activation || inKernel) return tf.engine().runKernel(FUSED_DENSE, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  }
  const product = () => (bias ? (fused ? fusedDenseBias : denseBias)(x, weight, bias) : (fused ? fusedDense : dense)(x, weight));
  if (!activation) return product();
  return tf.tidy(() => (activation === 'gelu' ? gelu(product()) : geluTanh(product())));
}
