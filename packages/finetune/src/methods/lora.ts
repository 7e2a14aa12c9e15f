/**
 * LoRA on any tfkit `Module`, with PEFT's semantics: target `Linear` layers are wrapped in place by
 * `LoraLinear`, the base model is frozen, and only the adapter (plus `modulesToSave` and,
 * optionally, biases) trains. Several adapters can live on one base: switch with `setAdapter`,
 * turn them off with `disableAdapters`, fold them in with `merge` / `mergeAndUnload`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@tfkit/core-tensor';
import { Embedding, Linear, type Module, type Parameter } from '@tfkit/layers';
import { FinetuneError } from '../errors.js';
import { LoraEmbedding } from './lora-embedding.js';
import { LoraLinear } from './lora-linear.js';

/** A layer carrying LoRA adapters: a wrapped `Linear` or `Embedding`. */
export type LoraLayer = LoraLinear | LoraEmbedding;

export interface LoraConfig {
  r: number;
  /** Scaling numerator: the update is (loraAlpha / r)·B·A. Default 8, as PEFT. */
  loraAlpha?: number;
  loraDropout?: number;
  /**
   * Which `Linear` (and `Embedding`) layers get an adapter, as PEFT reads `target_modules`: a list of names matches
   * a module whose dotted path equals a name or ends with `.name`; a string is a regular
   * expression that must match the whole path; a RegExp is tested against the path.
   */
  targetModules: string[] | string | RegExp;
  /** Modules trained and saved in full alongside the adapter (e.g. `classifier`), matched like targetModules lists. */
  modulesToSave?: string[];
  /** Which biases train and are saved with the adapter. Default `none`. */
  bias?: 'none' | 'all' | 'lora_only';
  /** Recorded in adapter_config.json. */
  baseModelNameOrPath?: string | null;
  taskType?: string | null;
  /** Seed for the A matrices and the LoRA dropout (default 0). */
  seed?: number;
}

interface AdapterRecord {
  config: LoraConfig;
  /** Copies of an inactive adapter's `modulesToSave` weights (empty for the active one). */
  saved: Map<string, tf.Tensor>;
}

/** Does a module path match PEFT-style target names / patterns? */
export function matchesTarget(path: string, target: LoraConfig['targetModules']): boolean {
  if (target instanceof RegExp) return target.test(path);
  if (typeof target === 'string') return new RegExp(`^(?:${target})$`).test(path);
  return target.some((t) => path === t || path.endsWith(`.${t}`));
}

export class LoraModel {
  readonly model: Module;
  private readonly adapters = new Map<string, AdapterRecord>();
  private active = '';
  /** Values of `modulesToSave` weights before any adapter touched them (used while disabled). */
  private readonly original = new Map<string, tf.Tensor>();
  private enabled = true;

  constructor(model: Module) {
    this.model = model;
  }

  /** Wraps the target layers of `model` and adds adapter `name` (default `default`). */
  static apply(model: Module, config: LoraConfig, name = 'default'): LoraModel {
    const lora = new LoraModel(model);
    lora.addAdapter(name, config);
    return lora;
  }

  get activeAdapter(): string {
    return this.active;
  }

  adapterNames(): string[] {
    return [...this.adapters.keys()];
  }

  config(name = this.active): LoraConfig {
    const rec = this.adapters.get(name);
    if (!rec) throw new FinetuneError(`LoRA: no adapter "${name}" (have: ${this.adapterNames().join(', ') || 'none'})`);
    return rec.config;
  }

  /** Every `LoraLinear` / `LoraEmbedding` in the model with its path. */
  loraLayers(): [string, LoraLayer][] {
    return this.model.namedModules().filter((e): e is [string, LoraLayer] => e[1] instanceof LoraLinear || e[1] instanceof LoraEmbedding);
  }

