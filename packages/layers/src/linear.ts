/**
 * Linear (dense) layer: y = x·W + b. W is held as `[in, out]` so the forward and both gradients are
 * fast 2-D matMuls on wasm; checkpoints hold it as PyTorch's `[out, in]`, converted at load/save.
 */
import * as tf from '@tensorflow/tfjs-core';
import { getActivation, linear, type LinearActivation, type Random } from '@tfkit/core-tensor';
import { defaultRng, uniform, normal } from './init.js';
import { Module, Parameter, type CheckpointLayout } from './module.js';

export interface LinearOptions {
  bias?: boolean;
  /** How checkpoints store the weight: PyTorch `nn.Linear` is 'transposed' (default); GPT-2 `Conv1D` is 'same'. */
  checkpointLayout?: CheckpointLayout;
  /** Initialise weights N(0, std²) (Hugging Face `initializer_range`) instead of PyTorch's U(±1/√in). */
  initStd?: number;
  rng?: Random;
}

export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  weight: Parameter;
  bias: Parameter | null;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const rng = defaultRng(options.rng);
    const bound = 1 / Math.sqrt(inFeatures);
    const w = options.initStd !== undefined ? normal([inFeatures, outFeatures], options.initStd, rng) : uniform([inFeatures, outFeatures], -bound, bound, rng);
    this.weight = new Parameter(w, { layout: options.checkpointLayout ?? 'transposed' });
    w.dispose();
    if (options.bias ?? true) {
      const b = options.initStd !== undefined ? tf.zeros([outFeatures]) : uniform([outFeatures], -bound, bound, rng);
      this.bias = new Parameter(b);
      b.dispose();
    } else {
      this.bias = null;
    }
  }

  /** `x` `[..., in]` → `[..., out]`; with `activation`, its GELU (one kernel where core-tensor's `linear` can). */
  forward(x: tf.Tensor, options: { activation?: LinearActivation } = {}): tf.Tensor {
    return linear(x, this.weight.value, this.bias?.value, options);
  }
}

/** Hugging Face activation names that `Linear.forward` can apply inside its product (core-tensor's `linear`). */
const IN_PRODUCT: Partial<Record<string, LinearActivation>> = { gelu: 'gelu', gelu_new: 'gelu_tanh', gelu_pytorch_tanh: 'gelu_tanh', gelu_fast: 'gelu_tanh' };

/**
 * `activation(layer(x))`: a GELU inside the product's kernel when `layer` is a plain `Linear` (one
 * `TfkitDense` on wasm outside training, the same values); else the layer's forward, then the activation.
 */
export function linearActivated(layer: Module & { forward(x: tf.Tensor): tf.Tensor }, x: tf.Tensor, activation: string): tf.Tensor {
  const inProduct = Object.hasOwn(IN_PRODUCT, activation) ? IN_PRODUCT[activation] : undefined;
  if (inProduct && Object.getPrototypeOf(layer) === Linear.prototype) return (layer as Linear).forward(x, { activation: inProduct });
  const act = getActivation(activation);
  return tf.tidy(() => act(layer.forward(x)));
}
