/** Test helpers: run `tfkit` in-process with captured output, or as a real process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CliIO } from './command.js';
import { main } from './main.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `signal` stands in for Ctrl-C; `onStderr` sees each write to stderr as it happens. */
export async function runTfkit(argv: string[], cwd: string, options: { signal?: AbortSignal; debug?: boolean; onStderr?: (text: string) => void } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const { onStderr, ...rest } = options;
  const io: CliIO = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => {
      stderr += t;
      onStderr?.(t);
    },
    isTTY: false,
    cwd,
    ...rest,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

export interface CliProcess {
  readonly child: ChildProcess;
  /** Everything written to stdout / stderr so far. */
  readonly output: { stdout: string; stderr: string };
  /** Resolves when `predicate(output)` holds (checked on every chunk), or rejects if the process ends first. */
  waitFor(predicate: (output: { stdout: string; stderr: string }) => boolean): Promise<void>;
  /** The exit: `code` null and `signal` set when a signal killed it; `killed` when `deadlineMs` ran out. */
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; killed: boolean }>;
}

const binSource = fileURLToPath(new URL('./bin.ts', import.meta.url));
const hooks = new URL('./source-hooks.mjs', import.meta.url).href;
const registerHooks = `data:text/javascript,${encodeURIComponent(`import { register } from 'node:module'; register(${JSON.stringify(hooks)});`)}`;

/**
 * Starts `tfkit <argv>` as a real process, from the sources (see source-hooks.mjs), for what only a
 * process shows: exit statuses, Ctrl-C, a closed pipe (`closeStdout`). It is killed after
 * `deadlineMs` (a bound on a hung run, not a speed requirement: keep it generous).
 */
export function spawnTfkit(argv: string[], cwd: string, options: { deadlineMs?: number; env?: Record<string, string>; closeStdout?: boolean } = {}): CliProcess {
  const child = spawn(process.execPath, ['--import', registerHooks, binSource, ...argv], {
    cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The reader of stdout goes away at once, as `head` does once it has its lines.
  if (options.closeStdout) child.stdout?.destroy();
  const output = { stdout: '', stderr: '' };
  const watchers = new Set<() => void>();
  const onData = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
    output[stream] += chunk.toString('utf8');
    for (const w of watchers) w();
  };
  child.stdout?.on('data', onData('stdout'));
  child.stderr?.on('data', onData('stderr'));
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, options.deadlineMs ?? 180_000);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; killed: boolean }>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      for (const w of watchers) w();
      resolve({ code, signal, killed });
    });
  });
  let closed = false;
  void exit.then(() => (closed = true));
  const waitFor = (predicate: (o: typeof output) => boolean) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (predicate(output)) {
          watchers.delete(check);
          resolve();
        } else if (closed || child.exitCode !== null || child.signalCode !== null) {
          watchers.delete(check);
          reject(new Error(`tfkit ${argv.join(' ')} ended before the awaited output.\nstdout: ${output.stdout}\nstderr: ${output.stderr}`));
        }
      };
      watchers.add(check);
      check();
    });
  return { child, output, waitFor, exit };
}
