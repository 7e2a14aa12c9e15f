/**
 * The decoding session of an attention encoder-decoder (BART, the Marian Transformer) for
 * `generate`: the encoder runs once per prompt; the decoder starts from the start token and, with
 * the cache, reads one new token per row per step against its cached self-attention keys/values
 * and the cross-attention keys/values of the encoder output, projected at the first step only
 * (Hugging Face's `past_key_values`). Without the cache every step reruns the decoder over all
 * tokens so far (the same logits, a check of the cache). A model gives its parts; the rows, the
 * cache and the encoder output are kept here.
 */
import * as tf from '@tensorflow/tfjs-core';
import { DecoderRows } from './decoder-rows.js';
import { GenerationError } from './errors.js';
import type { DecodingSession, StartDecodingInputs, StartDecodingOptions } from './model.js';

/** The decoder's key/value cache as the session uses it. */
export interface EncoderDecoderSessionCache {
  /** Keeps batch rows `rows`; `cross: false` leaves the cross-attention keys/values as they are. */
  reorder(rows: readonly number[], options?: { cross?: boolean }): void;
  dispose(): void;
}

/** What a model gives its session. */
export interface EncoderDecoderParts<C extends EncoderDecoderSessionCache> {
  /** The session's class name, in errors. */
  readonly name: string;
  /** The decoder's first token when the options name none. */
  readonly decoderStartTokenId: number;
  /** Decoder layers (the cache's size). */
  readonly decoderLayers: number;
  /** The encoder's last hidden state `[B, S, dModel]` of the prompts. */
  encode(inputIds: number[][], attentionMask: number[][]): tf.Tensor3D;
  /** A cache of `layers` decoder layers. */
  createCache(layers: number): C;
  /** The decoder's last hidden state `[B, T, dModel]` of `ids` (the new tokens when `cache` holds the earlier ones). */
  decode(ids: number[][], encoderHiddenStates: tf.Tensor3D, encoderAttentionMask: tf.Tensor2D, cache: C | null): tf.Tensor;
  /** Next-token logits `[B, vocab]` of the last positions' states `[B, dModel]`. */
  logits(last: tf.Tensor2D): tf.Tensor2D;
  /** Frees what the parts hold for the session (a transposed projection), at `dispose`. */
  release?(): void;
}

export class EncoderDecoderSession<C extends EncoderDecoderSessionCache> implements DecodingSession {
  readonly prefix: number[][];
  /** Each row's decoder tokens, its prompt, and how many trailing tokens the cache does not hold yet. */
  private readonly rows: DecoderRows;
  private encoderHidden: tf.Tensor3D;
  private encoderMask: tf.Tensor2D;
  private readonly cache: C | null;
  private disposed = false;

  constructor(
    private readonly parts: EncoderDecoderParts<C>,
    inputs: StartDecodingInputs,
    options: StartDecodingOptions,
  ) {
    this.rows = new DecoderRows(inputs, options.decoderStartTokenId ?? parts.decoderStartTokenId);
    this.prefix = this.rows.prefix;
    const { hidden, mask } = tf.tidy(() => ({
      hidden: parts.encode(inputs.inputIds, inputs.attentionMask),
      mask: tf.tensor2d(inputs.attentionMask, undefined, 'int32'),
    }));
    this.encoderHidden = hidden;
    this.encoderMask = mask;
    this.cache = options.useCache ? parts.createCache(parts.decoderLayers) : null;
  }

  nextTokenLogits(): tf.Tensor2D {
    const n = this.cache ? this.rows.pending : (this.rows.tokens[0] as number[]).length;
    if (n === 0) throw new GenerationError(`${this.parts.name}: nextTokenLogits was called twice without append in between`);
    const ids = this.rows.tokens.map((r) => r.slice(r.length - n));
    const logits = tf.tidy(() => {
      const lastHiddenState = this.parts.decode(ids, this.encoderHidden, this.encoderMask, this.cache);
      const [b, t, c] = lastHiddenState.shape as [number, number, number];
      // Only the last position's logits are needed: project one row per sequence.
      const last = tf.reshape(tf.slice(lastHiddenState, [0, t - 1, 0], [b, 1, c]), [b, c]) as tf.Tensor2D;
      return this.parts.logits(last);
    });
    if (this.cache) this.rows.pending = 0;
    return logits;
  }

  append(tokens: readonly number[]): void {
    this.rows.append(tokens);
  }

  selectRows(rows: readonly number[]): void {
    // Beam reordering within one prompt leaves every row's encoder output (and cross keys/values) as it was.
    const sameSources = this.rows.select(rows);
    this.cache?.reorder(rows, { cross: !sameSources });
    if (sameSources) return;
    const index = tf.tensor1d(rows as number[], 'int32');
    const [hidden, mask] = [tf.gather(this.encoderHidden, index) as tf.Tensor3D, tf.gather(this.encoderMask, index) as tf.Tensor2D];
    index.dispose();
    tf.dispose([this.encoderHidden, this.encoderMask]);
    this.encoderHidden = hidden;
    this.encoderMask = mask;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.cache?.dispose();
    tf.dispose([this.encoderHidden, this.encoderMask]);
    this.parts.release?.();
  }
}
