import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectAllClose, expectNoLeaks } from '@tfkit/test-utils';
import { Dropout } from './dropout.js';
import { Embedding } from './embedding.js';
import { LayerNorm } from './layer-norm.js';
import { Linear } from './linear.js';
import { Module, ModuleList, Parameter, StateDictError, matchesPattern } from './module.js';

class Block extends Module {
  ln = new LayerNorm(4);
  dense = new Linear(4, 3);
  drop = new Dropout(0.5);
}

class Net extends Module {
  wte = new Embedding(10, 4);
  layer = new ModuleList([new Block(), new Block()]);
  head = new Linear(3, 2, { bias: false });
}

describe('Module', () => {
  it('names parameters and modules with dotted paths in definition order', () => {
    const net = new Net();
    expect(net.namedParameters().map(([n]) => n)).toEqual([
      'wte.weight',
      'layer.0.ln.weight', 'layer.0.ln.bias', 'layer.0.dense.weight', 'layer.0.dense.bias',
      'layer.1.ln.weight', 'layer.1.ln.bias', 'layer.1.dense.weight', 'layer.1.dense.bias',
      'head.weight',
    ]);
    expect(net.namedModules().map(([n]) => n)).toEqual(['', 'wte', 'layer', 'layer.0', 'layer.0.ln', 'layer.0.dense', 'layer.0.drop', 'layer.1', 'layer.1.ln', 'layer.1.dense', 'layer.1.drop', 'head']);
    expect(net.parameterCount()).toBe(40 + 2 * (8 + 15) + 6);
    net.dispose();
  });

  it('freezes and unfreezes by pattern; trainableOnly counts follow', () => {
    const net = new Net();
    expect(matchesPattern('layer.0.ln.weight', 'layer.*.ln')).toBe(true);
    expect(matchesPattern('layer.0.ln.weight', 'layer.**.weight')).toBe(true);
    expect(matchesPattern('layer.10.ln.weight', 'layer.1')).toBe(false);
    expect(net.freeze()).toHaveLength(10);
    expect(net.parameterCount({ trainableOnly: true })).toBe(0);
    expect(net.unfreeze(['head', /dense\.bias$/])).toEqual(['layer.0.dense.bias', 'layer.1.dense.bias', 'head.weight']);
    expect(net.parameterCount({ trainableOnly: true })).toBe(3 + 3 + 6);
    expect(net.trainableVariables()).toHaveLength(3);
    net.dispose();
  });

  it('train() / eval() switch every descendant; dropout acts only in training', async () => {
    const net = new Net();
    const drop = net.getModule('layer.1.drop') as Dropout;
    expect(drop.training).toBe(false);
    await expectNoLeaks(() => tf.tidy(() => {
      const x = tf.ones([100]);
      expectAllClose(drop.forward(x), x, { atol: 0 });
      net.train();
      expect(net.namedModules().every(([, m]) => m.training)).toBe(true);
      const y = drop.forward(x).dataSync();
      expect(new Set(y)).toEqual(new Set([0, 2]));
      net.eval();
      expect(drop.training).toBe(false);
    }));
    net.dispose();
  });

  it('stateDict converts to checkpoint layout and loadStateDict converts back', async () => {
    const a = new Net();
    const b = new Net();
    await expectNoLeaks(() => {
      const sd = a.stateDict();
      expect(sd.get('layer.0.dense.weight')?.shape).toEqual([3, 4]); // PyTorch [out, in]
      expect(a.getModule('layer.0.dense').namedParameters()[0]?.[1].shape).toEqual([4, 3]); // held [in, out]
      b.loadStateDict(sd);
      tf.tidy(() => {
        for (const [[n, pa], [, pb]] of a.namedParameters().map((e, i) => [e, b.namedParameters()[i]!] as const)) expectAllClose(pb.value, pa.value, { atol: 0, label: n });
      });
      tf.dispose([...sd.values()]);
    });
    a.dispose();
    b.dispose();
  });

  it('reports every missing, unexpected and mis-shaped name in one StateDictError and assigns nothing', () => {
    const net = new Net();
    const sd = net.stateDict();
    const before = net.stateDict();
    sd.delete('head.weight');
    sd.delete('wte.weight');
    sd.set('extra.bias', tf.zeros([2]));
    sd.get('layer.0.ln.weight')?.dispose();
    sd.set('layer.0.ln.weight', tf.zeros([5]));
    sd.get('layer.1.ln.bias')?.dispose();
    sd.set('layer.1.ln.bias', tf.zeros([7]));
    let err: unknown;
    try {
      net.loadStateDict(sd);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StateDictError);
    const e = err as StateDictError;
    expect(e.missing).toEqual(['wte.weight', 'head.weight']);
    expect(e.unexpected).toEqual(['extra.bias']);
    expect(e.mismatched.map((m) => m.name)).toEqual(['layer.0.ln.weight', 'layer.1.ln.bias']);
    expect(e.message).toMatch(/layer\.0\.ln\.weight \(expected \[4\], got \[5\]\)/);
    // Nothing was assigned, not even the weights that fit.
    tf.tidy(() => expectAllClose(net.getModule('layer.0.dense').namedParameters()[0]![1].value, tf.transpose(before.get('layer.0.dense.weight')!), { atol: 0 }));
    // Non-strict: missing/unexpected are returned, mis-shaped is still an error.
    sd.get('layer.0.ln.weight')?.dispose();
    sd.get('layer.1.ln.bias')?.dispose();
    sd.set('layer.0.ln.weight', tf.zeros([4]));
    sd.set('layer.1.ln.bias', tf.zeros([4]));
    expect(net.loadStateDict(sd, { strict: false })).toEqual({ missing: ['wte.weight', 'head.weight'], unexpected: ['extra.bias'] });
    tf.tidy(() => expectAllClose(net.getModule('layer.0.ln').namedParameters()[0]![1].value, tf.zeros([4]), { atol: 0 }));
    tf.dispose([...sd.values(), ...before.values()]);
    net.dispose();
  });

  it('replaces a child module by path, through module lists', async () => {
    class Scaled extends Module {
      constructor(readonly inner: Linear) {
        super();
      }
      forward(x: tf.Tensor): tf.Tensor {
        return tf.mul(this.inner.forward(x), 2);
      }
    }
    const net = new Net();
    const old = net.getModule('layer.1.dense') as Linear;
    const returned = net.setModule('layer.1.dense', new Scaled(old));
    expect(returned).toBe(old);
    expect(net.namedParameters().map(([n]) => n)).toContain('layer.1.dense.inner.weight');
    expect(net.getModule('layer.1.dense')).toBeInstanceOf(Scaled);
    const replacement = new Block();
    const oldBlock = net.setModule('layer.0', replacement);
    expect(net.getModule('layer.0')).toBe(replacement);
    oldBlock.dispose();
    expect(() => net.getModule('layer.2')).toThrow(/no module at "layer.2"/);
    expect(() => net.setModule('nothing', new Block())).toThrow(/no module at "nothing"/);
    net.dispose();
  });

  it('keeps tied parameters once, and dispose() frees every variable', () => {
    const before = tf.memory().numTensors;
    const net = new Net();
    net.head.weight.dispose();
    (net.head as unknown as { weight: Parameter }).weight = net.wte.weight; // a tied alias
    expect(net.namedParameters().filter(([, p]) => p === net.wte.weight)).toHaveLength(1);
    expect(net.namedParameters({ includeAliases: true }).filter(([, p]) => p === net.wte.weight).map(([n]) => n)).toEqual(['wte.weight', 'head.weight']);
    net.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('custom checkpoint layouts convert at load and save', () => {
    const p = Parameter.adopt(tf.zeros([6, 2]), {
      layout: {
        checkpointShape: ([a, b]) => [b as number, 3, (a as number) / 3],
        fromCheckpoint: (t) => tf.transpose(tf.reshape(t, [2, 6])),
        toCheckpoint: (t) => tf.reshape(tf.transpose(t), [2, 3, 2]),
      },
    });
    class Holder extends Module {
      w = p;
    }
    const h = new Holder();
    const src = tf.tidy(() => tf.reshape(tf.range(0, 12), [2, 3, 2]));
    h.loadStateDict(new Map([['w', src]]));
    const back = h.stateDict().get('w') as tf.Tensor;
    expect(back.shape).toEqual([2, 3, 2]);
    expectAllClose(back, src, { atol: 0 });
    tf.dispose([src, back]);
    h.dispose();
  });
});

describe('module trees of any size', () => {
  it('namedModules walks 200k modules and a 20k-deep nesting without overflowing the stack, in definition order', () => {
    class Leaf extends Module {}
    class Pair extends Module {
      a = new Leaf();
      b = new Leaf();
    }
    const wide = new ModuleList(Array.from({ length: 100_000 }, () => new Pair()));
    const names = wide.namedModules().map(([n]) => n);
    expect(names.length).toBe(300_001);
    expect(names.slice(0, 7)).toEqual(['', '0', '0.a', '0.b', '1', '1.a', '1.b']);
    let deep: Module = new Leaf();
    for (let i = 0; i < 20_000; i++) deep = new ModuleList([deep]);
    expect(deep.namedModules().length).toBe(20_001);
  });
});
