/**
 * Adam (Kingma & Ba, 2015) and AdamW (Loshchilov & Hutter, 2019), following torch.optim.Adam /
 * torch.optim.AdamW step for step (amsgrad off): Adam adds weight decay to the gradient (L2),
 * AdamW shrinks the weights directly, `p ← p·(1 − lr·wd)`, before the Adam update.
 */
import * as tf from '@tensorflow/tfjs-core';
import { adamScalars, fusedAdamStep } from './fused-adam.js';
import { Optimizer, type NamedParameter, type OptimizerDefaults, type ParamGroup, type ParamGroupInput } from './optimizer.js';

export interface AdamOptions extends OptimizerDefaults {
  betas?: [number, number];
  eps?: number;
  /**
   * Update each parameter in one pass over host memory, in place (default true): the moments are
   * updated where they are and the new weights go into the gradient's memory when `step` is
   * handed the gradients, so a step makes no temporary tensors. Same results, bit for bit, as the
   * op-by-op update (`false`), which backends without host memory (webgl, webgpu) always use.
   */
  fused?: boolean;
}

abstract class AdamBase extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly fused: boolean;
  protected abstract readonly decoupled: boolean;

  constructor(params: NamedParameter[] | ParamGroupInput[], options: AdamOptions) {
    super(params, options);
    [this.beta1, this.beta2] = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.fused = options.fused ?? true;
  }

  protected override fusedUpdate(
    param: tf.Variable,
    grad: tf.Tensor,
    group: ParamGroup,
    t: number,
    slots: Map<string, tf.Tensor>,
    options: { gradScale: number | undefined; gradDisposable: boolean },
  ): boolean {
    if (!this.fused) return false;
    const m = slots.get('exp_avg');
    const v = slots.get('exp_avg_sq');
    const scalars = adamScalars({ lr: group.lr, weightDecay: group.weightDecay, beta1: this.beta1, beta2: this.beta2, eps: this.eps, t, decoupled: this.decoupled, gradScale: options.gradScale });
    const out = fusedAdamStep({ param, grad, m, v, gradDisposable: options.gradDisposable, scalars });
    if (!out) return false;
    if (m !== out.m) m?.dispose();
    if (v !== out.v) v?.dispose();
    slots.set('exp_avg', out.m);
    slots.set('exp_avg_sq', out.v);
    return true;
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
