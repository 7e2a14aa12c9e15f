/**
 * Re-initialising the top N layers before fine-tuning (Zhang et al., 2021, "Revisiting Few-sample
 * BERT Fine-tuning"), with Hugging Face's `_init_weights`: Linear weights N(0, range²) and zero
 * bias, Embeddings N(0, range²) with the padding row zeroed, LayerNorm weight 1 and bias 0. Where
 * the family's `initRules` say so, residual projections use std range/√(2·nLayers) (GPT-2's
 * `c_proj`) and the std comes from another config key (BART's `init_std`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Random, type InitRules } from '@tfkit/core-tensor';
import { Embedding, LayerNorm, Linear, normal, type Module } from '@tfkit/layers';
import { FinetuneError } from '../errors.js';
import { familyEntry } from './family.js';
import { countLayers, depthOf, resolveNaming, type NamingOptions } from './layers.js';

export interface ReinitOptions extends NamingOptions {
  /** How many of the top layers to re-initialise. */
  topLayers: number;
  /** The init std (default: the model's config.json value named by the init rules, `initializer_range`, else 0.02). */
  initializerRange?: number;
  /** Rules to use instead of the family's (from `registry`). */
  initRules?: InitRules;
  /** Also re-initialise these module paths (e.g. `bert.pooler`). */
  extraModules?: string[];
  /** Row of embeddings zeroed at init (pad token id), if any. */
  paddingIdx?: number;
  seed?: number;
}

/** Re-initialises the selected modules in place; returns their paths. */
export function reinitTopLayers(model: Module, options: ReinitOptions): string[] {
  const naming = resolveNaming(model, options);
  const rules = options.initRules ?? familyEntry(model, options.registry)?.initRules ?? {};
  const n = countLayers(model, naming);
  if (options.topLayers > n) throw new FinetuneError(`reinit: the model has ${n} layers; cannot re-initialise the top ${options.topLayers}`);
  const std = options.initializerRange ?? configStd(model, rules.stdKey ?? 'initializer_range') ?? 0.02;
  const rng = new Random(options.seed ?? 0);
  const done: string[] = [];
  for (const [path, mod] of model.namedModules()) {
    const d = depthOf(path, naming);
    const inTop = d.kind === 'layer' && d.index >= n - options.topLayers;
    const extra = options.extraModules?.some((m) => path === m || path.startsWith(`${m}.`));
    if (!(inTop || extra)) continue;
    if (mod instanceof Linear) {
      const s = rules.scaledResidual?.test(path) ? std / Math.sqrt(2 * n) : std;
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

/** The init std in the model's config.json (`hfConfig`), when it has one. */
function configStd(model: Module, key: string): number | undefined {
  const value = (model as { hfConfig?: Record<string, unknown> }).hfConfig?.[key];
  return typeof value === 'number' && value > 0 ? value : undefined;
}

function assign(v: tf.Variable, t: tf.Tensor): void {
  v.assign(t);
  t.dispose();
}
