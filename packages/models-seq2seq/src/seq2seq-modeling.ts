// Sequence to Sequence Learning with Neural Networks (Sutskever et al., 2014), with the attention of Bahdanau et al. (2015) or Luong et al. (2015).
// Follows PyTorch's seq2seq translation tutorial (EncoderRNN, AttnDecoderRNN) with nn.GRU / nn.LSTM / nn.RNN names; test/seq2seq_reference.py is this model in PyTorch.
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, linear, matMul2d, type Random } from '@tfkit/core-tensor';
import {
  BahdanauAttention, Dropout, Embedding, GRU, intInput, Linear, LSTM, LuongAttention, Module, Parameter, SimpleRNN, tokenIds, uniform, type IntInput, type RecurrentState,
} from '@tfkit/layers';
import type { Seq2SeqConfig } from './seq2seq-config.js';

/** Ids and masks as tensors or nested arrays. */
export type { IntInput } from '@tfkit/layers';
export { toIntTensor } from '@tfkit/layers';

export type RecurrentLayer = GRU | LSTM | SimpleRNN;

/**
 * `[B, T]` int32 ids, checked (see `tokenIds`): a rectangular, non-empty batch of ids inside the
 * vocabulary of `vocabSize` rows (`key`) — or −100 where `allowIgnored` (labels).
 */
export function idsTensor(ids: unknown, vocabSize: number, where: string, options: { name: string; key: string; allowIgnored?: boolean }): tf.Tensor2D {
  return tokenIds(ids, vocabSize, where, { name: options.name, key: options.key, allow: options.allowIgnored ? [-100] : [] }) as tf.Tensor2D;
}

/**
 * Decoder inputs from targets: each row moves one step right behind `decoderStartTokenId`, and
 * −100 (ignored labels) becomes `padTokenId` — Hugging Face's `shift_tokens_right`. `[B, T]` int32.
 */
export function shiftTokensRight(labels: IntInput, padTokenId: number, decoderStartTokenId: number): tf.Tensor2D {
  return tf.tidy(() => {
    const ids = intInput(labels, { name: 'labels' }, 'shiftTokensRight');
    const [b, t] = ids.shape as [number, number];
    const shifted = tf.concat([tf.fill([b, 1], decoderStartTokenId, 'int32'), tf.slice(ids, [0, 0], [b, t - 1])], 1);
    return tf.where(tf.equal(shifted, -100), tf.fill([b, t], padTokenId, 'int32'), shifted) as tf.Tensor2D;
  });
}

/**
 * `tf.unstack` with a gradient that works for an axis of size 1 too (tfjs hands the gradient of a
 * one-output kernel a tensor instead of a list, which Unpack's gradient cannot stack).
 */
export function unstack(x: tf.Tensor, axis = 0): tf.Tensor[] {
  return x.shape[axis] === 1 ? [tf.squeeze(x, [axis])] : tf.unstack(x, axis);
}

function recurrentLayer(config: Seq2SeqConfig, inputSize: number, bidirectional: boolean, rng: Random): RecurrentLayer {
  const options = { numLayers: config.numLayers, bidirectional, dropout: config.dropout, rng };
  if (config.cell === 'gru') return new GRU(inputSize, config.hiddenSize, options);
  if (config.cell === 'lstm') return new LSTM(inputSize, config.hiddenSize, options);
  return new SimpleRNN(inputSize, config.hiddenSize, options);
}

/** Width of the encoder states the decoder attends to. */
export function encoderWidth(config: Seq2SeqConfig): number {
  return config.hiddenSize * (config.bidirectional ? 2 : 1);
}

export interface Seq2SeqEncoderOutput {
  /** `[B, S, directions·hidden]`, zeros at padding. */
  lastHiddenState: tf.Tensor;
  /** Final states `[numLayers·directions, B, hidden]` at each row's last real token (PyTorch's h_n of a packed sequence). */
  hN: tf.Tensor;
  /** LSTM final cell states, same shape. */
  cN?: tf.Tensor;
}

/** Embedding → dropout → a (bidirectional) recurrent stack; padding is skipped as in a packed sequence. */
export class Seq2SeqEncoder extends Module {
  embedding: Embedding;
  dropout: Dropout;
  rnn: RecurrentLayer;

  constructor(config: Seq2SeqConfig, rng: Random) {
    super();
    this.embedding = new Embedding(config.sourceVocabSize, config.embeddingSize, { paddingIdx: config.padTokenId, rng });
    this.dropout = new Dropout(config.dropout);
    this.rnn = recurrentLayer(config, config.embeddingSize, config.bidirectional, rng);
  }

