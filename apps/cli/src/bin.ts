/**
 * The `tfkit` executable: wires `main` to the process — its streams, Ctrl-C, a closed stdout
 * (`tfkit generate … | head -1`) — and keeps stray errors to one line.
 */
import type { StopReason } from './command.js';
import { main } from './main.js';

const args = process.argv.slice(2);
const debug = /^(1|true|yes|on)$/i.test(process.env['TFKIT_DEBUG'] ?? '') || args.slice(0, args.includes('--') ? args.indexOf('--') : undefined).includes('--debug');
const controller = new AbortController();
const stop = (reason: StopReason) => {
  if (!controller.signal.aborted) controller.abort(reason);
};

// A closed stdout is the reader saying it has enough: stop writing and end quietly. Any other
// stdout failure is reported (on stderr) and fails the run.
let stdoutOpen = true;
let stdoutFailure: unknown;
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (!stdoutOpen) return;
  stdoutOpen = false;
  if (error.code !== 'EPIPE') stdoutFailure = error;
  stop('EPIPE');
});
// Without stderr there is nobody to tell; keep going.
let stderrOpen = true;
process.stderr.on('error', () => {
  stderrOpen = false;
});

// First Ctrl-C: stop cleanly (a command that trains finishes its step and saves). Second: now.
process.on('SIGINT', () => {
  if (controller.signal.aborted && controller.signal.reason === 'SIGINT') process.exit(130);
  stop('SIGINT');
});

const fatal = (error: unknown) => {
  void import('./errors.js').then(({ describeError }) => {
    const report = describeError(error);
    if (stderrOpen) process.stderr.write(`tfkit: ${report.message}\n${debug && report.details ? `${report.details}\n` : ''}`);
    process.exit(1);
  });
};
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);

const io = {
  stdout: (text: string) => void (stdoutOpen && process.stdout.write(text)),
  stderr: (text: string) => void (stderrOpen && process.stderr.write(text)),
  isTTY: Boolean(process.stdout.isTTY),
  cwd: process.cwd(),
  signal: controller.signal,
  debug,
};

let code = await main(args, io);
if (stdoutFailure !== undefined) {
  const { describeError } = await import('./errors.js');
  io.stderr(`tfkit: cannot write the output: ${describeError(stdoutFailure).message}\n`);
  code = 1;
}
// An interrupted command may have left work in flight (an abandoned load); do not wait for it.
if (controller.signal.aborted) process.exit(code);
process.exitCode = code;
