import type * as tf from '@tensorflow/tfjs-core';
import { createRegistry, Random, type ModelEntry, type Registry } from '@tfkit/core-tensor';
import { Embedding, LayerNorm, Linear, Module, ModuleList } from '@tfkit/layers';
import { expectNoLeaks } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { FinetuneError } from '../errors.js';
import type { Optimizer } from '../optim/optimizer.js';
import { registerFinetune } from '../register.js';
import { defaultLoraTargets, familyEntry } from './family.js';
import { freezeLayers } from './freeze.js';
import { layerwiseLrScale } from './llrd.js';
import type { LoraModel } from './lora.js';
import { reinitTopLayers } from './reinit.js';

/** A family whose names no default knows: `stem` embeddings, `stages.{i}` blocks with `mix`/`out`, a `head`. */
class Stage extends Module {
  mix: Linear;
  out: Linear;
  norm: LayerNorm;
  constructor(dim: number, rng: Random) {
    super();
    this.mix = new Linear(dim, dim, { rng, initStd: 0.3 });
    this.out = new Linear(dim, dim, { rng, initStd: 0.3 });
    this.norm = new LayerNorm(dim);
  }
}

class StageNet extends Module {
  readonly modelType = 'test-stages';
  readonly hfConfig = { model_type: 'test-stages', init_scale: 0.08 };
  stem: Embedding;
  stages: ModuleList<Stage>;
  head: Linear;
  constructor(layers = 4, dim = 64) {
    super();
    const rng = new Random(3);
    this.stem = new Embedding(10, dim, { rng, initStd: 0.3 });
    this.stages = new ModuleList(Array.from({ length: layers }, () => new Stage(dim, rng)));
    this.head = new Linear(dim, 2, { rng, initStd: 0.3 });
  }
}

const entry: ModelEntry = {
  architectures: {},
  defaultArchitecture: 'StageNet',
  layerNaming: { layer: /(?:^|\.)stages\.(\d+)\./, embeddings: /(?:^|\.)stem\./ },
  loraTargetModules: ['mix'],
  initRules: { stdKey: 'init_scale', scaledResidual: /(?:^|\.)out$/ },
};

function registry(): Registry {
  const r = createRegistry();
  r.model.register('test-stages', entry);
  registerFinetune(r);
  return r;
}

const std = (t: tf.Tensor) => {
  const v = Array.from(t.dataSync());
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
};

describe('family facts from the registry entry of the model type', () => {
  it('finds the entry by modelType, only when the registry knows it', () => {
    const m = new StageNet();
    const r = registry();
    expect(familyEntry(m, r)).toBe(r.model.get('test-stages'));
    expect(familyEntry(m, undefined)).toBeUndefined();
    expect(familyEntry(m, createRegistry())).toBeUndefined();
    expect(familyEntry({}, r)).toBeUndefined();
    m.dispose();
  });

  it('layer-wise decay and freezing use the family naming; without it no layer is found', () => {
    const m = new StageNet();
    const r = registry();
    expect(() => layerwiseLrScale(m, { decay: 0.5 })).toThrow(/no layer index found.*pass `registry`/);
    const scale = layerwiseLrScale(m, { decay: 0.5, registry: r });
    expect(['head.weight', 'stages.3.mix.weight', 'stages.1.out.bias', 'stages.0.norm.weight', 'stem.weight'].map(scale)).toEqual([1, 1, 0.25, 0.125, 0.0625]);
    const opt = r.optimizer.get('adamw').create({ model: m, lr: 1, layerwiseDecay: 0.5 }) as Optimizer;
    const lrOf = (name: string) => opt.paramGroups.find((g) => g.params.some(([n]) => n === name))?.lr;
    expect([lrOf('stem.weight'), lrOf('stages.2.mix.weight'), lrOf('head.weight')]).toEqual([0.0625, 0.5, 1]);
    opt.dispose();

    expect(freezeLayers(m, { embeddings: true, bottomLayers: 1 })).toEqual([]); // nothing the default naming knows
    const frozen = r.adapter.get('freeze').apply(m, { embeddings: true, bottomLayers: 1 }) as string[];
    expect(frozen.sort()).toEqual(['stages.0.mix.bias', 'stages.0.mix.weight', 'stages.0.norm.bias', 'stages.0.norm.weight', 'stages.0.out.bias', 'stages.0.out.weight', 'stem.weight']);
    m.dispose();
  });

  it('re-initialises with the family init rules: std from its config key, residual projections scaled by 1/√(2·layers)', async () => {
    const m = new StageNet(4, 128);
    const paths = await expectNoLeaks(() => registry().adapter.get('reinit').apply(m, { topLayers: 1, seed: 1 }) as string[]);
    expect(paths).toEqual(['stages.3.mix', 'stages.3.out', 'stages.3.norm']);
    expect(std(m.stages.at(3).mix.weight.value)).toBeCloseTo(0.08, 2);
    expect(std(m.stages.at(3).out.weight.value)).toBeCloseTo(0.08 / Math.sqrt(8), 2);
    expect(std(m.stages.at(2).mix.weight.value)).toBeGreaterThan(0.25); // untouched
    // Without the family's rules: one std for every Linear, 0.02 when the config names no `initializer_range`.
    reinitTopLayers(m, { topLayers: 1, naming: entry.layerNaming, seed: 2 });
    expect(std(m.stages.at(3).out.weight.value)).toBeCloseTo(0.02, 2);
    m.dispose();
  });

  it('LoRA targets default to the family’s; a family without them is an error saying what to pass', () => {
    const m = new StageNet();
    const r = registry();
    expect(defaultLoraTargets(m, r)).toEqual(['mix']);
    const lora = r.adapter.get('lora').apply(m, { r: 2 }) as LoraModel;
    expect(lora.loraLayers().map(([p]) => p)).toEqual(['stages.0.mix', 'stages.1.mix', 'stages.2.mix', 'stages.3.mix']);
    expect(lora.config().targetModules).toEqual(['mix']);
    lora.dispose();
    m.dispose();
    const bare = createRegistry();
    registerFinetune(bare);
    const other = new StageNet();
    expect(() => bare.adapter.get('lora').apply(other, { r: 2 })).toThrow(FinetuneError);
    expect(() => bare.adapter.get('lora').apply(other, { r: 2 })).toThrow(/no targetModules given .*model type "test-stages" is not registered.*pass targetModules/);
    expect(() => defaultLoraTargets(other, undefined)).toThrow(/no registry was given/);
    other.dispose();
  });
});
