/**
 * LoRA: Low-Rank Adaptation of Large Language Models (Hu et al., 2021), following PEFT's
 * `lora.Linear`: y = base(x) + (α/r) · B(A(dropout(x))), with A ~ kaiming-uniform and B = 0 so
 * training starts from the base model. Several named adapters can sit on one layer; attribute
 * names (`base_layer`, `lora_A.<adapter>`, `lora_B.<adapter>`) are PEFT's.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Random } from '@tfkit/core-tensor';
import { linear } from '@tfkit/core-tensor';
import type { Linear } from '@tfkit/layers';
import { Dropout, Module, Parameter } from '@tfkit/layers';
import { FinetuneError } from '../errors.js';
import { LoraLayerBase, type LoraLayerConfig } from './lora-layer.js';
import { ModuleDict } from './module-dict.js';

export type { LoraLayerConfig } from './lora-layer.js';

/** A bias-free `[in, out]` weight, saved as PyTorch `nn.Linear` `[out, in]` (what PEFT stores). */
class LoraWeight extends Module {
  weight: Parameter;
  constructor(value: tf.Tensor) {
    super();
    this.weight = new Parameter(value, { layout: 'transposed' });
  }
}

export class LoraLinear extends LoraLayerBase<Linear> {
  lora_A = new ModuleDict<LoraWeight>();
  lora_B = new ModuleDict<LoraWeight>();
  lora_dropout = new ModuleDict<Dropout>();

  get inFeatures(): number {
    return this.base_layer.inFeatures;
  }

  get outFeatures(): number {
    return this.base_layer.outFeatures;
  }

  /** Adds adapter `name`: A ~ U(±1/√in) (PEFT's kaiming_uniform with a=√5), B = 0. */
  addAdapter(name: string, config: LoraLayerConfig, rng: Random): void {
    this.register(name, config);
    const bound = 1 / Math.sqrt(this.inFeatures);
    const a = new Float32Array(this.inFeatures * config.r);
    for (let i = 0; i < a.length; i++) a[i] = rng.uniform(-bound, bound);
    const aT = tf.tensor2d(a, [this.inFeatures, config.r]);
    const bT = tf.zeros([config.r, this.outFeatures]);
    this.lora_A.set(name, new LoraWeight(aT));
    this.lora_B.set(name, new LoraWeight(bT));
    aT.dispose();
    bT.dispose();
    this.lora_dropout.set(name, new Dropout(config.loraDropout, { rng: rng.fork() }));
  }

  adapterNames(): string[] {
    return this.lora_A.keys();
  }

  /** A `[in, r]`, B `[r, out]` of an adapter (owned by the layer). */
  weights(name: string): { A: Parameter; B: Parameter } {
    const a = this.lora_A.get(name);
    const b = this.lora_B.get(name);
    if (!a || !b) throw new FinetuneError(`LoRA: no adapter "${name}" on this layer (have: ${this.adapterNames().join(', ') || 'none'})`);
    return { A: a.weight, B: b.weight };
  }

  protected adapterOutput(name: string, x: tf.Tensor, scale: number): tf.Tensor {
    const { A, B } = this.weights(name);
    const dropped = (this.lora_dropout.get(name) as Dropout).forward(x);
    return linear(linear(dropped, A.value), tf.mul(B.value, scale));
  }

  protected removeWeights(name: string): void {
    this.lora_A.delete(name);
    this.lora_B.delete(name);
    this.lora_dropout.delete(name);
  }
}
