/**
 * One HTTP transfer under the source's limits: the caller's abort signal, a stall timeout (no
 * response, or no next 64 KiB of body, for `stallTimeout` ms), an optional total timeout, and a
 * maximum size checked against `Content-Length` before any byte is read and against the bytes as
 * they stream. Every wait is raced against these, so a `fetch` that ignores its signal still stops.
 */
import { CheckpointError, FileTooLargeError, SourceAbortedError, SourceTimeoutError, TfkitError } from '../errors.js';
import { formatBytes, PROGRESS_BYTES, type SourceLimits } from './limits.js';

/** Timers above this are not armed (setTimeout would fire at once). */
const MAX_TIMER = 2 ** 31 - 1;

/** Where a body's bytes go, chunk by chunk. A sink's own failures should be `TfkitError`s. */
export interface ByteSink {
  /** Called once before the first chunk when the body's exact length is known. */
  expect?(length: number): void;
  write(chunk: Uint8Array): void | Promise<void>;
}

/**
 * Collects a body in memory: one allocation when the exact length is announced (`receiveBody`
 * never writes past it), chunks otherwise.
 */
export class MemorySink implements ByteSink {
  private buffer: Uint8Array | undefined;
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  expect(length: number): void {
    this.buffer = new Uint8Array(length);
  }

  write(chunk: Uint8Array): void {
    if (this.buffer) this.buffer.set(chunk, this.size);
    else this.chunks.push(chunk);
    this.size += chunk.byteLength;
  }

  bytes(): Uint8Array {
    if (this.buffer) return this.buffer.subarray(0, this.size);
    const out = new Uint8Array(this.size);
    let position = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, position);
      position += chunk.byteLength;
    }
    return out;
  }
}

export class Transfer {
  readonly url: string;
  /** Passed to `fetch`: aborted on the caller's abort, a timeout, or `close()`. */
  readonly signal: AbortSignal;
  /** Body bytes received so far. */
  received = 0;
  private readonly limits: SourceLimits;
  private readonly controller = new AbortController();
  private failure: TfkitError | undefined;
  private readonly stopped: Promise<never>;
  private reject: (error: TfkitError) => void = () => undefined;
  private stallTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly totalTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly onAbort = () => this.fail(this.aborted());

  constructor(url: string, limits: SourceLimits) {
    this.url = url;
    this.limits = limits;
    this.signal = this.controller.signal;
    this.stopped = new Promise<never>((_, reject) => {
      this.reject = reject;
    });
    this.stopped.catch(() => undefined);
    if (limits.signal?.aborted) this.fail(this.aborted());
    limits.signal?.addEventListener('abort', this.onAbort, { once: true });
    const { timeout } = limits;
    if (timeout < MAX_TIMER) {
      this.totalTimer = setTimeout(
        () => this.fail(new SourceTimeoutError(`${url}: the download took longer than timeout ${timeout} ms (${this.receivedText()}); stopped. Raise timeout, or check the network.`, { url, timeoutMs: timeout, kind: 'total' })),
        timeout,
      );
    }
    this.progress();
  }

  /** Restarts the stall timer: called when the response arrives and after every `PROGRESS_BYTES`. */
  progress(): void {
    clearTimeout(this.stallTimer);
    const { stallTimeout } = this.limits;
    if (this.failure || !(stallTimeout < MAX_TIMER)) return;
    this.stallTimer = setTimeout(() => {
      const waiting = this.received === 0 ? 'no response or body' : `no next ${formatBytes(PROGRESS_BYTES)} of the body (${this.receivedText()})`;
      this.fail(
        new SourceTimeoutError(`${this.url}: ${waiting} for stallTimeout ${stallTimeout} ms; stopped. The server is unreachable or too slow: retry, or raise stallTimeout.`, {
          url: this.url,
          timeoutMs: stallTimeout,
          kind: 'stall',
        }),
      );
    }, stallTimeout);
  }

  /** `promise`, unless the transfer is aborted or times out first: then that typed error. */
  async race<T>(promise: Promise<T>): Promise<T> {
    try {
      return await Promise.race([promise, this.stopped]);
    } catch (error) {
      throw this.failure ?? error;
    }
  }

