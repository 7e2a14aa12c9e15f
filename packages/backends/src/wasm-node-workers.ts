/**
 * Threads for tfjs-backend-wasm in Node.js.
 *
 * The threaded-SIMD binary runs its pthreads in Workers. tfjs hands Emscripten the pthread worker
 * script as a `blob:` URL and the main script as a `Blob`; Node's `worker_threads.Worker` accepts
 * neither (it loads files and `data:` URLs only), which is one reason tfjs turns threads off in
 * Node. While the shim below is installed, the Emscripten glue's `new Worker(blobUrl)` gets a
 * `worker_threads.Worker` that runs the same worker script (which tfjs ships as a string in
 * `wasm-out/*.worker.js`) with `eval: true`, and its "load" message points at the main script file
 * in `wasm-out/` instead of the Blob. Any other `new Worker(...)` made meanwhile is untouched.
 *
 * The pool threads never keep the process alive: XNNPACK's threads only work while the main thread
 * waits inside a kernel, so an idle pool must not stop Node from exiting.
 */
import type { WorkerOptions } from 'node:worker_threads';
import { importNodeBuiltin } from './environment.js';

const WASM_OUT = '@tensorflow/tfjs-backend-wasm/wasm-out';

/** Installs the `Worker` shim; call the returned function to restore the previous global. */
export async function installPthreadWorkers(): Promise<() => void> {
  const [{ Worker }, { createRequire }] = await Promise.all([importNodeBuiltin('node:worker_threads'), importNodeBuiltin('node:module')]);
  const require = createRequire(import.meta.url);
  const mainScript = require.resolve(`${WASM_OUT}/tfjs-backend-wasm-threaded-simd.js`);
  const { wasmWorkerContents } = require(`${WASM_OUT}/tfjs-backend-wasm-threaded-simd.worker.js`) as { wasmWorkerContents: string };
  // The string's template literal turned "\n" escapes into newlines inside JS string literals;
  // tfjs re-escapes them before making its Blob, and so must we.
  const workerCode = wasmWorkerContents.replace(/\n/g, '\\n');

  class PthreadWorker extends Worker {
    private readonly pthread: boolean;

    constructor(url: string | URL, options?: WorkerOptions) {
      const pthread = String(url).startsWith('blob:nodedata:');
      super(pthread ? workerCode : url, pthread ? { eval: true } : options);
      this.pthread = pthread;
      if (pthread) this.unref();
    }

    override ref(): void {
      if (!this.pthread) super.ref();
    }

    override postMessage(message: unknown, transferList?: Parameters<InstanceType<typeof Worker>['postMessage']>[1]): void {
      const m = message as { cmd?: unknown; urlOrBlob?: unknown } | null;
      if (this.pthread && m?.cmd === 'load' && typeof m.urlOrBlob !== 'string') message = { ...m, urlOrBlob: mainScript };
      super.postMessage(message, transferList);
    }
  }

  // The glue assigns `global.Worker = worker_threads.Worker` before creating its workers; the
  // setter keeps the shim in place until activation is over.
  const previous = Object.getOwnPropertyDescriptor(globalThis, 'Worker');
  Object.defineProperty(globalThis, 'Worker', { configurable: true, get: () => PthreadWorker, set: () => undefined });
  return () => {
    if (previous) Object.defineProperty(globalThis, 'Worker', previous);
    else Reflect.deleteProperty(globalThis, 'Worker');
  };
}
