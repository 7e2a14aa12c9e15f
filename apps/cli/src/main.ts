/**
 * `tfkit` entry: picks the subcommand by its leading words, handles --help/--version/--debug, turns
 * errors into one-line messages and exit codes, and ends the run when it is interrupted.
 */
import type { Registry } from '@tfkit/core-tensor';
import { EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, type CliIO, type Command, type CommandContext, type LazyCommand, type StopReason } from './command.js';
import { commands as allCommands } from './commands/index.js';
import { createCliRegistry } from './registry.js';
import { CLI_VERSION } from './version.js';

type AnyCommand = Command | LazyCommand;

function findCommand(argv: string[], commands: AnyCommand[]): { command: AnyCommand; rest: string[] } | undefined {
  // Longest match first: `tokenizer train` before `tokenizer`.
  const sorted = [...commands].sort((a, b) => b.name.length - a.name.length);
  for (const command of sorted) {
    if (command.name.every((word, i) => argv[i] === word)) return { command, rest: argv.slice(command.name.length) };
  }
  return undefined;
}

export function helpText(commands: AnyCommand[] = allCommands): string {
  const width = Math.max(...commands.map((c) => c.name.join(' ').length));
  return [
    'tfkit — transformers on TensorFlow.js: load, run, train and fine-tune.',
    '',
    'Usage: tfkit <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.join(' ').padEnd(width)}  ${c.summary}`),
    '',
    'Run `tfkit <command> --help` for a command\'s options. `tfkit --version` prints the version.',
    '`--debug` (or TFKIT_DEBUG=1) prints the stack trace of an unexpected error.',
    'Exit status: 0 done, 1 failed, 2 bad usage, 130 interrupted (Ctrl-C).',
    '',
  ].join('\n');
}

/** Removes `--debug` (accepted anywhere before a `--` terminator); says whether it was there. */
function takeDebugFlag(argv: string[]): { argv: string[]; debug: boolean } {
  const end = argv.indexOf('--');
  const head = end < 0 ? argv : argv.slice(0, end);
  const rest = end < 0 ? [] : argv.slice(end);
  const kept = head.filter((a) => a !== '--debug');
  return { argv: [...kept, ...rest], debug: kept.length !== head.length };
}

/** Resolves with the signal's reason once it is aborted (never, for a signal that never aborts). */
function whenAborted(signal: AbortSignal): Promise<StopReason> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(signal.reason as StopReason);
    else signal.addEventListener('abort', () => resolve(signal.reason as StopReason), { once: true });
  });
}

/**
 * Runs `tfkit <argv>` and returns the exit code: 0 success, 1 failure, 2 bad usage, 130 stopped by
 * Ctrl-C (`io.signal` aborted with `'SIGINT'`); a closed stdout (`'EPIPE'`) ends the run quietly with 0.
 * Every error becomes one line on stderr; see errors.ts.
 */
export async function main(rawArgv: string[], io: CliIO, commands: AnyCommand[] = allCommands): Promise<number> {
  const { argv, debug: debugFlag } = takeDebugFlag(rawArgv);
  const debug = debugFlag || Boolean(io.debug);
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.stdout(helpText(commands));
    return argv.length === 0 ? EXIT_USAGE : EXIT_OK;
  }
  if (argv[0] === '--version' || argv[0] === '-v') {
    io.stdout(`${CLI_VERSION}\n`);
    return EXIT_OK;
  }
  const found = findCommand(argv, commands);
  if (!found) {
    // `tfkit export` / `tfkit tokenizer`: the first word of commands that take a second one.
    const subcommands = commands.filter((c) => c.name.length > 1 && c.name[0] === argv[0]).map((c) => c.name.slice(1).join(' '));
    if (subcommands.length) {
      io.stderr(`tfkit: "${argv[0]}" needs a subcommand: ${subcommands.map((s) => `tfkit ${argv[0]} ${s}`).join(', ')}${argv[1] === undefined ? '' : ` (not "${argv[1]}")`}\n`);
      return EXIT_USAGE;
    }
    const what = argv[0]?.startsWith('-') ? `unknown option ${argv[0]}` : `unknown command "${argv[0]}"`;
    io.stderr(`tfkit: ${what} (run tfkit --help for the list of commands)\n`);
    return EXIT_USAGE;
  }
  const { rest } = found;
  const command = 'load' in found.command ? await found.command.load() : found.command;
  const prefix = `tfkit ${command.name.join(' ')}`;
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(`${command.usage.trimEnd()}\n`);
    return EXIT_OK;
  }
  const signal = io.signal ?? new AbortController().signal;
  const stopped = (reason: StopReason): number => {
    if (reason === 'EPIPE') return EXIT_OK;
    io.stderr(`${prefix}: interrupted\n`);
    return EXIT_INTERRUPTED;
  };
  let registry: Promise<Registry> | undefined;
  const ctx: CommandContext = { io, signal, registry: () => (registry ??= createCliRegistry()) };
  try {
    const running = command.run(rest, ctx);
    if (command.stopsOnSignal) {
      const code = await running;
      return signal.aborted ? stopped(signal.reason as StopReason) : code;
    }
    // A command that does not watch the signal is abandoned when it fires.
    running.catch(() => undefined);
    const outcome = await Promise.race([running.then((code) => ({ code })), whenAborted(signal).then((reason) => ({ reason }))]);
    return 'reason' in outcome ? stopped(outcome.reason) : signal.aborted ? stopped(signal.reason as StopReason) : outcome.code;
  } catch (error) {
    if (signal.aborted) return stopped(signal.reason as StopReason);
    // Loaded only when something failed: `tfkit --help` stays light.
    const { describeError } = await import('./errors.js');
    const report = describeError(error);
    if (report.code === EXIT_USAGE) {
      io.stderr(`${prefix}: ${report.message} (see ${prefix} --help)\n`);
      return EXIT_USAGE;
    }
    io.stderr(`${prefix}: ${report.message}\n`);
    if (debug && report.details) io.stderr(`${report.details}\n`);
    return report.code;
  }
}