  /** The typed error that stopped the transfer, if any. */
  get stoppedBy(): TfkitError | undefined {
    return this.failure;
  }

  /** Clears the timers and aborts whatever is still in flight (a body nobody reads). */
  close(): void {
    clearTimeout(this.stallTimer);
    clearTimeout(this.totalTimer);
    this.limits.signal?.removeEventListener('abort', this.onAbort);
    if (!this.controller.signal.aborted) this.controller.abort(new CheckpointError(`${this.url}: transfer closed`));
  }

  private receivedText(): string {
    return `${this.received} bytes received`;
  }

  private aborted(): SourceAbortedError {
    return new SourceAbortedError(`${this.url}: aborted by the caller's signal (${this.receivedText()})`, { url: this.url, cause: this.limits.signal?.reason });
  }

  private fail(error: TfkitError): void {
    if (this.failure) return;
    this.failure = error;
    clearTimeout(this.stallTimer);
    clearTimeout(this.totalTimer);
    this.reject(error);
    this.controller.abort(error);
  }
}

/** The body's announced length, and whether the received bytes must match it (not when encoded). */
function announced(response: Response): { length: number | undefined; exact: boolean } {
  const header = response.headers.get('content-length');
  const length = header !== null && /^\s*\d+\s*$/.test(header) ? Number(header) : undefined;
  const encoding = response.headers.get('content-encoding');
  return { length, exact: length !== undefined && (encoding === null || encoding.trim().toLowerCase() === 'identity') };
}

/** Cancels a body without waiting on it (a hostile server may never answer the cancel). */
export function discard(response: Response): void {
  response.body?.cancel().catch(() => undefined);
}

/**
 * Streams `response`'s body into `sink`: refuses a `Content-Length` over `maxBytes` before reading,
 * stops once the body passes `maxBytes`, and checks the byte count against `Content-Length`.
 * Returns the number of bytes. `limit` names the option in errors.
 */
export async function receiveBody(transfer: Transfer, response: Response, maxBytes: number, sink: ByteSink, limit: string): Promise<number> {
  const { url } = transfer;
  const { length, exact } = announced(response);
  const tooLarge = (size: number, how: string) =>
    new FileTooLargeError(`${url}: ${how} over the ${limit} limit of ${formatBytes(maxBytes)}; refused. Pass a larger ${limit} if the file is expected.`, { file: url, limit: maxBytes, size });
  if (length !== undefined && length > maxBytes) {
    discard(response);
    throw tooLarge(length, `Content-Length ${length} (${formatBytes(length)}) is`);
  }
  if (exact && length !== undefined) sink.expect?.(length);
  const reader = response.body?.getReader();
  if (!reader) {
    if (exact && length) throw new CheckpointError(`${url}: the response has no body but Content-Length ${length}`);
    return 0;
  }
  let sinceProgress = 0;
  try {
    for (;;) {
      const { done, value } = await transfer.race(reader.read());
      if (done) break;
      transfer.received += value.byteLength;
      if (transfer.received > maxBytes) throw tooLarge(transfer.received, `the body streamed past ${transfer.received} bytes,`);
      if (exact && transfer.received > (length as number)) throw new CheckpointError(`${url}: the server sent more than its Content-Length ${length}`);
      await transfer.race(Promise.resolve(sink.write(value)));
      sinceProgress += value.byteLength;
      if (sinceProgress >= PROGRESS_BYTES) {
        sinceProgress = 0;
        transfer.progress();
      }
    }
  } catch (error) {
    reader.cancel().catch(() => undefined);
    if (error instanceof TfkitError) throw error;
    const of = exact ? ` of ${length}` : '';
    throw new CheckpointError(`${url}: the download broke off after ${transfer.received}${of} bytes (${(error as Error).message}); retry`, { cause: error });
  }
  if (exact && transfer.received !== length) {
    throw new CheckpointError(`${url}: the download is truncated: ${transfer.received} of the ${length} bytes announced by Content-Length; retry`);
  }
  return transfer.received;
}
