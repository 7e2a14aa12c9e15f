/**
 * Re-initialising the top N layers before fine-tuning (Zhang et al., 2021, "Revisiting Few-sample
 * BERT Fine-tuning"), with Hugging Face's `_init_weights`: Linear weights N(0, range²) and zero
 * bias, Embeddings N(0, range²) with the padding row zeroed, LayerNorm weight 1 and bias 0. For
 * GPT-2, residual projections (`c_proj`) use std range/√(2·nLayers), as GPT2PreTrainedModel does.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@tfkit/core-tensor';
import { Embedding, LayerNorm, Linear, normal, type Module } from '@tfkit/layers';
import { FinetuneError } from '../errors.js';
import { countLayers, depthOf, resolveNaming, type LayerNaming } from './layers.js';

export interface ReinitOptions {
  /** How many of the top layers to re-initialise. */
  topLayers: number;
  /** `initializer_range` of the model's config (default 0.02). */
  initializerRange?: number;
  /** Family: `bert`, `gpt2`, `bart`, `vit`, or custom naming (default: common spellings). */
  family?: string;
  naming?: LayerNaming;
  /** Also re-initialise these module paths (e.g. `bert.pooler`). */
  extraModules?: string[];
  /** Row of embeddings zeroed at init (pad token id), if any. */
  paddingIdx?: number;
  seed?: number;
}

/** Re-initialises the selected modules in place; returns their paths. */
export function reinitTopLayers(model: Module, options: ReinitOptions): string[] {
  const naming = options.naming ?? resolveNaming(options.family);
  const n = countLayers(model, naming);
  if (options.topLayers > n) throw new FinetuneError(`reinit: the model has ${n} layers; cannot re-initialise the top ${options.topLayers}`);
  const std = options.initializerRange ?? 0.02;
  const rng = new Random(options.seed ?? 0);
  const done: string[] = [];
  for (const [path, mod] of model.namedModules()) {
    const d = depthOf(path, naming);
    const inTop = d.kind === 'layer' && d.index >= n - options.topLayers;
    const extra = options.extraModules?.some((m) => path === m || path.startsWith(`${m}.`));
    if (!(inTop || extra)) continue;
    if (mod instanceof Linear) {
      const s = options.family === 'gpt2' && /(?:^|\.)c_proj$/.test(path) ? std / Math.sqrt(2 * n) : std;
      assign(mod.weight.value, normal(mod.weight.shape, s, rng));
      if (mod.bias) assign(mod.bias.value, tf.zeros(mod.bias.shape));
    } else if (mod instanceof Embedding) {
      const w = normal(mod.weight.shape, std, rng);
      if (options.paddingIdx !== undefined) {
        const rows = tf.tidy(() => tf.cast(tf.notEqual(tf.range(0, mod.numEmbeddings, 1, 'int32'), options.paddingIdx as number), 'float32'));
        assign(mod.weight.value, tf.tidy(() => tf.mul(w, tf.expandDims(rows, 1))));
        rows.dispose();
        w.dispose();
      } else assign(mod.weight.value, w);
    } else if (mod instanceof LayerNorm) {
      if (mod.weight) assign(mod.weight.value, tf.ones(mod.weight.shape));
      if (mod.bias) assign(mod.bias.value, tf.zeros(mod.bias.shape));
    } else continue;
    done.push(path);
  }
  return done;
}

function assign(v: tf.Variable, t: tf.Tensor): void {
  v.assign(t);
  t.dispose();
}
