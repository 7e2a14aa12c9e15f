/**
 * Layer normalisation over the last axis: γ · (x − μ) / √(σ² + ε) + β, with a hand-written
 * gradient. Autodiff through mean/sub/mul/rsqrt records about twenty backward kernels; the closed
 * form below needs about ten, which is what a training step spends on every layer norm.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_ADD_LAYER_NORM, FUSED_LAYER_NORM, hasFusedKernel, recordingGradients } from './fused-kernels.js';

/**
 * Gradient of y = x̂·γ + β with x̂ = (x − μ)·r, r = 1/√(σ² + ε), over the last axis of length C:
 *   dβ = Σ dy,  dγ = Σ dy·x̂  (sums over every leading axis)
 *   dx = r · (g − mean(g) − x̂ · mean(g·x̂)),  g = dy·γ
 */
function layerNormOp(hasGamma: boolean, hasBeta: boolean, epsilon: number): (...inputs: tf.Tensor[]) => tf.Tensor {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const x = args[0] as tf.Tensor;
    const gamma = hasGamma ? (args[1] as tf.Tensor) : null;
    const beta = hasBeta ? (args[hasGamma ? 2 : 1] as tf.Tensor) : null;
    const axis = x.rank - 1;
    const betaShape = beta?.shape;
    const mean = tf.mean(x, axis, true);
    const centered = tf.sub(x, mean);
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.mul(centered, centered), axis, true), epsilon)); // (..., 1)
    const xhat = tf.mul(centered, rstd);
    let y = gamma ? tf.mul(xhat, gamma) : xhat;
    if (beta) y = tf.add(y, beta);
    save(gamma ? [xhat, rstd, gamma] : [xhat, rstd]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sXhat, sRstd, sGamma] = saved as [tf.Tensor, tf.Tensor, tf.Tensor | undefined];
        const g = dy as tf.Tensor;
        const lead = g.shape.slice(0, -1).map((_, i) => i);
        const gx = sGamma ? tf.mul(g, sGamma) : g;
        const meanG = tf.mean(gx, axis, true);
        const meanGX = tf.mean(tf.mul(gx, sXhat), axis, true);
        const dx = tf.mul(sRstd, tf.sub(tf.sub(gx, meanG), tf.mul(sXhat, meanGX)));
        const grads = [dx];
        if (sGamma) grads.push(tf.reshape(tf.sum(tf.mul(g, sXhat), lead), sGamma.shape));
        if (betaShape) grads.push(tf.reshape(tf.sum(g, lead), betaShape));
        return grads;
      },
    };
  });
}

/**
 * The same op through a backend's fused `TfkitLayerNorm` kernel (one kernel forward). It saves x,
 * the row means and rstd; the backward pass rebuilds x̂ from them (two kernels) and goes on as above.
 */
function fusedLayerNormOp(hasGamma: boolean, hasBeta: boolean, epsilon: number): (...inputs: tf.Tensor[]) => tf.Tensor {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const x = args[0] as tf.Tensor;
    const gamma = hasGamma ? (args[1] as tf.Tensor) : null;
    const beta = hasBeta ? (args[hasGamma ? 2 : 1] as tf.Tensor) : null;
    const inputs: tf.NamedTensorMap = { x };
    if (gamma) inputs['gamma'] = gamma;
    if (beta) inputs['beta'] = beta;
    const [y, mean, rstd] = tf.engine().runKernel(FUSED_LAYER_NORM, inputs, { epsilon } as unknown as tf.NamedAttrMap) as tf.Tensor[];
    save(gamma ? [x, mean!, rstd!, gamma] : [x, mean!, rstd!]);
    const betaShape = beta?.shape;
    return {
      value: y!,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sx, sMean, sRstd, sGamma] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined];
        const g = dy as tf.Tensor;
        const axis = g.rank - 1;
        const lead = g.shape.slice(0, -1).map((_, i) => i);
        const xhat = tf.mul(tf.sub(sx, sMean), sRstd);
        const gx = sGamma ? tf.mul(g, sGamma) : g;
        const meanG = tf.mean(gx, axis, true);
        const meanGX = tf.mean(tf.mul(gx, xhat), axis, true);
        const dx = tf.mul(sRstd, tf.sub(tf.sub(gx, meanG), tf.mul(xhat, meanGX)));
        const grads = [dx];
        if (sGamma) grads.push(tf.reshape(tf.sum(tf.mul(g, xhat), lead), sGamma.shape));
        if (betaShape) grads.push(tf.reshape(tf.sum(g, lead), betaShape));
        return grads;
      },
    };
  });
}

