/**
 * The page's side of the worker protocol: `request` sends one request and calls `onEvent` with each
 * event the worker sends for it, resolving at `done` and rejecting at `error` (a `WorkerError`
 * carrying the missing file and the fix, when the worker named them). `control` sends stop /
 * pause / resume for a running request.
 */
import type { Event, Request } from './protocol.js';

type Body<R> = R extends Request ? Omit<R, 'id'> : never;
export type RequestBody = Body<Request>;

export class WorkerError extends Error {
  constructor(message: string, readonly file?: string, readonly fix?: string) {
    super(message);
    this.name = 'WorkerError';
  }
}

export class ModelClient {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { onEvent: (e: Event) => void; resolve: () => void; reject: (e: Error) => void }>();

  constructor() {
    this.worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
    this.worker.addEventListener('message', (message: MessageEvent<Event>) => {
      const event = message.data;
      const entry = this.pending.get(event.id);
      if (!entry) return;
      if (event.type === 'done') {
        this.pending.delete(event.id);
        entry.resolve();
      } else if (event.type === 'error') {
        this.pending.delete(event.id);
        entry.reject(new WorkerError(event.message, event.file, event.fix));
      } else {
        entry.onEvent(event);
      }
    });
    this.worker.addEventListener('error', (e) => {
      for (const [, entry] of this.pending) entry.reject(new WorkerError(`the model worker failed: ${e.message}`));
      this.pending.clear();
    });
  }

  /** Sends a request; returns its id (for `control`) and a promise of its end. */
  start(body: RequestBody, onEvent: (e: Event) => void = () => undefined): { id: number; finished: Promise<void> } {
    const id = this.nextId++;
    const finished = new Promise<void>((resolve, reject) => this.pending.set(id, { onEvent, resolve, reject }));
    this.worker.postMessage({ ...body, id });
    return { id, finished };
  }

  request(body: RequestBody, onEvent?: (e: Event) => void): Promise<void> {
    return this.start(body, onEvent).finished;
  }

  control(id: number, type: 'stop' | 'pause' | 'resume'): void {
    this.worker.postMessage({ id, type });
  }
}

/** Saves bytes as a file through a temporary link (the browser's download). */
export function download(name: string, bytes: Uint8Array | string, type = 'application/octet-stream'): void {
  const blob = new Blob([bytes as BlobPart], { type });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
