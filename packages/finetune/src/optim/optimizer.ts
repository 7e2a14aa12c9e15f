/**
 * The optimizer base: parameter groups (each with its own learning rate and weight decay, as in
 * PyTorch), per-parameter state held as tensors, and a state dict that a checkpoint can save and
 * restore bit for bit. Subclasses write only the update rule.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Parameter } from '@tfkit/layers';
import { FinetuneError } from '../errors.js';

/** A named parameter, as `Module.namedParameters()` yields it. */
export type NamedParameter = [name: string, param: Parameter];

/** What a caller passes: a group's parameters and, optionally, its own hyper-parameters. */
export interface ParamGroupInput {
  params: NamedParameter[];
  /** Base learning rate of this group (defaults to the optimizer's). */
  lr?: number;
  weightDecay?: number;
  /** A label for logs and checkpoints (`decay`, `no_decay`, `layer.3`, …). */
  name?: string;
}

export interface ParamGroup {
  readonly name: string;
  readonly params: NamedParameter[];
  /** The learning rate used by the next step (schedulers set it). */
  lr: number;
  /** The learning rate the group was created with; schedulers scale this. */
  readonly initialLr: number;
  weightDecay: number;
}

/** How `Optimizer.step` treats the gradients it is given. */
export interface StepOptions {
  /**
   * Multiply every gradient by this before the update (global-norm clipping's coefficient), as
   * `tf.mul(grad, gradScale)` would, without making scaled copies.
   */
  gradScale?: number;
  /**
   * Hand the gradients over: each is disposed once its parameter is updated, and an optimizer
   * that updates in place may reuse its memory for the new parameter values. Default false.
   */
  disposeGrads?: boolean;
}

export interface OptimizerDefaults {
  lr: number;
  weightDecay?: number;
}

/** Serialisable optimizer state: tensors by `<param>.<slot>`, everything else as JSON. */
export interface OptimizerState {
  tensors: Map<string, tf.Tensor>;
  meta: { type: string; steps: Record<string, number>; groups: { name: string; lr: number; weightDecay: number }[] };
}

export abstract class Optimizer {
  abstract readonly type: string;
  readonly paramGroups: ParamGroup[];
  /** Per-parameter slots (`exp_avg`, `momentum_buffer`, …), created on the parameter's first update. */
  protected readonly slots = new Map<string, Map<string, tf.Tensor>>();
  /** Per-parameter step counts (a parameter without a gradient in a step does not advance). */
  protected readonly steps = new Map<string, number>();

  constructor(params: NamedParameter[] | ParamGroupInput[], defaults: OptimizerDefaults) {
    if (!(defaults.lr >= 0)) throw new FinetuneError(`optimizer: lr must be a non-negative number, got ${defaults.lr}`);
    const inputs: ParamGroupInput[] = isGroupList(params) ? params : [{ params }];
    const seen = new Set<string>();
    this.paramGroups = inputs.map((g, i) => {
      for (const [name] of g.params) {
        if (seen.has(name)) throw new FinetuneError(`optimizer: parameter "${name}" is in more than one parameter group`);
        seen.add(name);
      }
      const lr = g.lr ?? defaults.lr;
      return { name: g.name ?? `group_${i}`, params: g.params, lr, initialLr: lr, weightDecay: g.weightDecay ?? defaults.weightDecay ?? 0 };
    });
    if (seen.size === 0) throw new FinetuneError('optimizer: no parameters to optimise (is everything frozen?)');
  }

