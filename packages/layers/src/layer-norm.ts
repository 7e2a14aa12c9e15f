/**
 * Layer normalisation (Ba et al., 2016) over the last axis: γ ⊙ (x − μ) / √(σ² + ε) + β,
 * with μ and σ² the mean and (biased) variance of each row.
 */
import * as tf from '@tensorflow/tfjs-core';
import { addLayerNorm, layerNorm, type AddLayerNormResult } from '@tfkit/core-tensor';
import { Module, Parameter } from './module.js';

export class LayerNorm extends Module {
  readonly normalizedShape: number;
  readonly eps: number;
  weight: Parameter | null;
  bias: Parameter | null;

  constructor(normalizedShape: number, options: { eps?: number; elementwiseAffine?: boolean; bias?: boolean } = {}) {
    super();
    this.normalizedShape = normalizedShape;
    this.eps = options.eps ?? 1e-5;
    const affine = options.elementwiseAffine ?? true;
    this.weight = affine ? Parameter.adopt(tf.ones([normalizedShape])) : null;
    this.bias = affine && (options.bias ?? true) ? Parameter.adopt(tf.zeros([normalizedShape])) : null;
  }

  forward(x: tf.Tensor): tf.Tensor {
    return layerNorm(x, this.weight?.value ?? null, this.bias?.value ?? null, this.eps);
  }

  /**
   * `x + residual` (a pre-norm block's residual stream) and its normalisation: one fused kernel
   * where the backend has it (tfkit's wasm kernels), `tf.add` and `forward` otherwise.
   */
  forwardAdd(x: tf.Tensor, residual: tf.Tensor): AddLayerNormResult {
    return addLayerNorm(x, residual, this.weight?.value ?? null, this.bias?.value ?? null, this.eps);
  }
}
