/**
 * Multi-layer, optionally bidirectional recurrent sequence layers with PyTorch's nn.RNN / nn.LSTM /
 * nn.GRU parameter names (`weight_ih_l0`, `weight_hh_l0_reverse`, …), so their state dicts load.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, ShapeError, getActivation, linear, type Random } from '@tfkit/core-tensor';
import { Dropout } from './dropout.js';
import { Module, type Parameter } from './module.js';
import { createCellParameters, gruStep, gruWeights, lstmStep, rnnStep, type GRUVariant } from './rnn-cells.js';

export interface RecurrentOptions {
  numLayers?: number;
  bidirectional?: boolean;
  bias?: boolean;
  /** Input and output are `[batch, time, features]` (default true); false: `[time, batch, features]`. */
  batchFirst?: boolean;
  /** Dropout on the outputs of every layer but the last, in training only (default 0). */
  dropout?: number;
  rng?: Random;
}

export interface RecurrentCallOptions {
  /** Initial hidden state `[numLayers·directions, batch, hidden]` (zeros if omitted). */
  h0?: tf.Tensor;
  /** Initial cell state (LSTM only), same shape as `h0`. */
  c0?: tf.Tensor;
  /**
   * 0/1 `[batch, time]`: steps where it is 0 leave the state unchanged and output zeros, like a
   * PyTorch packed sequence (right padding then gives the state at each row's last real token).
   */
  mask?: tf.Tensor | null;
  /** Return the output at every step (default true) or only the final hidden state of the last layer. */
  returnSequences?: boolean;
}

export interface RecurrentOutput {
  /** `[batch, time, directions·hidden]` (or time-major), or `[batch, directions·hidden]` without sequences. */
  output: tf.Tensor;
  /** Final hidden state `[numLayers·directions, batch, hidden]`. */
  hN: tf.Tensor;
  /** Final cell state (LSTM). */
  cN?: tf.Tensor;
}

type Kind = 'rnn_tanh' | 'rnn_relu' | 'lstm' | 'gru';
const GATES: Record<Kind, number> = { rnn_tanh: 1, rnn_relu: 1, lstm: 4, gru: 3 };

interface Weights {
  wIh: Parameter;
  wHh: Parameter;
  bIh: Parameter | null;
  bHh: Parameter | null;
}

