/**
 * The recurrent model's decoding session for `generate`: the encoder runs once per prompt; the
 * decoder starts from `decoderStartTokenId` and carries its recurrent state from step to step (the
 * state is its whole cache), reading one token per row. Beam search reorders the state's rows;
 * expanding prompts into several rows (beams, samples) gathers the encoder memory as well.
 */
import * as tf from '@tensorflow/tfjs-core';
import { DecoderRows, GenerationError, type DecodingSession, type StartDecodingInputs, type StartDecodingOptions } from '@tfkit/generation';
import type { RecurrentState } from '@tfkit/layers';
import type { Seq2SeqModel } from './seq2seq-model.js';
import type { DecoderWeights, Seq2SeqMemory } from './seq2seq-modeling.js';

function stateTensors(s: RecurrentState): tf.Tensor[] {
  return [...s.h, ...(s.c ?? [])];
}

export class Seq2SeqDecodingSession implements DecodingSession {
  readonly prefix: number[][];
  /** Each row's decoder tokens, its prompt, and how many trailing tokens the state has not read yet. */
  private readonly rows: DecoderRows;
  private memory: Seq2SeqMemory;
  /** With the cache: the state after every token but the pending ones; without: the initial state. */
  private state: RecurrentState;
  private readonly weights: DecoderWeights;
  private readonly useCache: boolean;
  private disposed = false;

  constructor(
    private readonly model: Seq2SeqModel,
    inputs: StartDecodingInputs,
    options: StartDecodingOptions,
  ) {
    this.rows = new DecoderRows(inputs, options.decoderStartTokenId ?? model.config.decoderStartTokenId);
    this.prefix = this.rows.prefix;
    const { memory, state } = model.encode(inputs.inputIds, inputs.attentionMask);
    this.memory = memory;
    this.state = state;
    this.weights = model.decoder.prepareWeights();
    this.useCache = options.useCache;
  }

  nextTokenLogits(): tf.Tensor2D {
    if (!this.useCache) {
      // Every step from the initial state again: the teacher-forced pass over the tokens so far.
      return tf.tidy(() => {
        const { logits } = this.model.decoder.forward(tf.tensor2d(this.rows.tokens, undefined, 'int32'), this.state, this.memory);
        const [b, t, v] = logits.shape as [number, number, number];
        return tf.reshape(tf.slice(logits, [0, t - 1, 0], [b, 1, v]), [b, v]) as tf.Tensor2D;
      });
    }
    if (this.rows.pending === 0) throw new GenerationError('Seq2SeqDecodingSession: nextTokenLogits was called twice without append in between');
    let logits: tf.Tensor2D | undefined;
    for (let back = this.rows.pending; back >= 1; back--) {
      const ids = tf.tensor1d(this.rows.tokens.map((r) => r[r.length - back] as number), 'int32');
      const out = this.model.decoder.step(ids, this.state, this.memory, this.weights);
      tf.dispose([ids, ...stateTensors(this.state), ...(logits ? [logits] : []), ...(out.attention ? [out.attention] : [])]);
      this.state = out.state;
      logits = out.logits;
    }
    this.rows.pending = 0;
    return logits as tf.Tensor2D;
  }

  append(tokens: readonly number[]): void {
    this.rows.append(tokens);
  }

  selectRows(rows: readonly number[]): void {
    // Beam reordering within one prompt leaves every row's encoder memory as it was.
    const sameSources = this.rows.select(rows);
    const index = tf.tensor1d(rows as number[], 'int32');
    const gather = <T extends tf.Tensor | undefined>(t: T): T => (t ? tf.gather(t, index) : t) as T;
    const state = tf.tidy(() => ({ h: this.state.h.map(gather), ...(this.state.c ? { c: this.state.c.map(gather) } : {}) }) as unknown as tf.TensorContainer) as unknown as RecurrentState;
    tf.dispose(stateTensors(this.state));
    this.state = state;
    if (!sameSources) {
      const m = this.memory;
      const memory = tf.tidy(() => ({
        encoderOutputs: gather(m.encoderOutputs),
        ...(m.mask ? { mask: gather(m.mask) } : {}),
        ...(m.projectedKeys ? { projectedKeys: gather(m.projectedKeys) } : {}),
      }) as unknown as tf.TensorContainer) as unknown as Seq2SeqMemory;
      tf.dispose([m.encoderOutputs, m.mask, m.projectedKeys].filter((t): t is tf.Tensor => t !== undefined));
      this.memory = memory;
    }
    index.dispose();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const m = this.memory;
    // The prepared weights' bias is the parameter itself: only the rearranged copies are the session's.
    const { head, input } = this.weights;
    tf.dispose([...stateTensors(this.state), m.encoderOutputs, head, ...(input ? [input.embedding, input.context] : [])]);
    tf.dispose([m.mask, m.projectedKeys].filter((t): t is tf.Tensor => t !== undefined));
  }
}
