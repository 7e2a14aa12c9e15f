/**
 * Freezing for full fine-tuning: by name pattern (the Module's `freeze`), or by depth — the
 * embeddings and the bottom N layers — using the family's layer naming (see `layers.ts`).
 */
import type { Module, NamePattern } from '@tfkit/layers';
import { depthOf, resolveNaming, type NamingOptions } from './layers.js';

export interface FreezeOptions extends NamingOptions {
  /** Freeze the embedding parameters. */
  embeddings?: boolean;
  /** Freeze layers 0 … N−1. */
  bottomLayers?: number;
  /** Also freeze parameters matching these patterns. */
  patterns?: NamePattern[];
}

/** Freezes what `options` selects and returns the names frozen. */
export function freezeLayers(model: Module, options: FreezeOptions): string[] {
  const frozen: string[] = [];
  const naming = resolveNaming(model, options);
  for (const [name, p] of model.namedParameters()) {
    const d = depthOf(name, naming);
    const hit = (options.embeddings && d.kind === 'embeddings') || (d.kind === 'layer' && d.index < (options.bottomLayers ?? 0));
    if (hit) {
      p.trainable = false;
      frozen.push(name);
    }
  }
  if (options.patterns?.length) frozen.push(...model.freeze(options.patterns).filter((n) => !frozen.includes(n)));
  return frozen;
}