  /** `inputIds` `[B, S]` int32, `mask` `[B, S]` 1 for tokens, 0 for padding. */
  forward(inputIds: tf.Tensor, mask: tf.Tensor | null): Seq2SeqEncoderOutput {
    return tf.tidy(() => {
      const x = this.dropout.forward(this.embedding.forward(inputIds)); // (B, S, E)
      const { output, hN, cN } = this.rnn.forward(x, { mask });
      return (cN ? { lastHiddenState: output, hN, cN } : { lastHiddenState: output, hN }) as unknown as tf.TensorContainer;
    }) as unknown as Seq2SeqEncoderOutput;
  }
}

/**
 * The decoder's initial state from a bidirectional encoder, per layer: h = tanh(W_h [h→; h←] + b_h)
 * (Bahdanau et al. start from the backward state the same way) and, for LSTMs, c = W_c [c→; c←] + b_c.
 */
export class Seq2SeqBridge extends Module {
  h_proj: Linear;
  c_proj: Linear | null;

  constructor(config: Seq2SeqConfig, rng: Random) {
    super();
    this.h_proj = new Linear(2 * config.hiddenSize, config.hiddenSize, { rng });
    this.c_proj = config.cell === 'lstm' ? new Linear(2 * config.hiddenSize, config.hiddenSize, { rng }) : null;
  }

  /** `hN` (and `cN`) `[numLayers·2, B, hidden]` → one `[B, hidden]` state per layer. */
  forward(hN: tf.Tensor, cN?: tf.Tensor): RecurrentState {
    return tf.tidy(() => {
      const [ld, b, hidden] = hN.shape as [number, number, number];
      const layers = ld / 2;
      // PyTorch orders h_n layer by layer, forward then reverse: (L, 2, B, H) → (L·B, 2H) rows [h→; h←].
      const join = (s: tf.Tensor) => tf.reshape(tf.transpose(tf.reshape(s, [layers, 2, b, hidden]), [0, 2, 1, 3]), [layers * b, 2 * hidden]);
      const split = (s: tf.Tensor) => unstack(tf.reshape(s, [layers, b, hidden]));
      const h = split(tf.tanh(this.h_proj.forward(join(hN))));
      if (!this.c_proj || !cN) return { h } as unknown as tf.TensorContainer;
      return { h, c: split(this.c_proj.forward(join(cN))) } as unknown as tf.TensorContainer;
    }) as unknown as RecurrentState;
  }
}

/** What the decoder attends to, computed once per source batch. */
export interface Seq2SeqMemory {
  /** `[B, S, K]` encoder states: the attention's keys and values. */
  encoderOutputs: tf.Tensor;
  /** `[B, S]` 1 for tokens, 0 for padding (absent: no padding). */
  mask?: tf.Tensor;
  /** The attention's key projection of `encoderOutputs` (Bahdanau: W_k h + b; Luong general: W_a h). */
  projectedKeys?: tf.Tensor;
}

/** Weights a decoding loop prepares once instead of every step. */
export interface DecoderWeights {
  /** Bahdanau: the bottom layer's W_ih split into the rows read by the embedding `[E, G]` and by the context `[K, G]`, and b_ih. */
  input?: { embedding: tf.Tensor2D; context: tf.Tensor2D; bias?: tf.Tensor };
  /** `out_proj.weight` transposed, `[hidden, vocab]`. */
  head: tf.Tensor2D;
}

/** logits = x · Wᵀ + b with W `[vocab, hidden]` as nn.Linear holds it (and as the target embedding it may be tied to). */
export class Seq2SeqOutputProjection extends Module {
  weight: Parameter;
  bias: Parameter;

  constructor(weight: Parameter, vocabSize: number, rng: Random) {
    super();
    this.weight = weight;
    const bound = 1 / Math.sqrt(weight.shape[1] as number);
    this.bias = Parameter.adopt(uniform([vocabSize], -bound, bound, rng));
  }

  /** `x` `[..., hidden]` → `[..., vocab]`; `weightT` is the transposed weight when the caller prepared it. */
  forward(x: tf.Tensor, weightT?: tf.Tensor): tf.Tensor {
    return tf.tidy(() => linear(x, weightT ?? tf.transpose(this.weight.value), this.bias.value));
  }
}

export interface DecoderForwardOptions {
  /** Chance that a step reads the gold previous token rather than the model's own prediction (default 1). */
  teacherForcingRatio?: number;
  /** Scheduled sampling's coin flips (one per step after the first); needed when the ratio is below 1. */
  rng?: Random;
}

export interface Seq2SeqDecoderOutput {
  /** `[B, T, vocab]` */
  logits: tf.Tensor;
  /** Attention weights `[B, T, S]` (absent without attention). */
  attentions?: tf.Tensor;
}

