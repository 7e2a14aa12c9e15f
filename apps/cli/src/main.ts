/**
 * `tfkit` entry: picks the subcommand by its leading words, handles --help/--version, and turns
 * errors into messages and exit codes.
 */
import { TfkitError, type Registry } from '@tfkit/core-tensor';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, type CliIO, type Command, type CommandContext } from './command.js';
import { commands as allCommands } from './commands/index.js';
import { createCliRegistry } from './registry.js';
import { CLI_VERSION } from './version.js';

function findCommand(argv: string[], commands: Command[]): { command: Command; rest: string[] } | undefined {
  // Longest match first: `tokenizer train` before `tokenizer`.
  const sorted = [...commands].sort((a, b) => b.name.length - a.name.length);
  for (const command of sorted) {
    if (command.name.every((word, i) => argv[i] === word)) return { command, rest: argv.slice(command.name.length) };
  }
  return undefined;
}

export function helpText(commands: Command[] = allCommands): string {
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
    '',
  ].join('\n');
}

export async function main(argv: string[], io: CliIO, commands: Command[] = allCommands): Promise<number> {
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
    io.stderr(`tfkit: unknown command "${argv[0]}".\n\n${helpText(commands)}`);
    return EXIT_USAGE;
  }
  const { command, rest } = found;
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(`${command.usage.trimEnd()}\n`);
    return EXIT_OK;
  }
  let registry: Promise<Registry> | undefined;
  const ctx: CommandContext = { io, registry: () => (registry ??= Promise.resolve(createCliRegistry())) };
  try {
    return await command.run(rest, ctx);
  } catch (error) {
    if (error instanceof UsageError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
      io.stderr(`tfkit ${command.name.join(' ')}: ${error.message}\n\n${command.usage.trimEnd()}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof TfkitError) {
      io.stderr(`tfkit ${command.name.join(' ')}: ${error.message}\n`);
      return EXIT_FAILURE;
    }
    io.stderr(`tfkit ${command.name.join(' ')}: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT_FAILURE;
  }
}