  /** Adds an adapter on the layers its `targetModules` select; the first one added becomes active. */
  addAdapter(name: string, config: LoraConfig): void {
    if (this.adapters.has(name)) throw new FinetuneError(`LoRA: adapter "${name}" already exists`);
    const rng = new Random(config.seed ?? 0);
    const layerConfig = { r: config.r, loraAlpha: config.loraAlpha ?? 8, loraDropout: config.loraDropout ?? 0 };
    let count = 0;
    for (const [path, mod] of this.model.namedModules()) {
      if (!path || !matchesTarget(path, config.targetModules)) continue;
      if (mod instanceof LoraLinear || mod instanceof LoraEmbedding) {
        mod.addAdapter(name, layerConfig, rng);
      } else if (mod instanceof Linear || mod instanceof Embedding) {
        const wrapped = mod instanceof Linear ? new LoraLinear(mod) : new LoraEmbedding(mod);
        wrapped.addAdapter(name, layerConfig, rng);
        this.model.setModule(path, wrapped);
      } else continue;
      count++;
    }
    if (count === 0) {
      const layers = this.model.namedModules().filter(([, m]) => m instanceof Linear || m instanceof Embedding || m instanceof LoraLinear || m instanceof LoraEmbedding).map(([p]) => p);
      throw new FinetuneError(`LoRA: targetModules ${String(config.targetModules)} matched no Linear or Embedding layer. Such layers: ${layers.slice(0, 12).join(', ')}${layers.length > 12 ? ', …' : ''}`);
    }
    for (const [pname, p] of this.modulesToSaveParams(config)) if (!this.original.has(pname)) this.original.set(pname, tf.clone(p.value));
    this.adapters.set(name, { config, saved: new Map() });
    if (!this.active) this.setAdapter(name);
    else this.snapshotInto(name, true);
  }

  /** Makes `name` the active (trained, applied) adapter: hot swap, no rebuilding. */
  setAdapter(name: string): void {
    const rec = this.adapters.get(name);
    if (!rec) throw new FinetuneError(`LoRA: no adapter "${name}" (have: ${this.adapterNames().join(', ') || 'none'})`);
    for (const [, layer] of this.loraLayers()) layer.unmerge();
    if (this.active && this.active !== name) this.snapshotInto(this.active, false);
    // Load this adapter's modulesToSave weights (if it has saved ones); the active adapter's
    // values live in the model itself, so its copies are released.
    for (const [pname, p] of this.modulesToSaveParams(rec.config)) {
      const saved = rec.saved.get(pname);
      if (!saved) continue;
      p.value.assign(saved);
      saved.dispose();
      rec.saved.delete(pname);
    }
    this.active = name;
    for (const [, layer] of this.loraLayers()) layer.activeAdapters = layer.adapterNames().includes(name) ? [name] : [];
    this.updateTrainable();
  }

  /** The base model alone: adapters off (and merged ones unmerged), original `modulesToSave` weights. */
  disableAdapters(): void {
    if (!this.enabled) return;
    for (const [, layer] of this.loraLayers()) {
      layer.unmerge();
      layer.disabled = true;
    }
    this.snapshotInto(this.active, false);
    for (const [pname, p] of this.modulesToSaveParams(this.config())) p.value.assign(this.original.get(pname) as tf.Tensor);
    this.enabled = false;
    this.updateTrainable();
  }

  enableAdapters(): void {
    if (this.enabled) return;
    for (const [, layer] of this.loraLayers()) layer.disabled = false;
    this.enabled = true;
    this.setAdapter(this.active);
  }

  /** Runs `fn` with the adapters disabled, then restores them (PEFT's `disable_adapter()` context). */
  async withAdaptersDisabled<T>(fn: () => T | Promise<T>): Promise<T> {
    this.disableAdapters();
    try {
      return await fn();
    } finally {
      this.enableAdapters();
    }
  }

  /** Folds the active adapter into the base weights; `unmerge` undoes it. */
  merge(): void {
    for (const [, layer] of this.loraLayers()) layer.merge();
  }

  unmerge(): void {
    for (const [, layer] of this.loraLayers()) layer.unmerge();
  }

