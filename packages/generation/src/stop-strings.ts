/**
 * Stop strings: a row finishes once the text it generated contains one of them. Only the tail of
 * the new tokens is decoded each step (a string of L characters spans at most about L tokens), so
 * the check costs the same at every step.
 */
import { ConfigError } from '@tfkit/core-tensor';

export class StopStringChecker {
  private readonly window: number;

  private constructor(
    readonly stopStrings: readonly string[],
    private readonly tokenizer: { decode(ids: number[]): string },
    private readonly prefixLength: number,
  ) {
    this.window = Math.max(...stopStrings.map((s) => s.length)) + 2;
  }

  static create(stopStrings: string | string[] | undefined, tokenizer: { decode(ids: number[]): string } | undefined, prefixLength: number): StopStringChecker | undefined {
    const list = (typeof stopStrings === 'string' ? [stopStrings] : (stopStrings ?? [])).filter((s) => s.length > 0);
    if (list.length === 0) return undefined;
    if (!tokenizer) throw new ConfigError('generate: stopStrings need a tokenizer (options.tokenizer with a decode(ids) method) to read the generated text');
    return new StopStringChecker(list, tokenizer, prefixLength);
  }

  /** Whether the row's generated tokens (after the prefix) now contain a stop string. */
  matches(row: readonly number[]): boolean {
    const start = Math.max(this.prefixLength, row.length - this.window);
    const text = this.tokenizer.decode(row.slice(start));
    return this.stopStrings.some((s) => text.includes(s));
  }
}
