/**
 * A small PyTorch-like module system. Child modules and parameters are plain attributes, named as
 * in Hugging Face checkpoints, so loading a state dict is a name match:
 *
 * ```ts
 * class Block extends Module {
 *   ln_1 = new LayerNorm(768);
 *   attn = new Attention(config);
 * }
 * block.namedParameters(); // [['ln_1.weight', …], ['ln_1.bias', …], ['attn.c_attn.weight', …], …]
 * ```
 *
 * Parameters live in the layout that is fastest to compute with; a parameter whose checkpoint
 * layout differs (a PyTorch `Linear` weight is `[out, in]`, tfkit keeps `[in, out]`) converts at
 * `loadStateDict` and `stateDict`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { TfkitError } from '@tfkit/core-tensor';

/**
 * A custom conversion between how a parameter is held and how checkpoints store it (for example a
 * ViT patch projection held as a `[C·p·p, hidden]` matrix but stored as a Conv2d `[hidden, C, p, p]`).
 */
export interface LayoutConversion {
  /** The checkpoint shape for a parameter held with `shape`. */
  checkpointShape(shape: number[]): number[];
  /** Checkpoint tensor → held layout. */
  fromCheckpoint(t: tf.Tensor): tf.Tensor;
  /** Held value → checkpoint tensor. */
  toCheckpoint(t: tf.Tensor): tf.Tensor;
}

/**
 * How a parameter is stored in checkpoints, relative to how tfkit holds it: the same, the 2-D
 * transpose (PyTorch `Linear` weights), or a custom conversion.
 */
export type CheckpointLayout = 'same' | 'transposed' | LayoutConversion;

export class Parameter {
  variable: tf.Variable;
  /** `transposed`: the checkpoint holds the 2-D transpose of this value. */
  readonly layout: CheckpointLayout;

  constructor(value: tf.Tensor, options: { trainable?: boolean; layout?: CheckpointLayout } = {}) {
    this.variable = tf.variable(value, options.trainable ?? true);
    this.layout = options.layout ?? 'same';
  }

  /** A parameter made from `value`, which it takes ownership of (`value` is disposed). */
  static adopt(value: tf.Tensor, options: { trainable?: boolean; layout?: CheckpointLayout } = {}): Parameter {
    const p = new Parameter(value, options);
    value.dispose();
    return p;
  }

  get trainable(): boolean {
    return this.variable.trainable;
  }

  set trainable(value: boolean) {
    this.variable.trainable = value;
  }

  get shape(): number[] {
    return this.variable.shape;
  }

  /** The shape this parameter has in a checkpoint. */
  get checkpointShape(): number[] {
    if (this.layout === 'same') return this.variable.shape;
    if (this.layout === 'transposed') return [...this.variable.shape].reverse();
    return this.layout.checkpointShape(this.variable.shape);
  }

  /** Reads the value (a tensor owned by the variable; do not dispose). */
  get value(): tf.Variable {
    return this.variable;
  }

  /** Replaces the value with a tensor given in checkpoint layout. */
  assignFromCheckpoint(t: tf.Tensor): void {
    tf.tidy(() => {
      const { layout } = this;
      const v = layout === 'same' ? t : layout === 'transposed' ? tf.transpose(t) : layout.fromCheckpoint(t);
      this.variable.assign(v.dtype === this.variable.dtype ? v : tf.cast(v, this.variable.dtype));
    });
  }

  /** A new tensor in checkpoint layout (the caller disposes it). */
  toCheckpoint(): tf.Tensor {
    const { layout } = this;
    return tf.tidy(() => (layout === 'same' ? tf.clone(this.variable) : layout === 'transposed' ? tf.transpose(this.variable) : layout.toCheckpoint(this.variable)));
  }

  dispose(): void {
    if (!this.variable.isDisposed) this.variable.dispose();
  }
}

/** Missing, unexpected or mis-shaped names, all reported at once. */
export class StateDictError extends TfkitError {
  readonly missing: string[];
  readonly unexpected: string[];
  readonly mismatched: { name: string; expected: number[]; got: number[] }[];

  constructor(problems: { missing: string[]; unexpected: string[]; mismatched: { name: string; expected: number[]; got: number[] }[] }, where = 'state dict') {
    const parts: string[] = [];
    if (problems.mismatched.length) {
      parts.push(`mis-shaped: ${problems.mismatched.map((m) => `${m.name} (expected [${m.expected}], got [${m.got}])`).join(', ')}`);
    }
    if (problems.missing.length) parts.push(`missing: ${problems.missing.join(', ')}`);
    if (problems.unexpected.length) parts.push(`unexpected: ${problems.unexpected.join(', ')}`);
    super('ERR_STATE_DICT', `${where} does not fit the model — ${parts.join('; ')}`);
    this.name = 'StateDictError';
    this.missing = problems.missing;
    this.unexpected = problems.unexpected;
    this.mismatched = problems.mismatched;
  }
}