export interface Seq2SeqStepOutput {
  /** `[B, vocab]` */
  logits: tf.Tensor2D;
  state: RecurrentState;
  /** `[B, S]` */
  attention?: tf.Tensor2D;
}

/** One step's result before the output projection. */
interface Advance {
  output: tf.Tensor;
  state: RecurrentState;
  attention?: tf.Tensor;
}

const top = (state: RecurrentState): tf.Tensor => state.h[state.h.length - 1] as tf.Tensor;

/**
 * The attention decoder. Bahdanau: the previous top state queries the encoder and the context
 * joins the embedded token as RNN input; logits read the new top state. Luong: the RNN reads the
 * embedded token, its new top state queries the encoder, and h̃ = tanh(W_c [c; s]) feeds the
 * logits. None: logits read the top state.
 */
export class Seq2SeqDecoder extends Module {
  embedding: Embedding;
  dropout: Dropout;
  rnn: RecurrentLayer;
  attention: BahdanauAttention | LuongAttention | null;
  /** Luong's W_c, `[K + hidden] → hidden`, no bias. */
  combine: Linear | null;
  out_proj: Seq2SeqOutputProjection;
  private readonly config: Seq2SeqConfig;

  constructor(config: Seq2SeqConfig, rng: Random) {
    super();
    this.config = config;
    const [e, h, k] = [config.embeddingSize, config.hiddenSize, encoderWidth(config)];
    this.embedding = new Embedding(config.targetVocabSize, e, { paddingIdx: config.padTokenId, rng });
    this.dropout = new Dropout(config.dropout);
    this.rnn = recurrentLayer(config, config.attention === 'bahdanau' ? e + k : e, false, rng);
    this.attention =
      config.attention === 'bahdanau' ? new BahdanauAttention(h, k, h, { rng })
      : config.attention === 'none' ? null
      : new LuongAttention(h, k, { score: config.attention === 'luong-dot' ? 'dot' : 'general', rng });
    this.combine = this.attention instanceof LuongAttention ? new Linear(k + h, h, { bias: false, rng }) : null;
    const bound = 1 / Math.sqrt(h);
    const head = config.tieWordEmbeddings ? this.embedding.weight : Parameter.adopt(uniform([config.targetVocabSize, h], -bound, bound, rng));
    this.out_proj = new Seq2SeqOutputProjection(head, config.targetVocabSize, rng);
  }

  /** The attention's key projection, once per source batch (undefined when the attention has none). */
  projectKeys(encoderOutputs: tf.Tensor): tf.Tensor | undefined {
    if (this.attention instanceof BahdanauAttention || (this.attention instanceof LuongAttention && this.attention.linear_in)) return this.attention.projectKeys(encoderOutputs);
    return undefined;
  }

  /** Weights every step reads, rearranged once (the caller disposes them). */
  prepareWeights(): DecoderWeights {
    return tf.tidy(() => {
      const head = tf.transpose(this.out_proj.weight.value) as tf.Tensor2D;
      if (this.config.attention !== 'bahdanau') return { head } as unknown as tf.TensorContainer;
      const { weightIh, biasIh } = this.rnn.cellParameters(0);
      const [rows, gates] = weightIh.shape as [number, number];
      const e = this.config.embeddingSize;
      const embedding = tf.slice(weightIh.value, [0, 0], [e, gates]);
      const context = tf.slice(weightIh.value, [e, 0], [rows - e, gates]);
      return { head, input: { embedding, context, ...(biasIh ? { bias: biasIh.value } : {}) } } as unknown as tf.TensorContainer;
    }) as unknown as DecoderWeights;
  }

  /** Embedded tokens after dropout; for Bahdanau already times the embedding rows of W_ih, plus b_ih (for all steps in one matMul). */
  private inputs(ids: tf.Tensor, w: DecoderWeights): tf.Tensor {
    const x = this.dropout.forward(this.embedding.forward(ids));
    return w.input ? linear(x, w.input.embedding, w.input.bias) : x;
  }

  /** One step from the prepared input `x` `[B, E]` (Bahdanau: `[B, gates·hidden]`). */
  private advance(x: tf.Tensor, state: RecurrentState, memory: Seq2SeqMemory, w: DecoderWeights): Advance {
    const attend = (query: tf.Tensor) =>
      (this.attention as BahdanauAttention | LuongAttention).forward(query, memory.encoderOutputs, {
        ...(memory.mask ? { mask: memory.mask } : {}),
        ...(memory.projectedKeys ? { projectedKeys: memory.projectedKeys } : {}),
      });
    if (w.input) {
      const { context, weights } = attend(top(state)); // the previous state asks
      const next = this.rnn.step(tf.add(x, matMul2d(context as tf.Tensor2D, w.input.context)), state, { projected: true });
      return { output: top(next), state: next, attention: weights };
    }
    const next = this.rnn.step(x, state);
    if (!this.combine) return { output: top(next), state: next };
    const s = top(next);
    const { context, weights } = attend(s); // the new state asks
    return { output: tf.tanh(this.combine.forward(tf.concat([context, s], 1))), state: next, attention: weights };
  }