export function layerNorm(x: tf.Tensor, gamma: tf.Tensor | null, beta: tf.Tensor | null, epsilon = 1e-5): tf.Tensor {
  const inputs = [x, gamma, beta].filter((t): t is tf.Tensor => t != null);
  const op = hasFusedKernel(FUSED_LAYER_NORM, x, gamma, beta) ? fusedLayerNormOp : layerNormOp;
  return op(gamma != null, beta != null, epsilon)(...inputs);
}

/** What `addLayerNorm` returns: the new residual stream and its normalisation. */
export interface AddLayerNormResult {
  /** `x + residual` */
  sum: tf.Tensor;
  /** `layerNorm(x + residual, gamma, beta, epsilon)` */
  normed: tf.Tensor;
}

/**
 * Gradient of `TfkitAddLayerNorm`'s outputs `[sum, y, mean, rstd]` (mean and rstd are not
 * differentiated: tfjs hands zeros for them): with x̂ = (sum − mean)·rstd and g = dy·γ,
 *   d(x + residual) = dsum + rstd · (g − mean(g) − x̂ · mean(g·x̂)),  dγ = Σ dy·x̂,  dβ = Σ dy.
 * Registered once, the first time the fused op runs.
 */
function registerAddLayerNormGradient(): void {
  if (tf.getGradient(FUSED_ADD_LAYER_NORM) !== undefined) return;
  tf.registerGradient({
    kernelName: FUSED_ADD_LAYER_NORM,
    inputsToSave: ['gamma'],
    outputsToSave: [true, false, true, true],
    gradFunc: (dys: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [dSum, dy] = dys as tf.Tensor[];
      const [gamma, sum, mean, rstd] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
      const axis = sum.rank - 1;
      const lead = sum.shape.slice(0, -1).map((_, i) => i);
      const g = dy!;
      const xhat = tf.mul(tf.sub(sum, mean), rstd);
      const gx = tf.mul(g, gamma);
      const meanG = tf.mean(gx, axis, true);
      const meanGX = tf.mean(tf.mul(gx, xhat), axis, true);
      const dTotal = tf.add(dSum!, tf.mul(rstd, tf.sub(tf.sub(gx, meanG), tf.mul(xhat, meanGX))));
      return {
        x: () => dTotal,
        residual: () => dTotal,
        gamma: () => tf.reshape(tf.sum(tf.mul(g, xhat), lead), gamma.shape),
        beta: () => tf.reshape(tf.sum(g, lead), gamma.shape),
      };
    },
  });
}

/**
 * `x + residual` and its layer normalisation over the last axis, as a pre-norm transformer adds a
 * sublayer's output to the residual stream and normalises the result for the next sublayer. Where
 * the backend has a fused `TfkitAddLayerNorm` kernel (tfkit's wasm kernels) and both γ and β are
 * given, that is one kernel forward; otherwise `tf.add` and `layerNorm`. Differentiable either way.
 */
export function addLayerNorm(x: tf.Tensor, residual: tf.Tensor, gamma: tf.Tensor | null, beta: tf.Tensor | null, epsilon = 1e-5): AddLayerNormResult {
  const fused = gamma != null && beta != null && x.shape.length === residual.shape.length && x.shape.every((d, i) => d === residual.shape[i])
    && hasFusedKernel(FUSED_ADD_LAYER_NORM, x, residual, gamma, beta);
  if (!fused) {
    const sum = tf.add(x, residual);
    return { sum, normed: layerNorm(sum, gamma, beta, epsilon) };
  }
  if (!recordingGradients()) {
    // Nothing recorded: the row statistics are not needed, and the kernel leaves them out.
    const [sum, normed] = tf.engine().runKernel(FUSED_ADD_LAYER_NORM, { x, residual, gamma, beta }, { epsilon, withStats: false } as unknown as tf.NamedAttrMap) as tf.Tensor[];
    return { sum: sum!, normed: normed! };
  }
  registerAddLayerNormGradient();
  const [sum, normed, mean, rstd] = tf.engine().runKernel(
    FUSED_ADD_LAYER_NORM, { x, residual, gamma, beta }, { epsilon } as unknown as tf.NamedAttrMap,
  ) as tf.Tensor[];
  // The row statistics serve the backward pass only (the tape keeps its own references).
  tf.dispose([mean!, rstd!]);
  return { sum: sum!, normed: normed! };
}
