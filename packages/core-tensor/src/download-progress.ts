/**
 * Progress of file reads for sources' `onProgress` (and `pipeline()`'s `progressCallback`): a
 * `fetch` that reports each response body's bytes as they stream (file, loaded, total) — it wraps
 * whatever `fetch` the source would use, so it sees exactly the downloads the source makes — and
 * a reporter for reads from local folders and the cache.
 */

export interface DownloadProgress {
  /** The file's name in the repository (`model.safetensors`), from its URL. */
  file: string;
  /** The URL downloaded, or the path read (local folders, the cache). */
  url: string;
  /** Bytes received so far. */
  loaded: number;
  /** Bytes announced by `Content-Length`, when the server sent it. */
  total: number | undefined;
  /** True on the last report for this file: its body has ended. */
  done: boolean;
}

export type ProgressCallback = (progress: DownloadProgress) => void;

/** `org/name/resolve/main/sub/file.json` → `sub/file.json`; any other URL → its last path segment. */
function fileOf(url: string): string {
  const path = new URL(url).pathname.split('/').map(decodeURIComponent);
  const resolve = path.indexOf('resolve');
  return resolve >= 0 && resolve + 2 < path.length ? path.slice(resolve + 2).join('/') : (path[path.length - 1] ?? url);
}

/** `fetch` wrapped so every GET body reports its progress to `callback` (a throwing callback never breaks a download). */
export function fetchWithProgress(fetchImpl: typeof fetch, callback: ProgressCallback): typeof fetch {
  return async (input, init) => {
    const response = await fetchImpl(input, init);
    if (!response.body || (init?.method ?? 'GET').toUpperCase() !== 'GET') return response;
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const header = response.headers.get('content-length');
    const total = header !== null && /^\s*\d+\s*$/.test(header) ? Number(header) : undefined;
    const file = fileOf(url);
    let loaded = 0;
    const report = (done: boolean) => {
      try {
        callback({ file, url, loaded, total, done });
      } catch {
        // The callback is the caller's display; its failure is not the download's.
      }
    };
    const counted = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          loaded += chunk.byteLength;
          controller.enqueue(chunk);
          report(false);
        },
        flush() {
          report(true);
        },
      }),
    );
    return new Response(counted, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

/**
 * A reporter for one file read piece by piece (local folders, the cache): call it with the bytes
 * read so far; the last call passes `done`. A throwing callback never breaks the read.
 */
export function readProgress(callback: ProgressCallback, file: string, url: string): (loaded: number, total: number, done: boolean) => void {
  return (loaded, total, done) => {
    try {
      callback({ file, url, loaded, total, done });
    } catch {
      // The callback is the caller's display; its failure is not the read's.
    }
  };
}
