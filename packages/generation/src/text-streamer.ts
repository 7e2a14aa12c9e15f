/**
 * `TextStreamer`: generated token ids in, text out, piece by piece, as Hugging Face's `TextStreamer`
 * (and transformers.js's): every `put` decodes the tokens so far and hands on only text that is
 * settled. A byte-level BPE token can end inside a UTF-8 character — the text then ends in U+FFFD
 * until the rest of its bytes arrive — so a trailing partial character is held back; so is text
 * that a later token rewrote. `end()` hands on whatever is left.
 *
 * Pass one as `generate(model, ids, { streamer })`: generate puts the prompt first (left out with
 * `skipPrompt`, the default), then each new token, then calls `end()`.
 */

/** What a streamer is given; HF's `BaseStreamer`. `generate` calls `put(prompt)`, `put([token])` per step, then `end()`. */
export interface Streamer {
  put(ids: readonly number[]): void | Promise<void>;
  end(): void | Promise<void>;
}

/** The decoding a `TextStreamer` needs; `@tfkit/tokenizers`' `Tokenizer` fits. */
export interface StreamerTokenizer {
  decode(ids: number[], options?: { skipSpecialTokens?: boolean }): string;
}

export interface TextStreamerOptions {
  /** Receives each settled piece of text; `streamEnd` is true on the call from `end()` (its text may be empty). */
  onText: (text: string, streamEnd: boolean) => void;
  /** Leave out the first `put` of each stream, which `generate` gives the prompt (default true). */
  skipPrompt?: boolean;
  /** Decode without special tokens (default true). */
  skipSpecialTokens?: boolean;
}

const REPLACEMENT = '\uFFFD';

/** Hands on decoded text as tokens arrive, never a partial character. */
export class TextStreamer implements Streamer {
  private readonly tokenizer: StreamerTokenizer;
  private readonly options: Required<TextStreamerOptions>;
  private cache: number[] = [];
  /** The text of `cache` already handed on. */
  private printed = '';
  private nextIsPrompt = true;

  constructor(tokenizer: StreamerTokenizer, options: TextStreamerOptions) {
    this.tokenizer = tokenizer;
    this.options = { skipPrompt: true, skipSpecialTokens: true, ...options };
  }

  /** Adds tokens (the prompt, on a stream's first call) and hands on the text they settle. */
  put(ids: readonly number[]): void {
    if (this.nextIsPrompt) {
      this.nextIsPrompt = false;
      if (this.options.skipPrompt) return;
    }
    this.cache.push(...ids);
    const text = this.decode();
    if (!text.startsWith(this.printed)) return; // a later token rewrote printed text: wait for the end
    // A finished line never changes: hand it on and start afresh (decoding stays cheap per token).
    if (text.endsWith('\n')) {
      this.emit(text.slice(this.printed.length), false);
      this.cache = [];
      this.printed = '';
      return;
    }
    let settled = text.length;
    while (settled > this.printed.length && text[settled - 1] === REPLACEMENT) settled--;
    if (settled > this.printed.length) {
      this.emit(text.slice(this.printed.length, settled), false);
      this.printed = text.slice(0, settled);
    }
  }

  /** Hands on the rest (held-back bytes included) and makes the streamer ready for another stream. */
  end(): void {
    const text = this.cache.length ? this.decode() : '';
    const rest = text.startsWith(this.printed) ? text.slice(this.printed.length) : '';
    this.cache = [];
    this.printed = '';
    this.nextIsPrompt = true;
    this.options.onText(rest, true);
  }

  private decode(): string {
    return this.tokenizer.decode(this.cache, { skipSpecialTokens: this.options.skipSpecialTokens });
  }

  private emit(text: string, streamEnd: boolean): void {
    if (text) this.options.onText(text, streamEnd);
  }
}
