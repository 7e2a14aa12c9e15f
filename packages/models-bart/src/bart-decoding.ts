/**
 * BART's decoding session for `generate`: the encoder runs once per prompt; the decoder starts
 * from `decoderStartTokenId` and, with the cache, feeds one token per row per step against its
 * cached self-attention keys/values and the cross-attention keys/values of the encoder output,
 * which are projected at the first step only (Hugging Face's `past_key_values`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { DecoderRows, GenerationError, type DecodingSession, type StartDecodingInputs, type StartDecodingOptions } from '@tfkit/generation';
import type { BartForConditionalGeneration } from './bart-heads.js';
import { BartDecoderCache } from './bart-modeling.js';

export class BartDecodingSession implements DecodingSession {
  readonly prefix: number[][];
  /** Each row's decoder tokens, its prompt, and how many trailing tokens the cache does not hold yet. */
  private readonly rows: DecoderRows;
  private encoderHidden: tf.Tensor3D;
  private encoderMask: tf.Tensor2D;
  private readonly cache: BartDecoderCache | null;
  private disposed = false;

  constructor(
    private readonly model: BartForConditionalGeneration,
    inputs: StartDecodingInputs,
    options: StartDecodingOptions,
  ) {
    this.rows = new DecoderRows(inputs, options.decoderStartTokenId ?? model.config.decoderStartTokenId);
    this.prefix = this.rows.prefix;
    const { hidden, mask } = tf.tidy(() => ({
      hidden: model.model.encoder.forward(inputs.inputIds, inputs.attentionMask).lastHiddenState as tf.Tensor3D,
      mask: tf.tensor2d(inputs.attentionMask, undefined, 'int32'),
    }));
    this.encoderHidden = hidden;
    this.encoderMask = mask;
    this.cache = options.useCache ? new BartDecoderCache(model.config.decoderLayers) : null;
  }

  nextTokenLogits(): tf.Tensor2D {
    const n = this.cache ? this.rows.pending : (this.rows.tokens[0] as number[]).length;
    if (n === 0) throw new GenerationError('BartDecodingSession: nextTokenLogits was called twice without append in between');
    const ids = this.rows.tokens.map((r) => r.slice(r.length - n));
    const logits = tf.tidy(() => {
      const { lastHiddenState } = this.model.model.decoder.forward(ids, {
        encoderHiddenStates: this.encoderHidden,
        encoderAttentionMask: this.encoderMask,
        ...(this.cache ? { cache: this.cache } : {}),
      });
      const [b, t, c] = lastHiddenState.shape as [number, number, number];
      // Only the last position's logits are needed: project one row per sequence.
      const last = tf.reshape(tf.slice(lastHiddenState, [0, t - 1, 0], [b, 1, c]), [b, c]) as tf.Tensor2D;
      return tf.add(this.model.lm_head.forward(last), this.model.final_logits_bias.value) as tf.Tensor2D;
    });
    if (this.cache) this.rows.pending = 0;
    return logits;
  }

  append(tokens: readonly number[]): void {
    this.rows.append(tokens);
  }

  selectRows(rows: readonly number[]): void {
    // Beam reordering within one prompt leaves every row's encoder input (and cross keys/values) as it was.
    const sameInputs = this.rows.select(rows);
    this.cache?.reorder(rows, { cross: !sameInputs });
    if (sameInputs) return;
    const index = tf.tensor1d(rows as number[], 'int32');
    const [hidden, mask] = [tf.gather(this.encoderHidden, index) as tf.Tensor3D, tf.gather(this.encoderMask, index) as tf.Tensor2D];
    index.dispose();
    this.encoderHidden.dispose();
    this.encoderMask.dispose();
    this.encoderHidden = hidden;
    this.encoderMask = mask;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.cache?.dispose();
    tf.dispose([this.encoderHidden, this.encoderMask]);
  }
}
