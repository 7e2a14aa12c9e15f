/**
 * Adam / AdamW for one parameter in one pass over host memory (tfjs-backend-cpu and -wasm), with
 * no temporary tensors: the moments are plain Float32Arrays updated in place — outside the wasm
 * heap, which cannot grow past 4 GB — the new parameter values are written into the gradient's
 * own memory when the caller hands the gradient over (else into one new tensor), and the
 * parameter takes that memory (`assign`), so its old memory is freed. Training BERT-base this
 * way puts parameters + gradients + activations on the wasm heap, where the op-by-op update also
 * kept both moments and made about ten temporaries of each parameter's size.
 *
 * Every operation is rounded to float32 in the order of the op-by-op update (adam.ts), so the two
 * give the same bits: a float64 product, quotient, sum or square root of float32 values rounded
 * once to float32 is the correctly rounded float32 result (53 ≥ 2·24 + 2 bits).
 */
import * as tf from '@tensorflow/tfjs-core';
import { hostStorage } from './host-memory.js';
import { adamKernelSimd } from './simd-adam.js';

const f = Math.fround;

/** The scalars of one update, each a float32 as the op-by-op update's scalar tensors hold it. */
export interface AdamScalars {
  /** Gradient multiplier (global-norm clipping), or undefined for none. */
  gradScale: number | undefined;
  /** AdamW: the weight multiplier 1 − lr·wd, or undefined when wd is 0 or the decay is L2. */
  decay: number | undefined;
  /** Adam: the L2 weight-decay coefficient added to the gradient, or undefined. */
  l2: number | undefined;
  beta1: number;
  beta2: number;
  /** 1 − β₁ and 1 − β₂, rounded from the float64 β's as `tf.mul(g, 1 - beta1)` rounds them. */
  oneMinusBeta1: number;
  oneMinusBeta2: number;
  /** √(1 − β₂ᵗ). */
  sqrtBc2: number;
  eps: number;
  /** lr / (1 − β₁ᵗ). */
  stepSize: number;
}

export function adamScalars(o: { lr: number; weightDecay: number; beta1: number; beta2: number; eps: number; t: number; decoupled: boolean; gradScale?: number }): AdamScalars {
  const wd = o.weightDecay;
  return {
    gradScale: o.gradScale === undefined ? undefined : f(o.gradScale),
    decay: wd !== 0 && o.decoupled ? f(1 - o.lr * wd) : undefined,
    l2: wd !== 0 && !o.decoupled ? f(wd) : undefined,
    beta1: f(o.beta1),
    beta2: f(o.beta2),
    oneMinusBeta1: f(1 - o.beta1),
    oneMinusBeta2: f(1 - o.beta2),
    sqrtBc2: f(Math.sqrt(1 - o.beta2 ** o.t)),
    eps: f(o.eps),
    stepSize: f(o.lr / (1 - o.beta1 ** o.t)),
  };
}

/**
 * The element loop. Reads p, g, m, v at index i before writing pOut, mOut, vOut at i, so an output
 * may be the same memory as an input (pOut = g, mOut = m, vOut = v). Without previous moments
 * (`m`, `v` null: the first step) they start as `(1 − β₁)·g` and `(1 − β₂)·g²`, as in adam.ts.
 */
export function adamKernel(p: Float32Array, g: Float32Array, m: Float32Array | null, v: Float32Array | null, pOut: Float32Array, mOut: Float32Array, vOut: Float32Array, s: AdamScalars): void {
  const n = p.length;
  const { beta1, beta2, sqrtBc2, eps, stepSize, oneMinusBeta1: ob1, oneMinusBeta2: ob2 } = s;
  const scale = s.gradScale ?? 1;
  const hasScale = s.gradScale !== undefined;
  const decay = s.decay ?? 1;
  const hasDecay = s.decay !== undefined;
  const l2 = s.l2 ?? 0;
  const hasL2 = s.l2 !== undefined;
  const first = !m || !v;
  const m0 = m ?? mOut;
  const v0 = v ?? vOut;
  for (let i = 0; i < n; i++) {
    let gi = g[i] as number;
    let pi = p[i] as number;
    if (hasScale) gi = f(gi * scale);
    if (hasDecay) pi = f(pi * decay);
    else if (hasL2) gi = f(gi + f(pi * l2));
    const gg = f(gi * gi);
    const mi = first ? f(gi * ob1) : f(f((m0[i] as number) * beta1) + f(gi * ob1));
    const vi = first ? f(gg * ob2) : f(f((v0[i] as number) * beta2) + f(gg * ob2));
    mOut[i] = mi;
    vOut[i] = vi;
    const denom = f(f(f(Math.sqrt(vi)) / sqrtBc2) + eps);
    pOut[i] = f(pi - f(f(mi / denom) * stepSize));
  }
}

export interface FusedAdamInput {
  param: tf.Variable;
  grad: tf.Tensor;
  /** The moments, as arrays the optimizer holds (undefined at the parameter's first step). */
  m: Float32Array | undefined;
  v: Float32Array | undefined;
  /** The gradient is the caller's to give away: its memory may receive the new parameter values. */
  gradDisposable: boolean;
  scalars: AdamScalars;
}

/**
 * Updates `param` (by `assign`) and the moments (in place; new zero-based arrays at the first
 * step), and returns the moments. Returns undefined, having changed nothing, when the parameter
 * or the gradient is not in host memory, or they live on different backends: the caller then
 * uses tensor ops.
 */
export function fusedAdamStep(x: FusedAdamInput): { m: Float32Array; v: Float32Array } | undefined {
  const p = hostStorage(x.param);
  const g = hostStorage(x.grad);
  const n = x.param.size;
  if (!p || !g || g.backend !== p.backend || x.grad.size !== n) return undefined;
  if (!x.m !== !x.v || (x.m && x.m.length !== n) || (x.v && x.v.length !== n)) return undefined;
  // Allocate the output first: an allocation may grow (and so detach) the wasm heap.
  const pOutT = x.gradDisposable && g.exclusive ? x.grad : tf.zeros(x.param.shape);
  const pOut = hostStorage(pOutT);
  if (pOut?.backend !== p.backend) {
    if (pOutT !== x.grad) pOutT.dispose();
    return undefined;
  }
  const m = x.m ?? new Float32Array(n);
  const v = x.v ?? new Float32Array(n);
  const [pv, gv, ov] = [p.view(), g.view(), pOut.view()];
  if (!adamKernelSimd(pv, gv, x.m ?? null, x.v ?? null, ov, m, v, x.scalars)) adamKernel(pv, gv, x.m ?? null, x.v ?? null, ov, m, v, x.scalars);
  pOut.markWritten();
  // The parameter takes the output's memory (a new data id, so caches of the old value are
  // remade); its old memory is freed. When the output is the gradient, the caller's dispose of
  // the gradient then drops only its own reference.
  x.param.assign(pOutT);
  if (pOutT !== x.grad) pOutT.dispose();
  return { m, v };
}
