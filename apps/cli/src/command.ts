/**
 * The interface every `tfkit` subcommand implements. A command parses its own arguments
 * (`node:util` parseArgs), writes through `io`, and returns an exit code:
 * 0 success, 1 failure while running, 2 bad usage, 130 interrupted (Ctrl-C).
 */
import type { Registry } from '@tfkit/core-tensor';

export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether stdout is a terminal (progress bars and colours only then). */
  readonly isTTY: boolean;
  /** Current working directory, for relative paths. */
  readonly cwd: string;
  /**
   * Aborted when the run should stop: with reason `'SIGINT'` on Ctrl-C, `'EPIPE'` when the reader
   * of stdout went away (`tfkit generate … | head -1`). See {@link StopReason}.
   */
  readonly signal?: AbortSignal;
  /** Print stack traces of unexpected errors (`--debug` or `TFKIT_DEBUG=1`). */
  readonly debug?: boolean;
}

/** Why `signal` was aborted: Ctrl-C (exit 130) or a closed stdout (exit 0, quietly). */
export type StopReason = 'SIGINT' | 'EPIPE';

export interface CommandContext {
  io: CliIO;
  /** A registry with every installed tfkit package registered. Built on first use. */
  registry(): Promise<Registry>;
  /** Aborted on Ctrl-C or a closed stdout; commands with `stopsOnSignal` watch it. */
  readonly signal: AbortSignal;
}

export interface Command {
  /** The words that select it: `['tokenize']`, `['tokenizer', 'train']`. */
  readonly name: readonly string[];
  /** One line for `tfkit --help`. */
  readonly summary: string;
  /** Full help text for `tfkit <name> --help`. */
  readonly usage: string;
  /**
   * The command watches `ctx.signal` and stops cleanly by itself (finishing a training step,
   * saving, leaving no partial files). A command without it is abandoned at once on Ctrl-C.
   */
  readonly stopsOnSignal?: boolean;
  run(argv: string[], ctx: CommandContext): Promise<number>;
}

/**
 * A command known by its name and summary, loaded when it runs (or shows its help): `tfkit --help`
 * reads no command's code.
 */
export interface LazyCommand {
  readonly name: readonly string[];
  readonly summary: string;
  load(): Promise<Command>;
}

/** A usage error (unknown option, missing argument, bad value): one line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * An ordinary failure while running that is not a bug (a file that is missing or unwritable, data
 * that do not fit the model): one line, exit code 1.
 */
export class CliError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
  }
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
/** 128 + SIGINT, what shells report for a program stopped by Ctrl-C. */
export const EXIT_INTERRUPTED = 130;
