/**
 * LoRA: Low-Rank Adaptation of Large Language Models (Hu et al., 2021), following PEFT's
 * `lora.Linear`: y = base(x) + (α/r) · B(A(dropout(x))), with A ~ kaiming-uniform and B = 0 so
 * training starts from the base model. Several named adapters can sit on one layer; attribute
 * names (`base_layer`, `lora_A.<adapter>`, `lora_B.<adapter>`) are PEFT's.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Random } from '@tfkit/core-tensor';
import { linear } from '@tfkit/core-tensor';
import type { Linear} from '@tfkit/layers';
import { Dropout, Module, Parameter } from '@tfkit/layers';
import { FinetuneError } from '../errors.js';
import { ModuleDict } from './module-dict.js';

export interface LoraLayerConfig {
  r: number;
  loraAlpha: number;
  loraDropout: number;
}

/** A bias-free `[in, out]` weight, saved as PyTorch `nn.Linear` `[out, in]` (what PEFT stores). */
class LoraWeight extends Module {
  weight: Parameter;
  constructor(value: tf.Tensor) {
    super();
    this.weight = new Parameter(value, { layout: 'transposed' });
  }
}

export class LoraLinear extends Module {
  base_layer: Linear;
  lora_A = new ModuleDict<LoraWeight>();
  lora_B = new ModuleDict<LoraWeight>();
  lora_dropout = new ModuleDict<Dropout>();
  /** α / r per adapter. */
  readonly scaling = new Map<string, number>();
  readonly rank = new Map<string, number>();
  /** Adapters added to the output (PEFT's active adapters). */
  activeAdapters: string[] = [];
  /** When true the layer behaves as its base layer. */
  disabled = false;
  /** Adapters whose update is currently folded into the base weight. */
  readonly merged: string[] = [];

  constructor(base: Linear) {
    super();
    this.base_layer = base;
  }

  get inFeatures(): number {
    return this.base_layer.inFeatures;
  }

  get outFeatures(): number {
    return this.base_layer.outFeatures;
  }

  /** Adds adapter `name`: A ~ U(±1/√in) (PEFT's kaiming_uniform with a=√5), B = 0. */
  addAdapter(name: string, config: LoraLayerConfig, rng: Random): void {
    if (this.lora_A.has(name)) throw new FinetuneError(`LoRA: adapter "${name}" already exists on this layer`);
    if (!(Number.isInteger(config.r) && config.r > 0)) throw new FinetuneError(`LoRA: r must be a positive integer, got ${config.r}`);
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
    this.scaling.set(name, config.loraAlpha / config.r);
    this.rank.set(name, config.r);
  }

  deleteAdapter(name: string): void {
    if (this.merged.includes(name)) this.unmerge();
    this.lora_A.delete(name);
    this.lora_B.delete(name);
    this.lora_dropout.delete(name);
    this.scaling.delete(name);
    this.rank.delete(name);
    this.activeAdapters = this.activeAdapters.filter((a) => a !== name);
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

  /** (α/r)·A·B `[in, out]`: what the adapter adds to the base weight. */
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
        const { A, B } = this.weights(name);
        const dropped = (this.lora_dropout.get(name) as Dropout).forward(x);
        y = tf.add(y, tf.mul(linear(linear(dropped, A.value), B.value), this.scaling.get(name) as number));
      }
      return y;
    });
  }
}
