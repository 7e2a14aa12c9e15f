/**
 * `registerFinetune(registry)`: the optimizers (`adamw`, `adam`, `sgd`), schedules (`constant`,
 * `constant_with_warmup`, `linear`, `cosine`, `swa`) and methods (`lora`, `prefix-tuning`,
 * `freeze`, `reinit`) under their registry keys, so apps and the CLI pick them by name. Entries
 * created through a registry take the model family's defaults (layer naming, LoRA targets, init
 * rules) from that same registry's entry for the model's `modelType`.
 */
import type { AdapterEntry, LayerNaming, OptimizerEntry, Registry, RegisterOptions, SchedulerEntry } from '@tfkit/core-tensor';
import { Module } from '@tfkit/layers';
import { FinetuneError } from './errors.js';
import { defaultLoraTargets } from './methods/family.js';
import { freezeLayers, type FreezeOptions } from './methods/freeze.js';
import { layerwiseLrScale } from './methods/llrd.js';
import { LoraModel, type LoraConfig } from './methods/lora.js';
import { PrefixTuningModel, type PrefixTuningConfig } from './methods/prefix-tuning.js';
import { reinitTopLayers, type ReinitOptions } from './methods/reinit.js';
import { Adam, AdamW } from './optim/adam.js';
import type { NamedParameter, Optimizer, ParamGroupInput } from './optim/optimizer.js';
import { groupParameters } from './optim/param-groups.js';
import { LrScheduler, type SchedulerName } from './optim/schedulers.js';
import { SGD } from './optim/sgd.js';

declare module '@tfkit/core-tensor' {
  interface OptimizerEntries {
    adamw: OptimizerEntry;
    adam: OptimizerEntry;
    sgd: OptimizerEntry;
  }
  interface SchedulerEntries {
    constant: SchedulerEntry;
    constant_with_warmup: SchedulerEntry;
    linear: SchedulerEntry;
    cosine: SchedulerEntry;
    swa: SchedulerEntry;
  }
  interface AdapterEntries {
    lora: AdapterEntry;
    'prefix-tuning': AdapterEntry;
    freeze: AdapterEntry;
    reinit: AdapterEntry;
  }
}

/**
 * Options every optimizer entry takes: `params` (named parameters or groups), or `model` — then
 * the groups are built with no decay on biases / norms and, with `layerwiseDecay`, layer-wise rates.
 */
export interface OptimizerCreateOptions {
  params?: NamedParameter[] | ParamGroupInput[];
  model?: Module;
  lr: number;
  weightDecay?: number;
  layerwiseDecay?: number;
  /** Layer naming for layer-wise decay (default: the model family's, from the registry). */
  naming?: LayerNaming;
  [option: string]: unknown;
}

function params(o: OptimizerCreateOptions, defaultDecay: number, registry: Registry): NamedParameter[] | ParamGroupInput[] {
  if (o.params) return o.params;
  if (!(o.model instanceof Module)) throw new FinetuneError('optimizer: pass `params` or `model`');
  const lrScale = o.layerwiseDecay !== undefined ? layerwiseLrScale(o.model, { decay: o.layerwiseDecay, naming: o.naming, registry }) : undefined;
  return groupParameters(o.model, { lr: o.lr, weightDecay: o.weightDecay ?? defaultDecay, lrScale });
}

function optimizer(make: (o: OptimizerCreateOptions) => Optimizer): OptimizerEntry {
  return { create: (options) => make(options as OptimizerCreateOptions) };
}

function scheduler(name: SchedulerName): SchedulerEntry {
  return {
    create: (options) => {
      const { optimizer: opt, ...rest } = options as { optimizer: Optimizer } & Record<string, number>;
      return new LrScheduler(opt, name, rest);
    },
  };
}

export function registerFinetune(registry: Registry, options: RegisterOptions = {}): void {
  registry.optimizer.register('adamw', optimizer((o) => new AdamW(params(o, 0.01, registry), o as never)), options);
  registry.optimizer.register('adam', optimizer((o) => new Adam(params(o, 0, registry), o as never)), options);
  registry.optimizer.register('sgd', optimizer((o) => new SGD(params(o, 0, registry), o as never)), options);
  for (const name of ['constant', 'constant_with_warmup', 'linear', 'cosine', 'swa'] as const) registry.scheduler.register(name, scheduler(name), options);
  const module = (m: unknown, what: string): Module => {
    if (!(m instanceof Module)) throw new FinetuneError(`${what}: expected a tfkit Module`);
    return m;
  };
  const lora = (m: Module, c: Partial<LoraConfig>): LoraConfig => ({ ...c, targetModules: c.targetModules ?? defaultLoraTargets(m, registry) }) as LoraConfig;
  registry.adapter.register('lora', { description: 'LoRA (PEFT-compatible; targets default to the family\'s)', apply: (m, c) => LoraModel.apply(module(m, 'lora'), lora(module(m, 'lora'), c)) }, options);
  registry.adapter.register('prefix-tuning', { description: 'Prefix tuning (PEFT semantics)', apply: (m, c) => new PrefixTuningModel(module(m, 'prefix-tuning'), c as unknown as PrefixTuningConfig) }, options);
  registry.adapter.register('freeze', { description: 'Freeze embeddings / bottom layers / name patterns', apply: (m, c) => freezeLayers(module(m, 'freeze'), { registry, ...(c as FreezeOptions) }) }, options);
  registry.adapter.register('reinit', { description: 'Re-initialise the top N layers (HF _init_weights)', apply: (m, c) => reinitTopLayers(module(m, 'reinit'), { registry, ...(c as unknown as ReinitOptions) }) }, options);
}
