/**
 * Layer-wise learning-rate decay (Howard & Ruder, 2018; Clark et al., 2020): the top layer and the
 * head train at the base rate, each layer below at `decay` times the one above, the embeddings
 * lowest. Produces a scale per parameter for `groupParameters({ lrScale })`, or the groups directly.
 */
import type { Module } from '@tfkit/layers';
import { FinetuneError } from '../errors.js';
import { groupParameters, type GroupParametersOptions } from '../optim/param-groups.js';
import type { ParamGroupInput } from '../optim/optimizer.js';
import { countLayers, depthOf, resolveNaming, type NamingOptions } from './layers.js';

export interface LayerwiseDecayOptions extends NamingOptions {
  /** Multiplier per layer going down (e.g. 0.9). */
  decay: number;
  /** Number of layers (default: counted from parameter names). */
  numLayers?: number;
}

/** name → learning-rate multiplier: top/head 1, layer i decay^(N−1−i), embeddings decay^N. */
export function layerwiseLrScale(model: Module, options: LayerwiseDecayOptions): (name: string) => number {
  if (!(options.decay > 0 && options.decay <= 1)) throw new FinetuneError(`layer-wise lr decay must be in (0, 1], got ${options.decay}`);
  const naming = resolveNaming(model, options);
  const n = options.numLayers ?? countLayers(model, naming);
  if (n === 0) {
    throw new FinetuneError("layer-wise lr decay: no layer index found in parameter names; pass `registry` (the family's layerNaming) or `naming` for this model");
  }
  return (name) => {
    const d = depthOf(name, naming);
    if (d.kind === 'top') return 1;
    if (d.kind === 'embeddings') return options.decay ** n;
    return options.decay ** (n - 1 - d.index);
  };
}

/** Parameter groups with layer-wise rates and the usual no-decay split. */
export function layerwiseParamGroups(model: Module, options: LayerwiseDecayOptions & Omit<GroupParametersOptions, 'lrScale'>): ParamGroupInput[] {
  return groupParameters(model, { ...options, lrScale: layerwiseLrScale(model, options) });
}
