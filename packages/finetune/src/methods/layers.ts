/**
 * Where a parameter sits in the depth of a transformer, from its name: embeddings at the bottom,
 * then layer 0 … N−1 (the index in `encoder.layer.3.`, `h.3.`, `layers.3.`), then everything else
 * (pooler, heads, final norms) at the top. Used by layer-wise learning-rate decay, freezing the
 * bottom layers and re-initialising the top ones. Each family's naming is a pair of patterns.
 */
import type { Module } from '@tfkit/layers';

export interface LayerNaming {
  /** Captures the layer index in group 1. */
  layer: RegExp;
  /** Embedding parameters (below layer 0). */
  embeddings: RegExp;
}

/** Naming per Hugging Face family; `default` covers the common spellings. */
export const LAYER_NAMING: Record<string, LayerNaming> = {
  bert: { layer: /(?:^|\.)encoder\.layer\.(\d+)\./, embeddings: /(?:^|\.)embeddings\./ },
  gpt2: { layer: /(?:^|\.)h\.(\d+)\./, embeddings: /(?:^|\.)(?:wte|wpe)\./ },
  bart: { layer: /(?:^|\.)layers\.(\d+)\./, embeddings: /(?:^|\.)(?:shared|embed_tokens|embed_positions|layernorm_embedding)\./ },
  vit: { layer: /(?:^|\.)encoder\.layer\.(\d+)\./, embeddings: /(?:^|\.)embeddings\./ },
  default: { layer: /(?:^|\.)(?:layer|layers|h|block|blocks)\.(\d+)\./, embeddings: /(?:^|\.)(?:embeddings|embed_tokens|embed_positions|wte|wpe|shared)\./ },
};

export type Depth = { kind: 'embeddings' } | { kind: 'layer'; index: number } | { kind: 'top' };

export function resolveNaming(naming?: LayerNaming | string): LayerNaming {
  if (typeof naming === 'object') return naming;
  return LAYER_NAMING[naming ?? 'default'] ?? (LAYER_NAMING['default'] as LayerNaming);
}

/** Where `name` sits. A parameter name is matched with a trailing `.` so module paths work too. */
export function depthOf(name: string, naming?: LayerNaming | string): Depth {
  const n = resolveNaming(naming);
  const key = `${name}.`;
  const m = n.layer.exec(key);
  if (m) return { kind: 'layer', index: Number(m[1]) };
  if (n.embeddings.test(key)) return { kind: 'embeddings' };
  return { kind: 'top' };
}

/** Number of layers: the largest index found in the model's parameter names, plus one. */
export function countLayers(model: Module, naming?: LayerNaming | string): number {
  let max = -1;
  for (const [name] of model.namedParameters()) {
    const d = depthOf(name, naming);
    if (d.kind === 'layer') max = Math.max(max, d.index);
  }
  return max + 1;
}