abstract class RecurrentBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bidirectional: boolean;
  readonly batchFirst: boolean;
  readonly kind: Kind;
  readonly gruVariant: GRUVariant;
  /** Between-layer dropout (no parameters). */
  dropout: Dropout;
  private readonly weights: Weights[];

  constructor(kind: Kind, inputSize: number, hiddenSize: number, options: RecurrentOptions & { gruVariant?: GRUVariant }) {
    super();
    this.kind = kind;
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.numLayers = options.numLayers ?? 1;
    this.bidirectional = options.bidirectional ?? false;
    this.batchFirst = options.batchFirst ?? true;
    this.gruVariant = options.gruVariant ?? 'pytorch';
    if (!Number.isInteger(this.numLayers) || this.numLayers < 1) throw new ConfigError(`numLayers must be a positive integer, got ${this.numLayers}`);
    this.dropout = new Dropout(options.dropout ?? 0);
    this.weights = [];
    const dirs = this.bidirectional ? 2 : 1;
    const self = this as unknown as Record<string, unknown>;
    for (let l = 0; l < this.numLayers; l++) {
      for (let d = 0; d < dirs; d++) {
        const suffix = `_l${l}${d === 1 ? '_reverse' : ''}`;
        const p = createCellParameters(l === 0 ? inputSize : hiddenSize * dirs, hiddenSize, GATES[kind], { bias: options.bias, rng: options.rng });
        // Attributes in PyTorch's order: weight_ih, weight_hh, bias_ih, bias_hh per layer and direction.
        self[`weight_ih${suffix}`] = p.weight_ih;
        self[`weight_hh${suffix}`] = p.weight_hh;
        if (p.bias_ih) self[`bias_ih${suffix}`] = p.bias_ih;
        if (p.bias_hh) self[`bias_hh${suffix}`] = p.bias_hh;
        this.weights.push({ wIh: p.weight_ih, wHh: p.weight_hh, bIh: p.bias_ih, bHh: p.bias_hh });
      }
    }
  }

  /** `input` `[batch, time, inputSize]` (batchFirst) → `{ output, hN, cN? }`. */
  forward(input: tf.Tensor, options: RecurrentCallOptions = {}): RecurrentOutput {
    if (input.rank !== 3 || input.shape[2] !== this.inputSize) {
      throw new ShapeError(`${this.kind}: expected input [${this.batchFirst ? 'batch, time' : 'time, batch'}, ${this.inputSize}], got [${input.shape}]`);
    }
    const dirs = this.bidirectional ? 2 : 1;
    const batch = input.shape[this.batchFirst ? 0 : 1] as number;
    const stateShape = [this.numLayers * dirs, batch, this.hiddenSize];
    for (const [name, s] of [['h0', options.h0], ['c0', options.c0]] as const) {
      if (s && (s.rank !== 3 || s.shape.some((v, i) => v !== stateShape[i]))) throw new ShapeError(`${this.kind}: ${name} must be [${stateShape}], got [${s.shape}]`);
    }
    return tf.tidy(() => {
      let x = this.batchFirst ? tf.transpose(input, [1, 0, 2]) : input; // (t, b, in)
      const maskSteps = options.mask ? tf.unstack(tf.expandDims(tf.transpose(tf.cast(options.mask, 'float32')), 2)) : null; // t × (b, 1)
      const h0s = options.h0 ? tf.unstack(options.h0) : null;
      const c0s = options.c0 ? tf.unstack(options.c0) : null;
      const hN: tf.Tensor[] = [];
      const cN: tf.Tensor[] = [];
      for (let l = 0; l < this.numLayers; l++) {
        const outs: tf.Tensor[] = [];
        for (let d = 0; d < dirs; d++) {
          const i = l * dirs + d;
          const r = this.runDirection(x, this.weights[i] as Weights, d === 1, h0s?.[i], c0s?.[i], maskSteps);
          outs.push(r.output);
          hN.push(r.h);
          if (r.c) cN.push(r.c);
        }
        x = dirs === 1 ? (outs[0] as tf.Tensor) : tf.concat(outs, 2);
        if (l < this.numLayers - 1) x = this.dropout.forward(x);
      }
      const hStack = tf.stack(hN);
      let output: tf.Tensor;
      if (options.returnSequences ?? true) output = this.batchFirst ? tf.transpose(x, [1, 0, 2]) : x;
      else output = tf.concat(hN.slice(-dirs), 1); // the last layer's final state per direction
      const result: RecurrentOutput = { output, hN: hStack };
      if (this.kind === 'lstm') result.cN = tf.stack(cN);
      return result as unknown as tf.TensorContainer;
    }) as unknown as RecurrentOutput;
  }

  /** One layer in one direction over time-major `x` `[t, b, features]`. */
  private runDirection(x: tf.Tensor, w: Weights, reverse: boolean, h0: tf.Tensor | undefined, c0: tf.Tensor | undefined, mask: tf.Tensor[] | null) {
    const [t, b, features] = x.shape as [number, number, number];
    const gatesWidth = GATES[this.kind] * this.hiddenSize;
    // The input projection of every step at once: one (t·b, features) · (features, gates·hidden) matMul.
    const xProj = tf.unstack(tf.reshape(linear(tf.reshape(x, [t * b, features]), w.wIh.value, w.bIh?.value), [t, b, gatesWidth]));
    const rec = { wHh: w.wHh.value, bHh: w.bHh?.value ?? null };
    const gru = this.kind === 'gru' ? gruWeights(rec.wHh, rec.bHh, this.gruVariant) : null;
    const act = this.kind === 'rnn_relu' ? getActivation('relu') : getActivation('tanh');
    let h = h0 ?? tf.zeros([b, this.hiddenSize]);
    let c = this.kind === 'lstm' ? (c0 ?? tf.zeros([b, this.hiddenSize])) : null;
    const outputs: tf.Tensor[] = new Array<tf.Tensor>(t);
    for (let s = 0; s < t; s++) {
      const step = reverse ? t - 1 - s : s;
      const xp = xProj[step] as tf.Tensor;
      let hNext: tf.Tensor;
      let cNext: tf.Tensor | null = null;
      if (gru) hNext = gruStep(xp, h, gru);
      else if (c) ({ h: hNext, c: cNext } = lstmStep(xp, h, c, rec));
      else hNext = rnnStep(xp, h, rec, act);
      const m = mask?.[step];
      if (m) {
        // Masked steps keep the previous state and output zeros.
        outputs[step] = tf.mul(hNext, m);
        h = tf.add(h, tf.mul(tf.sub(hNext, h), m));
        if (c && cNext) c = tf.add(c, tf.mul(tf.sub(cNext, c), m));
      } else {
        outputs[step] = hNext;
        h = hNext;
        c = cNext;
      }
    }
    return { output: tf.stack(outputs), h, c };
  }
}

/** Elman RNN over a sequence (PyTorch nn.RNN): h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh). */
export class SimpleRNN extends RecurrentBase {
  constructor(inputSize: number, hiddenSize: number, options: RecurrentOptions & { nonlinearity?: 'tanh' | 'relu' } = {}) {
    super(options.nonlinearity === 'relu' ? 'rnn_relu' : 'rnn_tanh', inputSize, hiddenSize, options);
  }
}

/** LSTM over a sequence (PyTorch nn.LSTM); `forward` returns `{ output, hN, cN }`. */
export class LSTM extends RecurrentBase {
  constructor(inputSize: number, hiddenSize: number, options: RecurrentOptions = {}) {
    super('lstm', inputSize, hiddenSize, options);
  }
}

/** GRU over a sequence (PyTorch nn.GRU); `variant: 'classic'` applies the reset gate before the hidden product. */
export class GRU extends RecurrentBase {
  constructor(inputSize: number, hiddenSize: number, options: RecurrentOptions & { variant?: GRUVariant } = {}) {
    super('gru', inputSize, hiddenSize, { ...options, gruVariant: options.variant });
  }
}
