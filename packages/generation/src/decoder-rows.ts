/**
 * The row bookkeeping every encoder-decoder `DecodingSession` keeps, whatever its state is (a KV
 * cache, a recurrent state): each row's decoder tokens from the start token, the prompt each row
 * decodes, and how many trailing tokens the model's state has not read yet.
 */
import type { StartDecodingInputs } from './model.js';

export class DecoderRows {
  /** `[start]` for every prompt: the session's `prefix`. */
  readonly prefix: number[][];
  /** Decoder tokens of each row so far (the start token included). */
  tokens: number[][];
  /** Which prompt each row decodes (rows of one prompt share its encoder output). */
  source: number[];
  /** How many trailing tokens of each row the model's state does not hold yet (the session sets it to 0 once it has read them). */
  pending = 1;

  constructor(inputs: StartDecodingInputs, startTokenId: number) {
    this.prefix = inputs.inputIds.map(() => [startTokenId]);
    this.tokens = inputs.inputIds.map(() => [startTokenId]);
    this.source = inputs.inputIds.map((_, i) => i);
  }

  /** Appends one token to every row. */
  append(tokens: readonly number[]): void {
    tokens.forEach((t, r) => (this.tokens[r] as number[]).push(t));
    this.pending++;
  }

  /**
   * New row `i` is old row `rows[i]`. Returns whether every row still decodes the prompt it did (a
   * reordering within each prompt, as beam search does), in which case the encoder side can stay as it is.
   */
  select(rows: readonly number[]): boolean {
    this.tokens = rows.map((r) => [...(this.tokens[r] as number[])]);
    const source = rows.map((r) => this.source[r] as number);
    const sameSources = source.length === this.source.length && source.every((s, i) => s === this.source[i]);
    this.source = source;
    return sameSources;
  }
}
