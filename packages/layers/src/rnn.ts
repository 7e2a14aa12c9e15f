/**
 * Multi-layer, optionally bidirectional recurrent sequence layers with PyTorch's nn.RNN / nn.LSTM /
 * nn.GRU parameter names (`weight_ih_l0`, `weight_hh_l0_reverse`, …), so their state dicts load.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, ShapeError, getActivation, linear, type Random } from '@tfkit/core-tensor';
import { Dropout } from './dropout.js';
import { Module, type Parameter } from './module.js';
import { createCellParameters, gruStep, gruWeights, lstmStep, rnnStep, type GRUVariant, type GRUWeights } from './rnn-cells.js';

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

/**
 * What a unidirectional stack carries from one time step to the next (`step`): one `[batch, hidden]`
 * tensor per layer, bottom first — `tf.unstack(hN)` of a forward pass.
 */
export interface RecurrentState {
  h: tf.Tensor[];
  /** LSTM cell states, one per layer. */
  c?: tf.Tensor[];
}

/** One layer's weights in one direction, held as `[in, gates·hidden]` / `[hidden, gates·hidden]`. */
export interface CellParameters {
  weightIh: Parameter;
  weightHh: Parameter;
  biasIh: Parameter | null;
  biasHh: Parameter | null;
}

export interface RecurrentOutput {
  /** `[batch, time, directions·hidden]` (or time-major), or `[batch, directions·hidden]` without sequences. */
  output: tf.Tensor;
  /** Final hidden state `[numLayers·directions, batch, hidden]`. */
  hN: tf.Tensor;
  /** Final cell state (LSTM). */
  cN?: tf.Tensor;
}

/**
 * `tf.unstack` along axis 0 with a gradient that works for an axis of size 1 too (tfjs hands the
 * gradient of a one-output kernel a tensor instead of a list, which Unpack's gradient cannot stack).
 */
function unstack(x: tf.Tensor): tf.Tensor[] {
  return x.shape[0] === 1 ? [tf.squeeze(x, [0])] : tf.unstack(x);
}

