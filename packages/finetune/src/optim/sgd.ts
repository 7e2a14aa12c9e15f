/**
 * Stochastic gradient descent with momentum, dampening, Nesterov momentum and L2 weight decay,
 * following torch.optim.SGD: the momentum buffer starts as the first gradient.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FinetuneError } from '../errors.js';
import { Optimizer, type NamedParameter, type OptimizerDefaults, type ParamGroup, type ParamGroupInput } from './optimizer.js';

export interface SgdOptions extends OptimizerDefaults {
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
}

export class SGD extends Optimizer {
  readonly type = 'sgd';
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;

  constructor(params: NamedParameter[] | ParamGroupInput[], options: SgdOptions) {
    super(params, options);
    this.momentum = options.momentum ?? 0;
    this.dampening = options.dampening ?? 0;
    this.nesterov = options.nesterov ?? false;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new FinetuneError('SGD: Nesterov momentum needs momentum > 0 and dampening 0');
    }
  }

  protected update(param: tf.Tensor, grad: tf.Tensor, group: ParamGroup, _t: number, slot: (name: string) => tf.Tensor | undefined) {
    let d = group.weightDecay !== 0 ? tf.add(grad, tf.mul(param, group.weightDecay)) : grad;
    const slots: Record<string, tf.Tensor> = {};
    if (this.momentum !== 0) {
      const prev = slot('momentum_buffer');
      const buf = prev ? tf.add(tf.mul(prev, this.momentum), tf.mul(d, 1 - this.dampening)) : tf.clone(d);
      slots['momentum_buffer'] = buf;
      d = this.nesterov ? tf.add(d, tf.mul(buf, this.momentum)) : buf;
    }
    return { param: tf.sub(param, tf.mul(d, group.lr)), slots };
  }
}
