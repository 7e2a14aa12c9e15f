import * as tf from '@tensorflow/tfjs-core';
import { Parameter } from '@tfkit/layers';
import { expectAllClose, expectNoLeaks } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { Adam, AdamW } from './adam.js';
import type { NamedParameter } from './optimizer.js';
import { SGD } from './sgd.js';

// Reference: torch.optim.{AdamW,Adam,SGD}.step written out for one scalar element, in float64.
function refAdam(p: number, grads: number[], o: { lr: number; wd: number; decoupled: boolean; b1?: number; b2?: number; eps?: number }): number[] {
  const [b1, b2, eps] = [o.b1 ?? 0.9, o.b2 ?? 0.999, o.eps ?? 1e-8];
  let m = 0;
  let v = 0;
  const out: number[] = [];
  grads.forEach((g0, i) => {
    const t = i + 1;
    let g = g0;
    if (o.decoupled) p *= 1 - o.lr * o.wd;
    else g += o.wd * p;
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g * g;
    const denom = Math.sqrt(v) / Math.sqrt(1 - b2 ** t) + eps;
    p -= (o.lr / (1 - b1 ** t)) * (m / denom);
    out.push(p);
  });
  return out;
}

function refSgd(p: number, grads: number[], o: { lr: number; wd: number; momentum: number; dampening?: number; nesterov?: boolean }): number[] {
  let buf: number | undefined;
  const out: number[] = [];
  for (const g0 of grads) {
    let d = g0 + o.wd * p;
    if (o.momentum) {
      buf = buf === undefined ? d : o.momentum * buf + (1 - (o.dampening ?? 0)) * d;
      d = o.nesterov ? d + o.momentum * buf : buf;
    }
    p -= o.lr * d;
    out.push(p);
  }
  return out;
}

const init = [0.5, -1.25, 2, 0.01];

/** A parameter holding `values` (the temporary tensor is freed; the variable holds its own copy). */
function param(values: number[]): Parameter {
  const t = tf.tensor1d(values);
  const p = new Parameter(t);
  t.dispose();
  return p;
}
const gradSeq = [
  [0.1, -0.2, 0.3, 0.05],
  [-0.4, 0.1, 0.2, -0.3],
  [0.25, 0.25, -0.1, 0.8],
  [0.05, -0.6, 0.4, 0.1],
];

function run(make: (params: NamedParameter[]) => { step(g: Map<string, tf.Tensor>): void; dispose(): void }): number[][] {
  const p = param(init);
  const opt = make([['w', p]]);
  const history: number[][] = [];
  for (const g of gradSeq) {
    const grad = tf.tensor1d(g);
    opt.step(new Map([['w', grad]]));
    grad.dispose();
    history.push(Array.from(p.value.dataSync()));
  }
  opt.dispose();
  p.dispose();
  return history;
}

function expected(ref: (p: number, g: number[]) => number[]): number[][] {
  const perElement = init.map((p, j) => ref(p, gradSeq.map((g) => g[j] as number)));
  return gradSeq.map((_, step) => perElement.map((e) => e[step] as number));
}

describe('optimizers match PyTorch semantics', () => {
  it('AdamW: decoupled decay, bias correction', async () => {
    const got = await expectNoLeaks(() => run((ps) => new AdamW(ps, { lr: 0.1, weightDecay: 0.1 })));
    expectAllClose(got.flat(), expected((p, g) => refAdam(p, g, { lr: 0.1, wd: 0.1, decoupled: true })).flat(), { atol: 1e-6 });
  });

  it('AdamW defaults to weight decay 0.01, like torch.optim.AdamW', () => {
    const p = param([1]);
    const opt = new AdamW([['w', p]], { lr: 1e-3 });
    expect(opt.paramGroups[0]?.weightDecay).toBe(0.01);
    p.dispose();
  });

  it('Adam: L2 weight decay added to the gradient, custom betas/eps', async () => {
    const got = await expectNoLeaks(() => run((ps) => new Adam(ps, { lr: 0.05, weightDecay: 0.2, betas: [0.8, 0.99], eps: 1e-6 })));
    expectAllClose(got.flat(), expected((p, g) => refAdam(p, g, { lr: 0.05, wd: 0.2, decoupled: false, b1: 0.8, b2: 0.99, eps: 1e-6 })).flat(), { atol: 1e-6 });
  });

  it('SGD with momentum, dampening and weight decay', async () => {
    const got = await expectNoLeaks(() => run((ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 })));
    expectAllClose(got.flat(), expected((p, g) => refSgd(p, g, { lr: 0.1, wd: 0.01, momentum: 0.9, dampening: 0.1 })).flat(), { atol: 1e-6 });
  });

  it('SGD with Nesterov momentum', async () => {
    const got = await expectNoLeaks(() => run((ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true })));
    expectAllClose(got.flat(), expected((p, g) => refSgd(p, g, { lr: 0.1, wd: 0, momentum: 0.9, nesterov: true })).flat(), { atol: 1e-6 });
  });

  it('parameter groups keep their own learning rate and weight decay', () => {
    const a = param([1, 2]);
    const b = param([3]);
    const opt = new SGD([{ params: [['a', a]], lr: 0.5 }, { params: [['b', b]], weightDecay: 1 }], { lr: 0.1 });
    const ga = tf.tensor1d([1, 1]);
    const gb = tf.tensor1d([1]);
    opt.step(new Map([['a', ga], ['b', gb]]));
    expectAllClose(a.value, [0.5, 1.5], { atol: 1e-6 });
    expectAllClose(b.value, [3 - 0.1 * (1 + 3)], { atol: 1e-6 });
    [a, b].forEach((p) => p.dispose());
    [ga, gb].forEach((t) => t.dispose());
    opt.dispose();
  });

  it('state dict round trip continues identically', async () => {
    const make = (p: Parameter) => new AdamW([['w', p]], { lr: 0.1 });
    const p1 = param(init);
    const p2 = param(init);
    await expectNoLeaks(() => {
      const o1 = make(p1);
      let o2 = make(p2);
      gradSeq.forEach((g, i) => {
        const grad = tf.tensor1d(g);
        o1.step(new Map([['w', grad]]));
        o2.step(new Map([['w', grad]]));
        if (i === 1) {
          const state = o2.stateDict();
          o2.dispose();
          o2 = make(p2);
          o2.loadStateDict(state);
          state.tensors.forEach((t) => t.dispose());
        }
        grad.dispose();
      });
      [o1, o2].forEach((o) => o.dispose());
    });
    expect(Array.from(p2.value.dataSync())).toEqual(Array.from(p1.value.dataSync()));
    [p1, p2].forEach((p) => p.dispose());
  });

  it('rejects a parameter in two groups and an empty parameter list', () => {
    const a = param([1]);
    expect(() => new SGD([{ params: [['a', a]] }, { params: [['a', a]] }], { lr: 0.1 })).toThrow(/more than one parameter group/);
    expect(() => new SGD([], { lr: 0.1 })).toThrow(/no parameters/);
    a.dispose();
  });
});