  /** One decoding step: `ids` `[B]` int32 (each row's last token) → next-token logits and the new state. */
  step(ids: tf.Tensor, state: RecurrentState, memory: Seq2SeqMemory, weights?: DecoderWeights): Seq2SeqStepOutput {
    return tf.tidy(() => {
      const w = weights ?? this.prepareWeights();
      const out = this.advance(this.inputs(ids, w), state, memory, w);
      const logits = this.out_proj.forward(this.dropout.forward(out.output), w.head);
      return { logits, state: out.state, ...(out.attention ? { attention: out.attention } : {}) } as unknown as tf.TensorContainer;
    }) as unknown as Seq2SeqStepOutput;
  }

  /**
   * Logits for every position of `ids` `[B, T]` from the initial `state`. With teacher forcing
   * (ratio 1) the inputs are known: Luong and attention-free decoders run the recurrent stack over
   * the whole sequence and attend with all T queries at once; Bahdanau projects every embedded
   * token in one matMul and loops only over the recurrence. Below 1, each step after the first
   * reads the gold token with probability `teacherForcingRatio`, else the argmax of the previous
   * step's logits (scheduled sampling, Bengio et al., 2015; the choice is not differentiated).
   */
  forward(ids: tf.Tensor, state: RecurrentState, memory: Seq2SeqMemory, options: DecoderForwardOptions = {}): Seq2SeqDecoderOutput {
    const ratio = options.teacherForcingRatio ?? 1;
    return tf.tidy(() => {
      const w = this.prepareWeights();
      if (ratio < 1) return this.scheduledSampling(ids, state, memory, w, ratio, options.rng) as unknown as tf.TensorContainer;
      let output: tf.Tensor;
      let attentions: tf.Tensor | undefined;
      if (w.input) {
        const steps = unstack(this.inputs(ids, w), 1); // T × (B, G)
        const outs: tf.Tensor[] = [];
        const weights: tf.Tensor[] = [];
        let s = state;
        for (const x of steps) {
          const r = this.advance(x, s, memory, w);
          outs.push(r.output);
          weights.push(r.attention as tf.Tensor);
          s = r.state;
        }
        output = tf.stack(outs, 1);
        attentions = tf.stack(weights, 1);
      } else {
        const stacked = (xs: tf.Tensor[] | undefined) => (xs ? tf.stack(xs) : undefined);
        output = this.rnn.forward(this.inputs(ids, w), { h0: stacked(state.h), c0: stacked(state.c) }).output; // (B, T, H)
        if (this.combine) {
          const { context, weights } = (this.attention as LuongAttention).forward(output, memory.encoderOutputs, {
            ...(memory.mask ? { mask: memory.mask } : {}),
            ...(memory.projectedKeys ? { projectedKeys: memory.projectedKeys } : {}),
          });
          output = tf.tanh(this.combine.forward(tf.concat([context, output], 2)));
          attentions = weights;
        }
      }
      const logits = this.out_proj.forward(this.dropout.forward(output), w.head);
      return (attentions ? { logits, attentions } : { logits }) as unknown as tf.TensorContainer;
    }) as unknown as Seq2SeqDecoderOutput;
  }

  private scheduledSampling(ids: tf.Tensor, state: RecurrentState, memory: Seq2SeqMemory, w: DecoderWeights, ratio: number, rng: Random | undefined): Seq2SeqDecoderOutput {
    if (!rng) throw new ConfigError('Seq2SeqDecoder: a teacherForcingRatio below 1 needs an rng for its coin flips (pass options.rng)');
    const gold = unstack(ids, 1); // T × (B)
    const logits: tf.Tensor[] = [];
    const weights: tf.Tensor[] = [];
    let s = state;
    gold.forEach((token, t) => {
      const input = t === 0 || rng.random() < ratio ? token : tf.cast(tf.argMax(logits[t - 1] as tf.Tensor, 1), 'int32');
      const r = this.advance(this.inputs(input, w), s, memory, w);
      logits.push(this.out_proj.forward(this.dropout.forward(r.output), w.head));
      if (r.attention) weights.push(r.attention);
      s = r.state;
    });
    return { logits: tf.stack(logits, 1), ...(weights.length ? { attentions: tf.stack(weights, 1) } : {}) };
  }
}
