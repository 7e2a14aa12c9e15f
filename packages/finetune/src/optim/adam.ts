/**
 * Adam (Kingma & Ba, 2015) and AdamW (Loshchilov & Hutter, 2019), following torch.optim.Adam /
 * torch.optim.AdamW step for step (amsgrad off): Adam adds weight decay to the gradient (L2),
 * AdamW shrinks the weights directly, `p ← p·(1 − lr·wd)`, before the Adam update.
 */
import * as tf from '@tensorflow/tfjs-core';
import { adamScalars, fusedAdamStep } from './fused-adam.js';
import { hostStorage } from './host-memory.js';
import { Optimizer, type NamedParameter, type OptimizerDefaults, type OptimizerState, type ParamGroup, type ParamGroupInput } from './optimizer.js';

export interface AdamOptions extends OptimizerDefaults {
  betas?: [number, number];
  eps?: number;
  /**
   * Update each parameter in one pass over host memory, in place (default true), on backends that
   * keep tensors there (cpu, wasm): the moments are Float32Arrays outside the tensors (on wasm,
   * outside its heap, which cannot grow past 4 GB), and the new weights go into the gradient's
   * memory when `step` is handed the gradients, so a step makes no temporary tensors. Same
   * results, bit for bit, as the op-by-op update (`false`), which GPU backends always use.
   * `stateDict` returns the moments as tensors either way.
   */
  fused?: boolean;
}

abstract class AdamBase extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly fused: boolean;
  protected abstract readonly decoupled: boolean;
  /** The fused update's moments by parameter name: arrays in host memory, outside the wasm heap. */
  private readonly hostMoments = new Map<string, { m: Float32Array; v: Float32Array; shape: number[] }>();

  constructor(params: NamedParameter[] | ParamGroupInput[], options: AdamOptions) {
    super(params, options);
    [this.beta1, this.beta2] = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.fused = options.fused ?? true;
  }

  protected override fusedUpdate(
    name: string,
    param: tf.Variable,
    grad: tf.Tensor,
    group: ParamGroup,
    t: number,
    slots: Map<string, tf.Tensor>,
    options: { gradScale: number | undefined; gradDisposable: boolean },
  ): boolean {
    if (!this.fused) return false;
    let moments = this.hostMoments.get(name);
    // Moments loaded by loadStateDict (or left by a tensor-op step) move into arrays.
    const mT = slots.get('exp_avg');
    const vT = slots.get('exp_avg_sq');
    if (!moments && mT && vT && hostStorage(param)) {
      moments = { m: Float32Array.from(mT.dataSync() as Float32Array), v: Float32Array.from(vT.dataSync() as Float32Array), shape: mT.shape };
    }
    const scalars = adamScalars({ lr: group.lr, weightDecay: group.weightDecay, beta1: this.beta1, beta2: this.beta2, eps: this.eps, t, decoupled: this.decoupled, gradScale: options.gradScale });
    const out = fusedAdamStep({ param, grad, m: moments?.m, v: moments?.v, gradDisposable: options.gradDisposable, scalars });
    if (!out) {
      // Tensor ops take over (a parameter on a GPU backend): they need the moments as tensors.
      if (moments && !mT) {
        slots.set('exp_avg', tf.tensor(moments.m, moments.shape));
        slots.set('exp_avg_sq', tf.tensor(moments.v, moments.shape));
      }
      this.hostMoments.delete(name);
      return false;
    }
    for (const key of ['exp_avg', 'exp_avg_sq']) {
      slots.get(key)?.dispose();
      slots.delete(key);
    }
    this.hostMoments.set(name, { m: out.m, v: out.v, shape: param.shape });
    return true;
  }

  /** The state, the fused update's moments included (as tensors, which the caller disposes). */
  override stateDict(): OptimizerState {
    const state = super.stateDict();
    for (const [name, { m, v, shape }] of this.hostMoments) {
      state.tensors.set(`${name}.exp_avg`, tf.tensor(m.slice(), shape));
      state.tensors.set(`${name}.exp_avg_sq`, tf.tensor(v.slice(), shape));
    }
    return state;
  }

  protected override disposeState(): void {
    super.disposeState();
    this.hostMoments.clear();
  }

  protected update(param: tf.Tensor, grad: tf.Tensor, group: ParamGroup, t: number, slot: (name: string) => tf.Tensor | undefined) {
    const { lr, weightDecay: wd } = group;
    let p = param;
    let g = grad;
    if (wd !== 0) {
      if (this.decoupled) p = tf.mul(p, 1 - lr * wd);
      else g = tf.add(g, tf.mul(p, wd));
    }
    const m0 = slot('exp_avg');
    const v0 = slot('exp_avg_sq');
    const m = m0 ? tf.add(tf.mul(m0, this.beta1), tf.mul(g, 1 - this.beta1)) : tf.mul(g, 1 - this.beta1);
    const v = v0 ? tf.add(tf.mul(v0, this.beta2), tf.mul(tf.mul(g, g), 1 - this.beta2)) : tf.mul(tf.mul(g, g), 1 - this.beta2);
    const bc1 = 1 - this.beta1 ** t;
    const bc2 = 1 - this.beta2 ** t;
    // p ← p − (lr / bc1) · m / (√v / √bc2 + ε), in PyTorch's order of operations.
    const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(bc2)), this.eps);
    const next = tf.sub(p, tf.mul(tf.div(m, denom), lr / bc1));
    return { param: next, slots: { exp_avg: m, exp_avg_sq: v } };
  }
}

/** Adam with decoupled weight decay (default weight decay 0.01, as torch.optim.AdamW). */
export class AdamW extends AdamBase {
  readonly type = 'adamw';
  protected readonly decoupled = true;
  constructor(params: NamedParameter[] | ParamGroupInput[], options: AdamOptions) {
    super(params, { weightDecay: 0.01, ...options });
  }
}

/** Adam; a non-zero weight decay is L2 regularisation added to the gradient. */
export class Adam extends AdamBase {
  readonly type = 'adam';
  protected readonly decoupled = false;
}