  /** Every parameter the optimizer updates, with its name. */
  namedParameters(): NamedParameter[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  /**
   * Applies one update. `grads` maps parameter names to gradients (missing names are skipped, as
   * PyTorch skips parameters whose `.grad` is None). The gradients are not disposed unless
   * `options.disposeGrads` hands them over; then each is disposed as soon as it is used.
   */
  step(grads: Map<string, tf.Tensor>, options: StepOptions = {}): void {
    const scale = options.gradScale;
    const handOver = options.disposeGrads ?? false;
    // A gradient tensor that appears under two names (tfjs may give two inputs of one op the
    // same gradient) is read twice, so its memory must not receive a parameter's new values.
    const seen = new Map<object, number>();
    if (handOver) for (const g of grads.values()) seen.set(g.dataId, (seen.get(g.dataId) ?? 0) + 1);
    for (const group of this.paramGroups) {
      for (const [name, param] of group.params) {
        const grad = grads.get(name);
        if (!grad) continue;
        const t = (this.steps.get(name) ?? 0) + 1;
        this.steps.set(name, t);
        let slots = this.slots.get(name);
        if (!slots) {
          slots = new Map();
          this.slots.set(name, slots);
        }
        const s = slots;
        const reusable = handOver && seen.get(grad.dataId) === 1;
        const fused = this.fusedUpdate(name, param.value, grad, group, t, s, { gradScale: scale, gradDisposable: reusable });
        if (!fused) {
          const next = tf.tidy(() => {
            const g = scale === undefined ? grad : tf.mul(grad, scale);
            const out = this.update(param.value, g, group, t, (slot) => s.get(slot));
            for (const v of [out.param, ...Object.values(out.slots)]) tf.keep(v);
            return out;
          });
          param.value.assign(next.param);
          next.param.dispose();
          for (const [slot, value] of Object.entries(next.slots)) {
            const old = s.get(slot);
            if (old !== value) old?.dispose();
            s.set(slot, value);
          }
        }
        if (handOver) {
          const left = (seen.get(grad.dataId) ?? 1) - 1;
          seen.set(grad.dataId, left);
          if (left === 0) grad.dispose();
        }
      }
    }
    if (handOver) for (const g of grads.values()) g.dispose();
  }

  /**
   * An update of one parameter in one pass, in place, for optimizers that have one: updates the
   * parameter (by `assign`) and its state, and returns true; or returns false, with the state in
   * `slots` as tensors, to have `update` run with tensor ops. `gradDisposable`: the gradient's
   * memory may be reused (the caller disposes it afterwards).
   */
  protected fusedUpdate(
    _name: string,
    _param: tf.Variable,
    _grad: tf.Tensor,
    _group: ParamGroup,
    _t: number,
    _slots: Map<string, tf.Tensor>,
    _options: { gradScale: number | undefined; gradDisposable: boolean },
  ): boolean {
    return false;
  }

  /**
   * The update rule for one parameter at step `t` (1-based): returns the new value and the new
   * slot tensors. Runs inside `tf.tidy`; `slot(name)` reads the previous slot (undefined at first).
   */
  protected abstract update(
    param: tf.Tensor,
    grad: tf.Tensor,
    group: ParamGroup,
    t: number,
    slot: (name: string) => tf.Tensor | undefined,
  ): { param: tf.Tensor; slots: Record<string, tf.Tensor> };

  /** Copies of the state (the caller disposes the tensors). */
  stateDict(): OptimizerState {
    const tensors = new Map<string, tf.Tensor>();
    for (const [name, slots] of this.slots) for (const [slot, t] of slots) tensors.set(`${name}.${slot}`, tf.clone(t));
    return {
      tensors,
      meta: {
        type: this.type,
        steps: Object.fromEntries(this.steps),
        groups: this.paramGroups.map((g) => ({ name: g.name, lr: g.lr, weightDecay: g.weightDecay })),
      },
    };
  }

  /** Restores a state saved by `stateDict` (tensors are copied; the caller keeps ownership). */
  loadStateDict(state: OptimizerState): void {
    if (state.meta.type !== this.type) throw new FinetuneError(`optimizer: a ${state.meta.type} state cannot be loaded into ${this.type}`);
    if (state.meta.groups.length !== this.paramGroups.length) {
      throw new FinetuneError(`optimizer: the saved state has ${state.meta.groups.length} parameter groups, this optimizer has ${this.paramGroups.length}`);
    }
    const names = new Set(this.namedParameters().map(([n]) => n));
    for (const key of state.tensors.keys()) {
      const name = key.slice(0, key.lastIndexOf('.'));
      if (!names.has(name)) throw new FinetuneError(`optimizer: the saved state has "${key}" but no parameter "${name}" is optimised`);
    }
    this.disposeState();
    state.meta.groups.forEach((g, i) => {
      const group = this.paramGroups[i] as ParamGroup;
      group.lr = g.lr;
      group.weightDecay = g.weightDecay;
    });
    for (const [name, t] of Object.entries(state.meta.steps)) this.steps.set(name, t);
    for (const [key, t] of state.tensors) {
      const dot = key.lastIndexOf('.');
      const name = key.slice(0, dot);
      let slots = this.slots.get(name);
      if (!slots) {
        slots = new Map();
        this.slots.set(name, slots);
      }
      // A copy with memory of its own (tf.clone would share it), which updates may write in place.
      slots.set(key.slice(dot + 1), tf.mul(t, 1));
    }
  }

  protected disposeState(): void {
    for (const slots of this.slots.values()) for (const t of slots.values()) t.dispose();
    this.slots.clear();
    this.steps.clear();
  }

  /** Frees the state tensors (not the parameters). */
  dispose(): void {
    this.disposeState();
  }
}

function isGroupList(params: NamedParameter[] | ParamGroupInput[]): params is ParamGroupInput[] {
  return params.length > 0 && !Array.isArray(params[0]);
}
