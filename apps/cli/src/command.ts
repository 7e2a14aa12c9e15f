/**
 * The interface every `tfkit` subcommand implements. A command parses its own arguments
 * (`node:util` parseArgs), writes through `io`, and returns an exit code:
 * 0 success, 1 failure while running, 2 bad usage.
 */
import type { Registry } from '@tfkit/core-tensor';

export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether stdout is a terminal (progress bars and colours only then). */
  readonly isTTY: boolean;
  /** Current working directory, for relative paths. */
  readonly cwd: string;
}

export interface CommandContext {
  io: CliIO;
  /** A registry with every installed tfkit package registered. Built on first use. */
  registry(): Promise<Registry>;
}

export interface Command {
  /** The words that select it: `['tokenize']`, `['tokenizer', 'train']`. */
  readonly name: readonly string[];
  /** One line for `tfkit --help`. */
  readonly summary: string;
  /** Full help text for `tfkit <name> --help`. */
  readonly usage: string;
  run(argv: string[], ctx: CommandContext): Promise<number>;
}

/** A usage error: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