type Kind = 'rnn_tanh' | 'rnn_relu' | 'lstm' | 'gru';
const GATES: Record<Kind, number> = { rnn_tanh: 1, rnn_relu: 1, lstm: 4, gru: 3 };


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
  private readonly weights: CellParameters[];

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
        this.weights.push({ weightIh: p.weight_ih, weightHh: p.weight_hh, biasIh: p.bias_ih, biasHh: p.bias_hh });
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
      const maskSteps = options.mask ? unstack(tf.expandDims(tf.transpose(tf.cast(options.mask, 'float32')), 2)) : null; // t × (b, 1)
      const h0s = options.h0 ? unstack(options.h0) : null;
      const c0s = options.c0 ? unstack(options.c0) : null;
      const hN: tf.Tensor[] = [];
      const cN: tf.Tensor[] = [];
      for (let l = 0; l < this.numLayers; l++) {
        const outs: tf.Tensor[] = [];
        for (let d = 0; d < dirs; d++) {
          const i = l * dirs + d;
          const r = this.runDirection(x, this.weights[i] as CellParameters, d === 1, h0s?.[i], c0s?.[i], maskSteps);
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

  /** The parameters of `layer` (0 = bottom) in the forward or reverse direction. */
  cellParameters(layer: number, reverse = false): CellParameters {
    const p = this.weights[layer * (this.bidirectional ? 2 : 1) + (reverse ? 1 : 0)];
    if (!p || (reverse && !this.bidirectional)) throw new ShapeError(`${this.kind}: no layer ${layer}${reverse ? ' (reverse)' : ''}; it has ${this.numLayers} layer(s)${this.bidirectional ? ', both directions' : ', forward only'}`);
    return p;
  }

  /**
   * One time step of a unidirectional stack, for decoders that choose each input after the previous
   * step (feeding back a prediction, mixing in attention). `input` is `[batch, inputSize]`, or with
   * `projected` the bottom layer's input projection x·W_ih + b_ih `[batch, gates·hidden]`, which a
   * caller may compute for many steps at once. Returns the new state; the top layer's `h` is the
   * step's output. Between layers, dropout applies in training as in `forward`.
   */
  step(input: tf.Tensor, state: RecurrentState, options: { projected?: boolean } = {}): RecurrentState {
    if (this.bidirectional) throw new ShapeError(`${this.kind}: step() runs a unidirectional stack; a bidirectional layer needs the whole sequence (forward)`);
    const gatesWidth = GATES[this.kind] * this.hiddenSize;
    const width = options.projected ? gatesWidth : this.inputSize;
    if (input.rank !== 2 || input.shape[1] !== width) {
      throw new ShapeError(`${this.kind}.step: expected ${options.projected ? 'a projected input' : 'input'} [batch, ${width}], got [${input.shape}]`);
    }
    if (state.h.length !== this.numLayers || (this.kind === 'lstm' && state.c?.length !== this.numLayers)) {
      throw new ShapeError(`${this.kind}.step: the state needs ${this.numLayers} h${this.kind === 'lstm' ? ' and c' : ''} tensor(s), one per layer`);
    }
    return tf.tidy(() => {
      const h: tf.Tensor[] = [];
      const c: tf.Tensor[] = [];
      let x = input;
      for (let l = 0; l < this.numLayers; l++) {
        const w = this.weights[l] as CellParameters;
        const xp = l === 0 && options.projected ? x : linear(x, w.weightIh.value, w.biasIh?.value);
        const next = this.cellStep(xp, state.h[l] as tf.Tensor, state.c?.[l] ?? null, w);
        h.push(next.h);
        if (next.c) c.push(next.c);
        x = l < this.numLayers - 1 ? this.dropout.forward(next.h) : next.h;
      }
      return (this.kind === 'lstm' ? { h, c } : { h }) as unknown as tf.TensorContainer;
    }) as unknown as RecurrentState;
  }

  /** One cell update from the input projection `xp` (GRU's hidden weights split as `gru` says, when given). */
  private cellStep(xp: tf.Tensor, h: tf.Tensor, c: tf.Tensor | null, w: CellParameters, gru?: GRUWeights): { h: tf.Tensor; c: tf.Tensor | null } {
    const rec = { wHh: w.weightHh.value, bHh: w.biasHh?.value ?? null };
    if (this.kind === 'gru') return { h: gruStep(xp, h, gru ?? gruWeights(rec.wHh, rec.bHh, this.gruVariant)), c: null };
    if (this.kind === 'lstm') return lstmStep(xp, h, c as tf.Tensor, rec);
    return { h: rnnStep(xp, h, rec, getActivation(this.kind === 'rnn_relu' ? 'relu' : 'tanh')), c: null };
  }

  /** One layer in one direction over time-major `x` `[t, b, features]`. */
  private runDirection(x: tf.Tensor, w: CellParameters, reverse: boolean, h0: tf.Tensor | undefined, c0: tf.Tensor | undefined, mask: tf.Tensor[] | null) {
    const [t, b, features] = x.shape as [number, number, number];
    const gatesWidth = GATES[this.kind] * this.hiddenSize;
    // The input projection of every step at once: one (t·b, features) · (features, gates·hidden) matMul.
    const xProj = unstack(tf.reshape(linear(tf.reshape(x, [t * b, features]), w.weightIh.value, w.biasIh?.value), [t, b, gatesWidth]));
    // GRU's hidden weights are split once per sequence, not per step.
    const gru = this.kind === 'gru' ? gruWeights(w.weightHh.value, w.biasHh?.value ?? null, this.gruVariant) : undefined;
    let h = h0 ?? tf.zeros([b, this.hiddenSize]);
    let c = this.kind === 'lstm' ? (c0 ?? tf.zeros([b, this.hiddenSize])) : null;
    const outputs: tf.Tensor[] = new Array<tf.Tensor>(t);
    for (let s = 0; s < t; s++) {
      const step = reverse ? t - 1 - s : s;
      const { h: hNext, c: cNext } = this.cellStep(xProj[step] as tf.Tensor, h, c, w, gru);
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
