/**
 * What a model offers `generate`: a decoding session that turns the tokens so far into next-token
 * logits, holding whatever state makes the next step cheap (a KV cache, encoder outputs, an RNN
 * state). Decoder-only, encoder-decoder and recurrent models all fit this one interface.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { GenerationConfig } from './generation-config.js';

export interface StartDecodingInputs {
  /** Prompt ids, left-padded to one length `[rows][length]`. */
  inputIds: number[][];
  /** 1 for real tokens, 0 for padding, same shape as `inputIds`. */
  attentionMask: number[][];
}

export interface StartDecodingOptions {
  /** Keep keys/values (or the recurrent state) between steps; false recomputes every step from scratch. */
  useCache: boolean;
  /** Encoder-decoder models: the token decoder rows start with, when the caller set one (else the model's default). */
  decoderStartTokenId?: number;
}

export interface DecodingSession {
  /**
   * The ids every output row starts with: the (padded) prompt for decoder-only models, the decoder
   * start token for encoder-decoder models, one row per input prompt (in the order given, whatever
   * `selectRows` did since). Its length is what Hugging Face calls the decoder prompt length.
   */
  readonly prefix: number[][];
  /** Next-token logits for every row, `[rows, vocab]`, given the prefix and every token appended so far. The caller disposes it. */
  nextTokenLogits(): tf.Tensor2D;
  /**
   * The same, for a session whose model runs asynchronously (ONNX Runtime); `generate` calls it
   * instead of `nextTokenLogits` when a session has it.
   */
  nextTokenLogitsAsync?(): Promise<tf.Tensor2D>;
  /** Appends one token to every row (called after `nextTokenLogits`). */
  append(tokens: readonly number[]): void;
  /** Rearranges rows: new row `i` is old row `rows[i]` (rows may repeat: beam expansion and reordering). */
  selectRows(rows: readonly number[]): void;
  /** Frees the session's tensors. */
  dispose(): void;
}

/** A model `generate` can drive. */
export interface GenerationModel {
  /** Defaults from the checkpoint's generation_config.json / config.json (eos, bos, pad, …). */
  readonly generationConfig?: Partial<GenerationConfig>;
  /**
   * Where ragged prompts get their padding: 'left' (default) for decoder-only models, which continue
   * right after the prompt; 'right' for encoder-decoder models, whose encoders (and tokenizers) pad
   * on the right.
   */
  readonly paddingSide?: 'left' | 'right';
  /**
   * The most tokens a decoding row may hold (prefix + new tokens), for models with learned
   * positions; `generate` refuses a longer request with a GenerationError, as Hugging Face's models
   * cannot index past their position table. Absent: the family's registry entry says, if given.
   */
  readonly maxPositions?: number;
  startDecoding(inputs: StartDecodingInputs, options: StartDecodingOptions): DecodingSession;
}

/**
 * Pads prompts of different lengths into one batch. Decoder-only models generate on the right, so
 * their prompts are padded on the left (the default).
 */
export function padBatch(
  rows: readonly (readonly number[])[],
  padTokenId: number,
  side: 'left' | 'right' = 'left',
): { inputIds: number[][]; attentionMask: number[][] } {
  const length = Math.max(0, ...rows.map((r) => r.length));
  const inputIds: number[][] = [];
  const attentionMask: number[][] = [];
  for (const row of rows) {
    const pad = new Array<number>(length - row.length).fill(padTokenId);
    const zeros = new Array<number>(length - row.length).fill(0);
    const ones = new Array<number>(row.length).fill(1);
    inputIds.push(side === 'left' ? [...pad, ...row] : [...row, ...pad]);
    attentionMask.push(side === 'left' ? [...zeros, ...ones] : [...ones, ...zeros]);
  }
  return { inputIds, attentionMask };
}
