/**
 * What every LoRA-wrapped layer shares (PEFT's `LoraLayer`): the wrapped `base_layer`, per-adapter
 * scaling α/r and rank, the active adapters, the disabled switch, and merging an adapter's update
 * (α/r)·A·B into the base weight and back. `LoraLinear` and `LoraEmbedding` add their weights'
 * storage and how an adapter's output is computed.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Module, type Parameter } from '@tfkit/layers';
import { FinetuneError } from '../errors.js';

/**
 * `a + b` for tensors of one shape, differentiable, saving nothing for the backward pass: tfjs's
 * Add keeps both operands (it reads only their shapes), which under LoRA held two copies of every
 * adapted layer's output until the backward pass (GPT-2 small, batch 8: ~0.5 GB).
 */
const addSavingNothing = tf.customGrad(((a: tf.Tensor, b: tf.Tensor) => ({
  value: tf.add(a, b),
  // One tensor per input (clones share the buffer): the backward pass may dispose each on its own.
  gradFunc: (dy: tf.Tensor | tf.Tensor[]) => [tf.clone(dy as tf.Tensor), tf.clone(dy as tf.Tensor)],
})) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

export interface LoraLayerConfig {
  r: number;
  loraAlpha: number;
  loraDropout: number;
}

export abstract class LoraLayerBase<Base extends Module & { weight: Parameter; forward(x: tf.Tensor): tf.Tensor }> extends Module {
  base_layer: Base;
  /** α / r per adapter. */
  readonly scaling = new Map<string, number>();
  readonly rank = new Map<string, number>();
  /** Adapters added to the output (PEFT's active adapters). */
  activeAdapters: string[] = [];
  /** When true the layer behaves as its base layer. */
  disabled = false;
  /** Adapters whose update is currently folded into the base weight. */
  readonly merged: string[] = [];

  constructor(base: Base) {
    super();
    this.base_layer = base;
  }

  abstract adapterNames(): string[];
  /** A and B of an adapter, stored so that A·B has the base weight's shape. */
  abstract weights(name: string): { A: Parameter; B: Parameter };
  /**
   * What adapter `name` adds to the base output for input `x`, times `scale` (α/r). Implementations
   * scale the small B matrix rather than the output, so no output-sized product is recorded.
   */
  protected abstract adapterOutput(name: string, x: tf.Tensor, scale: number): tf.Tensor;
  /** Frees adapter `name`'s weights (and dropout). */
  protected abstract removeWeights(name: string): void;

  /** Validates `config` and records adapter `name`'s scaling and rank. */
  protected register(name: string, config: LoraLayerConfig): void {
    if (this.adapterNames().includes(name)) throw new FinetuneError(`LoRA: adapter "${name}" already exists on this layer`);
    if (!(Number.isInteger(config.r) && config.r > 0)) throw new FinetuneError(`LoRA: r must be a positive integer, got ${config.r}`);
    this.scaling.set(name, config.loraAlpha / config.r);
    this.rank.set(name, config.r);
  }

  /**
   * Frees adapter `name`. As PEFT's `delete_adapter`, a merged adapter is not unmerged first: its
   * update stays in the base weight (what `mergeAndUnload` relies on) and can no longer be subtracted.
   */
  deleteAdapter(name: string): void {
    const at = this.merged.indexOf(name);
    if (at >= 0) this.merged.splice(at, 1);
    this.removeWeights(name);
    this.scaling.delete(name);
    this.rank.delete(name);
    this.activeAdapters = this.activeAdapters.filter((a) => a !== name);
  }

  /** (α/r)·A·B, in the base weight's shape: what the adapter adds to it. */
  delta(name: string): tf.Tensor {
    const { A, B } = this.weights(name);
    const s = this.scaling.get(name) as number;
    return tf.tidy(() => tf.mul(tf.matMul(A.value, B.value), s));
  }

  /** Folds the active adapters into the base weight (outputs unchanged, within float error). */
  merge(names: string[] = this.activeAdapters): void {
    for (const name of names) {
      if (this.merged.includes(name)) continue;
      const w = this.base_layer.weight.value;
      tf.tidy(() => w.assign(tf.add(w, this.delta(name))));
      this.merged.push(name);
    }
  }

  /** Subtracts every merged adapter from the base weight again. */
  unmerge(): void {
    while (this.merged.length) {
      const name = this.merged.pop() as string;
      const w = this.base_layer.weight.value;
      tf.tidy(() => w.assign(tf.sub(w, this.delta(name))));
    }
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      let y = this.base_layer.forward(x);
      if (this.disabled) {
        if (this.merged.length) throw new FinetuneError('LoRA: adapters are merged; unmerge before disabling them');
        return y;
      }
      for (const name of this.activeAdapters) {
        if (this.merged.includes(name)) continue;
        y = addSavingNothing(y, this.adapterOutput(name, x, this.scaling.get(name) as number));
      }
      return y;
    });
  }
}
