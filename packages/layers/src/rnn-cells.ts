/**
 * Recurrent cells — Elman RNN, LSTM (Hochreiter & Schmidhuber, 1997) and GRU (Cho et al., 2014) —
 * with PyTorch's nn.RNNCell / nn.LSTMCell / nn.GRUCell parameter names, gate order and layout.
 *
 * Weights are held as `[in, gates·hidden]` (PyTorch stores `[gates·hidden, in]`) so every product
 * is a fast 2-D matMul. The step functions take the input projection x·W_ih + b_ih precomputed:
 * the sequence layers compute it for all time steps at once with one large matMul.
 */
import * as tf from '@tensorflow/tfjs-core';
import { getActivation, linear, matMul2d, type Random } from '@tfkit/core-tensor';
import { uniform, defaultRng } from './init.js';
import { Module, Parameter } from './module.js';

/**
 * GRU variants. 'pytorch' (PyTorch, cuDNN, Keras `resetAfter: true`): r and z from x and h,
 * n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h' = (1 − z) ⊙ n + z ⊙ h.
 * 'classic' (the reset gate before the hidden product): h̃ = tanh(W·[r ⊙ h, x] + b),
 * h' = (1 − z) ⊙ h + z ⊙ h̃ — z is the share of the new candidate.
 */
export type GRUVariant = 'pytorch' | 'classic';

/** The hidden-to-hidden weights of one cell, in held layout. */
export interface RecurrentWeights {
  /** `[hidden, gates·hidden]` */
  wHh: tf.Tensor;
  /** `[gates·hidden]` or null */
  bHh: tf.Tensor | null;
}

function hiddenProj(h: tf.Tensor, w: tf.Tensor, b: tf.Tensor | null): tf.Tensor {
  const p = matMul2d(h as tf.Tensor2D, w as tf.Tensor2D);
  return b ? tf.add(p, b) : p;
}

/** h' = act(xProj + h·W_hh + b_hh) */
export function rnnStep(xProj: tf.Tensor, h: tf.Tensor, w: RecurrentWeights, act: (x: tf.Tensor) => tf.Tensor): tf.Tensor {
  return act(tf.add(xProj, hiddenProj(h, w.wHh, w.bHh)));
}

/** One LSTM step; gate order i, f, g, o (PyTorch). */
export function lstmStep(xProj: tf.Tensor, h: tf.Tensor, c: tf.Tensor, w: RecurrentWeights): { h: tf.Tensor; c: tf.Tensor } {
  const gates = tf.add(xProj, hiddenProj(h, w.wHh, w.bHh));
  const [i, f, g, o] = tf.split(gates, 4, 1) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
  const cNext = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
  return { h: tf.mul(tf.sigmoid(o), tf.tanh(cNext)), c: cNext };
}

/** The hidden weights of a GRU cell split the way a step needs them (done once per sequence). */
export interface GRUWeights extends RecurrentWeights {
  variant: GRUVariant;
  /** classic only: the r/z columns and the candidate columns of W_hh / b_hh. */
  wHrz?: tf.Tensor;
  bHrz?: tf.Tensor | null;
  wHn?: tf.Tensor;
  bHn?: tf.Tensor | null;
}

export function gruWeights(wHh: tf.Tensor, bHh: tf.Tensor | null, variant: GRUVariant): GRUWeights {
  if (variant === 'pytorch') return { wHh, bHh, variant };
  const hidden = wHh.shape[0] as number;
  return {
    wHh, bHh, variant,
    wHrz: tf.slice(wHh, [0, 0], [hidden, 2 * hidden]),
    wHn: tf.slice(wHh, [0, 2 * hidden], [hidden, hidden]),
    bHrz: bHh ? tf.slice(bHh, [0], [2 * hidden]) : null,
    bHn: bHh ? tf.slice(bHh, [2 * hidden], [hidden]) : null,
  };
}

/** One GRU step; gate order r, z, n (PyTorch). */
export function gruStep(xProj: tf.Tensor, h: tf.Tensor, w: GRUWeights): tf.Tensor {
  const [xr, xz, xn] = tf.split(xProj, 3, 1) as [tf.Tensor, tf.Tensor, tf.Tensor];
  if (w.variant === 'pytorch') {
    const [hr, hz, hn] = tf.split(hiddenProj(h, w.wHh, w.bHh), 3, 1) as [tf.Tensor, tf.Tensor, tf.Tensor];
    const r = tf.sigmoid(tf.add(xr, hr));
    const z = tf.sigmoid(tf.add(xz, hz));
    const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
    return tf.add(n, tf.mul(z, tf.sub(h, n))); // (1 − z)·n + z·h
  }
  const [hr, hz] = tf.split(hiddenProj(h, w.wHrz as tf.Tensor, w.bHrz ?? null), 2, 1) as [tf.Tensor, tf.Tensor];
  const r = tf.sigmoid(tf.add(xr, hr));
  const z = tf.sigmoid(tf.add(xz, hz));
  const candidate = tf.tanh(tf.add(xn, hiddenProj(tf.mul(r, h), w.wHn as tf.Tensor, w.bHn ?? null)));
  return tf.add(h, tf.mul(z, tf.sub(candidate, h))); // (1 − z)·h + z·h̃
}

