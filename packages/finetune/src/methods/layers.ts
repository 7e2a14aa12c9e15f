/**
 * Where a parameter sits in the depth of a transformer, from its name: embeddings at the bottom,
 * then layer 0 … N−1 (the index in `encoder.layer.3.`, `h.3.`, `layers.3.`), then everything else
 * (pooler, heads, final norms) at the top. Used by layer-wise learning-rate decay, freezing the
 * bottom layers and re-initialising the top ones. A family's naming is a pair of patterns on its
 * registry entry (`layerNaming`); the default covers the common spellings.
 */
import type { LayerNaming } from '@tfkit/core-tensor';
import type { Module } from '@tfkit/layers';
import { familyEntry, type FamilyOptions } from './family.js';

export type { LayerNaming } from '@tfkit/core-tensor';

/** The common spellings of layer stacks and embeddings, for models whose family gives no naming. */
export const DEFAULT_LAYER_NAMING: LayerNaming = {
  layer: /(?:^|\.)(?:layer|layers|h|block|blocks)\.(\d+)\./,
  embeddings: /(?:^|\.)(?:embeddings|embed_tokens|embed_positions|wte|wpe|shared)\./,
};

export interface NamingOptions extends FamilyOptions {
  /** Patterns to use instead of the family's (from `registry`) or the default. */
  naming?: LayerNaming;
}

export type Depth = { kind: 'embeddings' } | { kind: 'layer'; index: number } | { kind: 'top' };

/** The naming for `model`: `options.naming`, else its family's `layerNaming` in `options.registry`, else the default. */
export function resolveNaming(model: unknown, options: NamingOptions = {}): LayerNaming {
  return options.naming ?? familyEntry(model, options.registry)?.layerNaming ?? DEFAULT_LAYER_NAMING;
}

/** Where `name` sits. A parameter name is matched with a trailing `.` so module paths work too. */
export function depthOf(name: string, naming: LayerNaming = DEFAULT_LAYER_NAMING): Depth {
  const key = `${name}.`;
  const m = naming.layer.exec(key);
  if (m) return { kind: 'layer', index: Number(m[1]) };
  if (naming.embeddings.test(key)) return { kind: 'embeddings' };
  return { kind: 'top' };
}

/** Number of layers: the largest index found in the model's parameter names, plus one. */
export function countLayers(model: Module, naming: LayerNaming = DEFAULT_LAYER_NAMING): number {
  let max = -1;
  for (const [name] of model.namedParameters()) {
    const d = depthOf(name, naming);
    if (d.kind === 'layer') max = Math.max(max, d.index);
  }
  return max + 1;
}
