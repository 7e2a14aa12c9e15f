import { createRegistry } from '@tfkit/core-tensor';
import { describe, expect, it } from 'vitest';
import { LoraModel } from './methods/lora.js';
import { AdamW } from './optim/adam.js';
import type { Optimizer } from './optim/optimizer.js';
import type { LrScheduler } from './optim/schedulers.js';
import { registerFinetune } from './register.js';
import { ToyClassifier } from './testing/toy.js';

describe('registerFinetune', () => {
  it('registers optimizers, schedules and methods by key', () => {
    const registry = createRegistry();
    registerFinetune(registry);
    expect(registry.optimizer.keys()).toEqual(['adamw', 'adam', 'sgd']);
    expect(registry.scheduler.keys()).toEqual(['constant', 'constant_with_warmup', 'linear', 'cosine', 'swa']);
    expect(registry.adapter.keys()).toEqual(['lora', 'prefix-tuning', 'freeze', 'reinit']);
    expect(() => registerFinetune(registry)).toThrow(/already registered/);

    const model = new ToyClassifier({ layers: 2 });
    const opt = registry.optimizer.get('adamw').create({ model, lr: 1e-3, layerwiseDecay: 0.5 }) as Optimizer;
    expect(opt).toBeInstanceOf(AdamW);
    expect(opt.paramGroups.map((g) => [g.name, g.lr, g.weightDecay])).toEqual([
      ['decay@0.25', 2.5e-4, 0.01], ['decay@0.5', 5e-4, 0.01], ['no_decay@0.5', 5e-4, 0], ['decay', 1e-3, 0.01], ['no_decay', 1e-3, 0],
    ]);
    const sched = registry.scheduler.get('cosine').create({ optimizer: opt, numTrainingSteps: 10, numWarmupSteps: 2 }) as LrScheduler;
    expect(sched.getLr()[0]).toBe(0);
    const lora = registry.adapter.get('lora').apply(model, { r: 2, targetModules: ['dense'] });
    expect(lora).toBeInstanceOf(LoraModel);
    expect(() => registry.adapter.get('reinit').apply({}, { topLayers: 1 })).toThrow(/expected a tfkit Module/);
    opt.dispose();
    (lora as LoraModel).dispose();
    model.dispose();
  });
});