export interface RecurrentCellOptions {
  bias?: boolean;
  rng?: Random;
}

/** Parameters of one cell: weight_ih, weight_hh, bias_ih, bias_hh, PyTorch's U(±1/√hidden) init. */
export function createCellParameters(inputSize: number, hiddenSize: number, gates: number, options: RecurrentCellOptions): {
  weight_ih: Parameter; weight_hh: Parameter; bias_ih: Parameter | null; bias_hh: Parameter | null;
} {
  const rng = defaultRng(options.rng);
  const k = 1 / Math.sqrt(hiddenSize);
  const make = (shape: number[], layout: 'same' | 'transposed'): Parameter => {
    const t = uniform(shape, -k, k, rng);
    const p = new Parameter(t, { layout });
    t.dispose();
    return p;
  };
  const bias = options.bias ?? true;
  return {
    weight_ih: make([inputSize, gates * hiddenSize], 'transposed'),
    weight_hh: make([hiddenSize, gates * hiddenSize], 'transposed'),
    bias_ih: bias ? make([gates * hiddenSize], 'same') : null,
    bias_hh: bias ? make([gates * hiddenSize], 'same') : null,
  };
}

abstract class CellBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  weight_ih: Parameter;
  weight_hh: Parameter;
  bias_ih: Parameter | null;
  bias_hh: Parameter | null;

  constructor(inputSize: number, hiddenSize: number, gates: number, options: RecurrentCellOptions) {
    super();
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    const p = createCellParameters(inputSize, hiddenSize, gates, options);
    this.weight_ih = p.weight_ih;
    this.weight_hh = p.weight_hh;
    this.bias_ih = p.bias_ih;
    this.bias_hh = p.bias_hh;
  }

  protected inputProj(x: tf.Tensor): tf.Tensor {
    return linear(x, this.weight_ih.value, this.bias_ih?.value);
  }

  protected zeros(x: tf.Tensor): tf.Tensor {
    return tf.zeros([x.shape[0] as number, this.hiddenSize]);
  }
}

/** Elman RNN cell: h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu). */
export class SimpleRNNCell extends CellBase {
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(inputSize: number, hiddenSize: number, options: RecurrentCellOptions & { nonlinearity?: 'tanh' | 'relu' } = {}) {
    super(inputSize, hiddenSize, 1, options);
    this.nonlinearity = options.nonlinearity ?? 'tanh';
  }

  /** `x` `[b, in]`, `h` `[b, hidden]` (zeros if omitted) → h' `[b, hidden]` */
  forward(x: tf.Tensor, h?: tf.Tensor): tf.Tensor {
    return tf.tidy(() => rnnStep(this.inputProj(x), h ?? this.zeros(x), { wHh: this.weight_hh.value, bHh: this.bias_hh?.value ?? null }, getActivation(this.nonlinearity)));
  }
}

/** LSTM cell; gates i, f, g, o. */
export class LSTMCell extends CellBase {
  constructor(inputSize: number, hiddenSize: number, options: RecurrentCellOptions = {}) {
    super(inputSize, hiddenSize, 4, options);
  }

  /** `x` `[b, in]`, state `{ h, c }` `[b, hidden]` each (zeros if omitted) → the next state. */
  forward(x: tf.Tensor, state?: { h: tf.Tensor; c: tf.Tensor }): { h: tf.Tensor; c: tf.Tensor } {
    return tf.tidy(() =>
      lstmStep(this.inputProj(x), state?.h ?? this.zeros(x), state?.c ?? this.zeros(x), { wHh: this.weight_hh.value, bHh: this.bias_hh?.value ?? null }),
    );
  }
}

/** GRU cell; gates r, z, n; `variant` picks where the reset gate applies (see `GRUVariant`). */
export class GRUCell extends CellBase {
  readonly variant: GRUVariant;

  constructor(inputSize: number, hiddenSize: number, options: RecurrentCellOptions & { variant?: GRUVariant } = {}) {
    super(inputSize, hiddenSize, 3, options);
    this.variant = options.variant ?? 'pytorch';
  }

  /** `x` `[b, in]`, `h` `[b, hidden]` (zeros if omitted) → h' `[b, hidden]` */
  forward(x: tf.Tensor, h?: tf.Tensor): tf.Tensor {
    return tf.tidy(() => gruStep(this.inputProj(x), h ?? this.zeros(x), gruWeights(this.weight_hh.value, this.bias_hh?.value ?? null, this.variant)));
  }
}
