/**
 * Parameter groups for fine-tuning: weight decay on weight matrices only, none on biases and
 * normalisation weights (as Hugging Face's Trainer does), optionally a learning-rate scale per
 * parameter (layer-wise decay). Only trainable parameters are included.
 */
import { LayerNorm, matchesPattern, type Module, type NamePattern, type Parameter } from '@tfkit/layers';
import type { NamedParameter, ParamGroupInput } from './optimizer.js';

/**
 * Names that are exempt from weight decay by default: biases, and the weights of normalisation
 * layers under the names the Hugging Face families use (`LayerNorm`, `layer_norm`, `ln_1`, `ln_f`,
 * `layernorm_embedding`, `norm`, …).
 */
export const DEFAULT_NO_DECAY: readonly NamePattern[] = [/(^|\.)bias$/, /(^|\.)([^.]*norm[^.]*|ln_[^.]*|ln)\.weight$/i];

export interface GroupParametersOptions {
  lr: number;
  weightDecay: number;
  /**
   * Parameters without weight decay: name patterns, or a predicate. Default: `DEFAULT_NO_DECAY`
   * plus every parameter of a `LayerNorm` module, whatever its name.
   */
  noDecay?: readonly NamePattern[] | ((name: string, param: Parameter) => boolean);
  /** A learning-rate multiplier per parameter (e.g. from `layerwiseLrScales`); default 1. */
  lrScale?: (name: string) => number;
}

/** The names of parameters that should not be decayed in `model`. */
export function noDecayNames(model: Module, noDecay: GroupParametersOptions['noDecay'] = DEFAULT_NO_DECAY): Set<string> {
  const out = new Set<string>();
  const params = model.namedParameters();
  if (typeof noDecay === 'function') {
    for (const [name, p] of params) if (noDecay(name, p)) out.add(name);
    return out;
  }
  for (const [name] of params) if (noDecay.some((pat) => matchesPattern(name, pat))) out.add(name);
  if (noDecay === DEFAULT_NO_DECAY) {
    for (const [modName, mod] of model.namedModules()) {
      if (!(mod instanceof LayerNorm)) continue;
      for (const [pName] of mod.ownParameters()) out.add(modName ? `${modName}.${pName}` : pName);
    }
  }
  return out;
}

/**
 * Splits the trainable parameters into groups with the same (learning rate, weight decay), in
 * model order. Group names read `decay`, `no_decay`, or `decay@0.59` when a scale applies.
 */
export function groupParameters(model: Module, options: GroupParametersOptions): ParamGroupInput[] {
  const exempt = noDecayNames(model, options.noDecay);
  const groups = new Map<string, ParamGroupInput & { params: NamedParameter[] }>();
  for (const [name, p] of model.namedParameters({ trainableOnly: true })) {
    const scale = options.lrScale ? options.lrScale(name) : 1;
    const decay = exempt.has(name) ? 0 : options.weightDecay;
    const key = `${decay === 0 ? 'no_decay' : 'decay'}${scale === 1 ? '' : `@${+scale.toPrecision(6)}`}`;
    let group = groups.get(key);
    if (!group) {
      group = { name: key, params: [], lr: options.lr * scale, weightDecay: decay };
      groups.set(key, group);
    }
    group.params.push([name, p]);
  }
  return [...groups.values()];
}
