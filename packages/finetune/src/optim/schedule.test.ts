import * as tf from '@tensorflow/tfjs-core';
import { expectAllClose, expectNoLeaks } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { ToyClassifier } from '../testing/toy.js';
import { clipGradNorm } from './clip.js';
import { SGD } from './sgd.js';
import { groupParameters, noDecayNames } from './param-groups.js';
import { LrScheduler, lrLambda } from './schedulers.js';

describe('schedulers (Hugging Face get_scheduler formulas)', () => {
  it('linear: warmup then linear decay to 0', () => {
    const f = lrLambda('linear', { numTrainingSteps: 10, numWarmupSteps: 2 });
    expect([0, 1, 2, 6, 10].map(f)).toEqual([0, 0.5, 1, 0.5, 0]);
  });

  it('cosine: half-cosine after warmup', () => {
    const f = lrLambda('cosine', { numTrainingSteps: 12, numWarmupSteps: 2 });
    expect(f(1)).toBe(0.5);
    expect(f(2)).toBeCloseTo(1, 12);
    expect(f(7)).toBeCloseTo(0.5, 12);
    expect(f(12)).toBeCloseTo(0, 12);
  });

  it('constant and constant_with_warmup', () => {
    expect(lrLambda('constant', {})(5)).toBe(1);
    const f = lrLambda('constant_with_warmup', { numWarmupSteps: 4 });
    expect([0, 2, 4, 100].map(f)).toEqual([0, 0.5, 1, 1]);
  });

  it('swa: decays for the first 75%, then holds the SWA rate', () => {
    const f = lrLambda('swa', { numTrainingSteps: 100, swaLrRatio: 0.4 });
    expect(f(0)).toBe(1);
    expect(f(37.5)).toBeCloseTo(0.7, 12);
    expect(f(75)).toBe(0.4);
    expect(f(99)).toBe(0.4);
    expect(f(74)).toBeGreaterThan(0.4);
  });

  it('scales every group from its own initial rate and restores its position', () => {
    const m = new ToyClassifier();
    const opt = new SGD([{ params: m.namedParameters().slice(0, 1), lr: 1 }, { params: m.namedParameters().slice(1), lr: 0.1 }], { lr: 1 });
    const s = new LrScheduler(opt, 'linear', { numTrainingSteps: 4 });
    s.step();
    expectAllClose(s.getLr(), [0.75, 0.075], { atol: 1e-12 });
    const s2 = new LrScheduler(opt, 'linear', { numTrainingSteps: 4 });
    s2.loadStateDict(s.stateDict());
    expect(s2.getLr()).toEqual(s.getLr());
    expect(() => new LrScheduler(opt, 'cosine', {})).toThrow(/numTrainingSteps/);
    m.dispose();
  });
});

describe('parameter groups', () => {
  it('no decay on biases and LayerNorm parameters, decay on weight matrices', () => {
    const m = new ToyClassifier();
    const exempt = noDecayNames(m);
    expect([...exempt].sort()).toEqual(
      ['classifier.bias', 'encoder.layer.0.LayerNorm.bias', 'encoder.layer.0.LayerNorm.weight', 'encoder.layer.0.dense.bias',
        'encoder.layer.1.LayerNorm.bias', 'encoder.layer.1.LayerNorm.weight', 'encoder.layer.1.dense.bias'].sort(),
    );
    const groups = groupParameters(m, { lr: 1e-3, weightDecay: 0.01 });
    expect(groups.map((g) => [g.name, g.weightDecay])).toEqual([['decay', 0.01], ['no_decay', 0]]);
    expect(groups[0]?.params.map(([n]) => n)).toEqual(['embeddings.weight', 'encoder.layer.0.dense.weight', 'encoder.layer.1.dense.weight', 'classifier.weight']);
    m.dispose();
  });

  it('custom no-decay patterns, frozen parameters left out, per-parameter lr scale', () => {
    const m = new ToyClassifier();
    m.freeze('embeddings');
    const groups = groupParameters(m, { lr: 1, weightDecay: 0.1, noDecay: [/classifier/], lrScale: (n) => (n.startsWith('encoder') ? 0.5 : 1) });
    const byName = Object.fromEntries(groups.map((g) => [g.name, g]));
    expect(Object.keys(byName).sort()).toEqual(['decay@0.5', 'no_decay']);
    expect(byName['decay@0.5']?.lr).toBe(0.5);
    expect(byName['no_decay']?.params.map(([n]: [string, unknown]) => n)).toEqual(['classifier.weight', 'classifier.bias']);
    expect(groups.flatMap((g) => g.params.map(([n]) => n))).not.toContain('embeddings.weight');
    m.dispose();
  });
});

describe('clipGradNorm', () => {
  it('scales by maxNorm / (norm + 1e-6) only above the limit', async () => {
    await expectNoLeaks(() => {
      const grads = new Map([['a', tf.tensor1d([3, 0])], ['b', tf.tensor1d([4])]]);
      const { grads: clipped, norm } = clipGradNorm(grads, 1);
      expect(norm).toBeCloseTo(5, 5);
      expectAllClose(clipped.get('a') as tf.Tensor, [3 / (5 + 1e-6), 0], { atol: 1e-6 });
      const same = clipGradNorm(grads, 10);
      expect(same.grads).toBe(grads);
      [...grads.values(), ...clipped.values()].forEach((t) => t.dispose());
    });
  });
});