export interface LoadStateDictResult {
  missing: string[];
  unexpected: string[];
}

/** A name pattern: an exact dotted name, a glob with `*` (one segment) and `**` (any), or a RegExp. */
export type NamePattern = string | RegExp;

export function matchesPattern(name: string, pattern: NamePattern): boolean {
  if (pattern instanceof RegExp) return pattern.test(name);
  if (!pattern.includes('*')) return name === pattern || name.startsWith(`${pattern}.`);
  const re = pattern
    .split('**')
    .map((part) => part.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^.]*'))
    .join('.*');
  return new RegExp(`^${re}(\\..*)?$`).test(name);
}

/**
 * Checkpoint tensors that a loader owns and gives up (`releaseOnAssign`): `loadStateDict` disposes
 * each once its parameter holds the value.
 */
const releasable = new WeakSet<tf.Tensor>();

/** Marks a loader's own checkpoint tensors: `loadStateDict` disposes each once it is assigned. */
export function releaseOnAssign(tensors: Iterable<tf.Tensor>): void {
  for (const t of tensors) releasable.add(t);
}

export abstract class Module {
  /** Dropout and other train-only behaviour is on when true. Set through `train()` / `eval()`. */
  training = false;

  /** Direct children: attributes holding a Module, in definition order. */
  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    for (const [key, value] of Object.entries(this)) if (value instanceof Module) out.push([key, value]);
    return out;
  }

  /** Parameters held directly by this module (not its children). */
  ownParameters(): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    for (const [key, value] of Object.entries(this)) if (value instanceof Parameter) out.push([key, value]);
    return out;
  }

  /**
   * This module and every descendant with dotted names ('' for this one), depth first. Walked with
   * an explicit stack: neither the depth of nesting nor the number of layers can overflow the call
   * stack.
   */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    const stack: [string, Module][] = [[prefix, this]];
    while (stack.length) {
      const [name, module] = stack.pop() as [string, Module];
      out.push([name, module]);
      const children = module.namedChildren();
      for (let i = children.length - 1; i >= 0; i--) {
        const [child, m] = children[i] as [string, Module];
        stack.push([name ? `${name}.${child}` : child, m]);
      }
    }
    return out;
  }

  /**
   * Every parameter with its dotted name, in definition order. A parameter shared by two modules
   * (tied weights) appears once, under its first name, unless `includeAliases` is set.
   */
  namedParameters(options: { includeAliases?: boolean; trainableOnly?: boolean } = {}): [string, Parameter][] {
    const seen = new Set<Parameter>();
    const out: [string, Parameter][] = [];
    for (const [modName, mod] of this.namedModules()) {
      for (const [pName, p] of mod.ownParameters()) {
        if (!options.includeAliases && seen.has(p)) continue;
        if (options.trainableOnly && !p.trainable) continue;
        seen.add(p);
        out.push([modName ? `${modName}.${pName}` : pName, p]);
      }
    }
    return out;
  }

  parameters(options: { trainableOnly?: boolean } = {}): Parameter[] {
    return this.namedParameters(options).map(([, p]) => p);
  }

  /** The trainable variables, e.g. for `optimizer.minimize(f, false, varList)`. */
  trainableVariables(): tf.Variable[] {
    return this.parameters({ trainableOnly: true }).map((p) => p.variable);
  }

  parameterCount(options: { trainableOnly?: boolean } = {}): number {
    return this.parameters(options).reduce((n, p) => n + p.variable.size, 0);
  }

  /** Sets the trainable flag of every parameter whose name matches one of the patterns. Returns the names changed. */
  setTrainable(patterns: NamePattern | NamePattern[], trainable: boolean): string[] {
    const list = Array.isArray(patterns) ? patterns : [patterns];
    const changed: string[] = [];
    for (const [name, p] of this.namedParameters()) {
      if (list.some((pat) => matchesPattern(name, pat))) {
        p.trainable = trainable;
        changed.push(name);
      }
    }
    return changed;
  }

  freeze(patterns: NamePattern | NamePattern[] = '**'): string[] {
    return this.setTrainable(patterns, false);
  }

  unfreeze(patterns: NamePattern | NamePattern[] = '**'): string[] {
    return this.setTrainable(patterns, true);
  }

  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** The module at a dotted path ('' is this module); paths go through `ModuleList`s (`layer.0.attn`). */
  getModule(path: string): Module {
    return (path ? path.split('.') : []).reduce<Module>((current, part) => {
      const child = current.childAt(part);
      if (child) return child;
      const known = current.namedChildren().map(([n]) => n).join(', ') || 'none';
      throw new TfkitError('ERR_MODULE_PATH', `no module at "${path}" (no child "${part}" there; its children: ${known})`);
    }, this);
  }

  /**
   * Replaces the child module at a dotted path (finetune swaps a Linear for a LoRA-wrapped one);
   * returns the old module, which the caller still owns (dispose it or keep using it).
   */
  setModule(path: string, module: Module): Module {
    const dot = path.lastIndexOf('.');
    if (dot >= 0) return this.getModule(path.slice(0, dot)).setModule(path.slice(dot + 1), module);
    const old = this.childAt(path);
    if (!old) throw new TfkitError('ERR_MODULE_PATH', `no module at "${path}" to replace; children here: ${this.namedChildren().map(([n]) => n).join(', ') || 'none'}`);
    this.replaceChild(path, module);
    return old;
  }

  /** The direct child called `name`, if any. */
  protected childAt(name: string): Module | undefined {
    const value = Object.hasOwn(this, name) ? (this as unknown as Record<string, unknown>)[name] : undefined;
    return value instanceof Module ? value : undefined;
  }

  protected replaceChild(name: string, module: Module): void {
    (this as unknown as Record<string, unknown>)[name] = module;
  }

  /** Weights by name in checkpoint layout, tied aliases included. New tensors: the caller disposes them. */
  stateDict(options: { includeAliases?: boolean } = {}): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    for (const [name, p] of this.namedParameters({ includeAliases: options.includeAliases ?? true })) out.set(name, p.toCheckpoint());
    return out;
  }

  /**
   * Assigns weights given in checkpoint layout. Every problem (missing, unexpected, mis-shaped) is
   * collected and reported in one `StateDictError`; mis-shaped weights are always an error,
   * missing and unexpected ones only when `strict` (default). A tied parameter is satisfied by
   * any of its names. Nothing is assigned unless everything fits.
   */
  loadStateDict(weights: Map<string, tf.Tensor>, options: { strict?: boolean; where?: string } = {}): LoadStateDictResult {
    const strict = options.strict ?? true;
    const byParam = new Map<Parameter, string[]>();
    for (const [name, p] of this.namedParameters({ includeAliases: true })) byParam.set(p, [...(byParam.get(p) ?? []), name]);
    const used = new Set<string>();
    const missing: string[] = [];
    const mismatched: { name: string; expected: number[]; got: number[] }[] = [];
    const assignments: [Parameter, tf.Tensor][] = [];
    for (const [p, names] of byParam) {
      const present = names.filter((n) => weights.has(n));
      for (const n of present) used.add(n);
      const name = present[0];
      if (name === undefined) {
        missing.push(names[0] as string);
        continue;
      }
      const t = weights.get(name) as tf.Tensor;
      const expected = p.checkpointShape;
      if (t.shape.length !== expected.length || t.shape.some((d, i) => d !== expected[i])) {
        mismatched.push({ name, expected, got: t.shape });
        continue;
      }
      assignments.push([p, t]);
    }
    const unexpected = [...weights.keys()].filter((k) => !used.has(k));
    if (mismatched.length || (strict && (missing.length || unexpected.length))) {
      throw new StateDictError({ missing, unexpected, mismatched }, options.where);
    }
    // A loader's own tensors (`releaseOnAssign`) are freed at their last use, so the next
    // parameter's transposed copy can take their memory instead of growing the heap.
    const lastUse = new Map(assignments.map(([, t], i) => [t, i]));
    assignments.forEach(([p, t], i) => {
      p.assignFromCheckpoint(t);
      if (lastUse.get(t) === i && releasable.has(t)) t.dispose();
    });
    return { missing, unexpected };
  }

  /** Frees every parameter's memory and what every module keeps besides (`disposeCaches`). The module is unusable afterwards. */
  dispose(): void {
    for (const p of this.parameters()) p.dispose();
    for (const [, m] of this.namedModules()) m.disposeCaches();
  }

  /** Frees tensors a module derives from its parameters and keeps between calls (none here; `LMHead` keeps its weight transposed). */
  disposeCaches(): void {}
}

/** An indexed list of modules; children are named `0`, `1`, … (`encoder.layer.0.attention…`). */
export class ModuleList<M extends Module = Module> extends Module implements Iterable<M> {
  private readonly items: M[];

  constructor(items: M[] = []) {
    super();
    this.items = items;
  }

  override namedChildren(): [string, Module][] {
    return this.items.map((m, i) => [String(i), m]);
  }

  protected override childAt(name: string): Module | undefined {
    return /^\d+$/.test(name) ? this.items[Number(name)] : undefined;
  }

  protected override replaceChild(name: string, module: Module): void {
    this.items[Number(name)] = module as M;
  }

  get length(): number {
    return this.items.length;
  }

  at(index: number): M {
    const item = this.items[index < 0 ? this.items.length + index : index];
    if (!item) throw new RangeError(`ModuleList index ${index} out of range (length ${this.items.length})`);
    return item;
  }

  push(module: M): void {
    this.items.push(module);
  }

  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }
}
