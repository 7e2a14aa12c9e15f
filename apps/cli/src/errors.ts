/**
 * The CLI's error boundary: turns whatever a command throws into one line for stderr and an exit
 * code. Ordinary mistakes — bad usage, a missing or unwritable file, a checkpoint or tokenizer
 * that tfkit rejects with a typed error — are one line without a stack trace. Only an error tfkit
 * did not anticipate (a bug) can print a stack trace, and only with `--debug` / `TFKIT_DEBUG=1`.
 */
import { TfkitError } from '@tfkit/core-tensor';
import { CliError, EXIT_FAILURE, EXIT_USAGE, UsageError } from './command.js';

export interface ErrorReport {
  code: number;
  /** One line, without the `tfkit <command>: ` prefix. */
  message: string;
  /** Stack traces and causes, for `--debug`; only for unexpected errors. */
  details?: string;
}

/** Collapses a message to one line (some tfkit messages list items on several lines). */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** `node:util` parseArgs errors, in the CLI's words. */
function parseArgsMessage(error: Error & { code: string }): string {
  const option = /'(-[^' ]+)/.exec(error.message)?.[1];
  const first = error.message.split('\n')[0] as string;
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return option ? `unknown option ${option}` : first;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (option && /argument missing|ambiguous/.test(first)) return `${option} needs a value`;
      if (option && /does not take an argument/.test(first)) return `${option} takes no value`;
      return first;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL': {
      const arg = /Unexpected argument '([^']*)'/.exec(first)?.[1];
      return arg === undefined ? first : `unexpected argument "${arg}": this command takes options only`;
    }
    default:
      return first;
  }
}

const SYSCALL_VERBS: Record<string, string> = {
  open: 'open',
  read: 'read',
  write: 'write',
  mkdir: 'create the directory',
  rename: 'rename',
  scandir: 'list',
  stat: 'access',
  lstat: 'access',
  access: 'access',
  unlink: 'remove',
  rmdir: 'remove',
  rm: 'remove',
  copyfile: 'copy',
};

/** A Node.js system error (`ENOENT`, `EACCES`, `ENOSPC`, …) from a file the user named. */
function isSystemError(error: unknown): error is Error & { code: string; syscall?: string; path?: string } {
  const code = (error as { code?: unknown } | undefined)?.code;
  return error instanceof Error && typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) && 'syscall' in error;
}

function systemErrorMessage(error: Error & { code: string; syscall?: string; path?: string }): string {
  // "ENOENT: no such file or directory, open '/x/y'" → "no such file or directory"
  const reason = /^E[A-Z0-9]+: ([^,]+)/.exec(error.message)?.[1] ?? error.code;
  const verb = SYSCALL_VERBS[error.syscall ?? ''] ?? error.syscall ?? 'use';
  return error.path ? `cannot ${verb} ${error.path}: ${reason}` : `${verb}: ${reason} (${error.code})`;
}

/** The exit code and one-line message for `error`. */
export function describeError(error: unknown): ErrorReport {
  if (error instanceof UsageError) return { code: EXIT_USAGE, message: oneLine(error.message) };
  if (error instanceof TypeError && String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
    return { code: EXIT_USAGE, message: parseArgsMessage(error as TypeError & { code: string }) };
  }
  if (error instanceof TfkitError || error instanceof CliError) return { code: EXIT_FAILURE, message: oneLine(error.message) };
  if (isSystemError(error)) return { code: EXIT_FAILURE, message: systemErrorMessage(error) };
  const name = error instanceof Error ? error.name : typeof error;
  const text = error instanceof Error ? error.message : String(error);
  return {
    code: EXIT_FAILURE,
    message: `internal error (${name}: ${oneLine(text).slice(0, 300)}); this is a bug in tfkit — rerun with --debug for the stack trace and report it`,
    details: stackWithCauses(error),
  };
}

/** The stack of `error` and of its chain of causes. */
export function stackWithCauses(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    parts.push(current instanceof Error ? (current.stack ?? `${current.name}: ${current.message}`) : String(current));
    current = current instanceof Error ? current.cause : undefined;
    if (current !== undefined) parts.push('caused by:');
  }
  return parts.join('\n');
}