  /**
   * Folds the active adapter into the base weights and puts plain `Linear` / `Embedding` layers
   * back, with the active adapter's `modulesToSave` weights: a normal model whose outputs are the
   * adapted ones, savable as such (PEFT's `merge_and_unload`, which also merges while adapters are
   * disabled). Every adapter is freed; this `LoraModel` is empty afterwards.
   */
  mergeAndUnload(): Module {
    if (this.active) this.enableAdapters();
    for (const [path, layer] of this.loraLayers()) {
      layer.merge();
      this.model.setModule(path, layer.base_layer);
      // Deleting keeps what was merged in the base weight (see LoraLayerBase.deleteAdapter).
      for (const name of layer.adapterNames()) layer.deleteAdapter(name);
    }
    for (const rec of this.adapters.values()) for (const t of rec.saved.values()) t.dispose();
    for (const t of this.original.values()) t.dispose();
    this.adapters.clear();
    this.original.clear();
    this.active = '';
    this.model.unfreeze();
    return this.model;
  }

  /** Removes an adapter (not the active one while others exist); a merged adapter's update stays in the base weights, as in PEFT. */
  deleteAdapter(name: string): void {
    const rec = this.adapters.get(name);
    if (!rec) throw new FinetuneError(`LoRA: no adapter "${name}"`);
    if (name === this.active && this.adapters.size > 1) throw new FinetuneError(`LoRA: "${name}" is active; setAdapter another one first`);
    for (const [, layer] of this.loraLayers()) if (layer.adapterNames().includes(name)) layer.deleteAdapter(name);
    for (const t of rec.saved.values()) t.dispose();
    this.adapters.delete(name);
    if (name === this.active) this.active = '';
  }

  /** `{ trainable, total, percent }` as PEFT's `print_trainable_parameters` reports them. */
  trainableParameters(): { trainable: number; total: number; percent: number } {
    const trainable = this.model.parameterCount({ trainableOnly: true });
    const total = this.model.parameterCount();
    return { trainable, total, percent: (100 * trainable) / total };
  }

  /** Parameters of the modules named in `modulesToSave`, by model path. */
  modulesToSaveParams(config: LoraConfig = this.config()): [string, Parameter][] {
    const targets = config.modulesToSave ?? [];
    if (!targets.length) return [];
    const out: [string, Parameter][] = [];
    for (const [path, mod] of this.model.namedModules()) {
      if (!path || !matchesTarget(path, targets)) continue;
      for (const [pname, p] of mod.namedParameters()) out.push([`${path}.${pname}`, p]);
    }
    return out;
  }

  /** Bias parameters that train and are saved with the adapter, by model path. */
  biasParams(config: LoraConfig = this.config()): [string, Parameter][] {
    const mode = config.bias ?? 'none';
    if (mode === 'none') return [];
    if (mode === 'all') return this.model.namedParameters().filter(([n]) => n === 'bias' || n.endsWith('.bias'));
    return this.loraLayers().flatMap(([path, l]) => (l instanceof LoraLinear && l.base_layer.bias ? [[`${path}.base_layer.bias`, l.base_layer.bias] as [string, Parameter]] : []));
  }

  private snapshotInto(name: string, fromOriginal: boolean): void {
    const rec = this.adapters.get(name);
    if (!rec) return;
    for (const [pname, p] of this.modulesToSaveParams(rec.config)) {
      rec.saved.get(pname)?.dispose();
      rec.saved.set(pname, tf.clone(fromOriginal ? (this.original.get(pname) as tf.Tensor) : p.value));
    }
  }

  private updateTrainable(): void {
    this.model.freeze();
    if (!this.enabled) return;
    const config = this.config();
    for (const [, layer] of this.loraLayers()) {
      if (!layer.adapterNames().includes(this.active)) continue;
      const { A, B } = layer.weights(this.active);
      A.trainable = true;
      B.trainable = true;
    }
    for (const [, p] of [...this.modulesToSaveParams(config), ...this.biasParams(config)]) p.trainable = true;
  }

  /** Frees the snapshots this object holds (not the model). */
  dispose(): void {
    for (const rec of this.adapters.values()) for (const t of rec.saved.values()) t.dispose();
    for (const t of this.original.values()) t.dispose();
  }
}
