/**
 * Dense layers and matrix products whose forward *and* backward passes stay on 2-D, untransposed
 * matMuls. tfjs-backend-wasm sends only those to XNNPACK; a transposed or batched matMul takes a
 * scalar loop that is about 13× slower. tfjs's own matMul gradient uses transposed matMuls, so the
 * gradients here transpose explicitly first and then multiply.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../errors.js';

const matMul2dFast = tf.customGrad(((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor2D, tf.Tensor2D];
      const g = dy as tf.Tensor2D;
      // dA = dY · Bᵀ, dB = Aᵀ · dY, each as an explicit transpose + a fast 2-D matMul.
      return [tf.matMul(g, tf.transpose(sb)), tf.matMul(tf.transpose(sa), g)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

/** `a · b` for 2-D tensors, on the fast path in both directions. */
export function matMul2d(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  if (a.rank !== 2 || b.rank !== 2) throw new ShapeError(`matMul2d: expected 2-D tensors, got [${a.shape}] and [${b.shape}]`);
  if (a.shape[1] !== b.shape[0]) throw new ShapeError(`matMul2d: inner dimensions differ: [${a.shape}] · [${b.shape}]`);
  return matMul2dFast(a, b);
}

/**
 * `x · w + b` over the last axis of `x` (any rank ≥ 1), with `w` stored as `[in, out]`.
 * The leading axes are flattened so the product is one 2-D matMul.
 */
export function linear(x: tf.Tensor, weight: tf.Tensor, bias?: tf.Tensor | null): tf.Tensor {
  return tf.tidy(() => {
    const inFeatures = weight.shape[0] as number;
    const outFeatures = weight.shape[1] as number;
    if (weight.rank !== 2) throw new ShapeError(`linear: weight must be 2-D [in, out], got [${weight.shape}]`);
    if (x.shape[x.rank - 1] !== inFeatures) {
      throw new ShapeError(`linear: input's last axis is ${x.shape[x.rank - 1]} but the weight expects ${inFeatures} ([${x.shape}] · [${weight.shape}])`);
    }
    const lead = x.shape.slice(0, -1);
    let y: tf.Tensor = matMul2dFast(tf.reshape(x, [-1, inFeatures]) as tf.Tensor2D, weight as tf.Tensor2D);
    if (bias) y = tf.add(y, bias);
    return tf.reshape(y, [...lead, outFeatures]);
  });
}
