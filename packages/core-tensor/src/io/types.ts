/** Where checkpoint files come from. Types only. */
import type { ProgressCallback } from '../download-progress.js';

export interface SourceOptions {
  /**
   * Base URL of a Hugging Face–style hub for `org/name` ids: files are read from
   * `${remoteHost}/${id}/resolve/${revision}/${file}`. Default `https://huggingface.co`.
   */
  remoteHost?: string;
  /** Branch, tag or commit for hub ids (default `main`). */
  revision?: string;
  /**
   * Where downloaded files (hub ids and URLs) are cached: a directory in Node (default
   * `settings.cacheDir`, then `TFKIT_CACHE`, then `~/.cache/tfkit`), the Cache API in browsers.
   * `false` disables caching.
   */
  cacheDir?: string | false;
  /** Never touch the network; hub ids must be in the cache. */
  localFilesOnly?: boolean;
  /** The fetch implementation (defaults to the global one). */
  fetch?: typeof fetch;
  /** Extra headers for remote requests (e.g. Authorization). */
  headers?: Record<string, string>;
  /**
   * Access token for private or gated hub repositories, sent to the hub host only as
   * `Authorization: Bearer <token>` (default: `settings.token`, then `HF_TOKEN` in Node).
   */
  token?: string;
  /**
   * Called as files are read — `{ file, url, loaded, total, done }`: as downloads stream (hub ids,
   * URLs), and per 16 MiB read from a local folder or the cache (`url` is then the file's path).
   * Default: `settings.onProgress`.
   */
  onProgress?: ProgressCallback;
  /**
   * Cancels the downloads and reads of this source: the pending call rejects with a
   * `SourceAbortedError`, and a partial download never enters the cache.
   */
  signal?: AbortSignal;
  /**
   * Milliseconds a download may go without progress: waiting for the response, then for each
   * next 64 KiB of the body (or its end). Default 30 000, so a dead or dripping server (slower
   * than about 2 KiB/s) fails with a `SourceTimeoutError` instead of hanging.
   */
  stallTimeout?: number;
  /** Milliseconds one file's download may take in all. Default: no limit (the stall timeout still applies). */
  timeout?: number;
  /**
   * Largest file read by `read` (weights): bytes, or a string such as "500MB" or "2GiB".
   * Default 4 GiB. A larger announced `Content-Length` is refused before any byte is read; a
   * body that streams past the limit is stopped. A `FileTooLargeError` names the file and the limit.
   */
  maxFileSize?: number | string;
  /** Largest file read by `readText` / `readJson` (config, tokenizer and index files). Default 64 MiB. */
  maxTextSize?: number | string;
}

/** A set of named files: a local directory, a URL prefix, or a hub repository. */
export interface FileSource {
  /** What the source is (a path, URL or id), used in error messages. */
  readonly description: string;
  /**
   * How error messages name one of its files: `${description}/${name}` by default; a hub source
   * with a cache names the cached copy's path, so the user knows what to delete. See `fileLabel`.
   */
  describeFile?(name: string): string;
  /** Whether `name` exists in the source. */
  exists(name: string): Promise<boolean>;
  /** The file's bytes; a `CheckpointError` naming the file when it is missing or unreadable. */
  read(name: string): Promise<Uint8Array>;
  readText(name: string): Promise<string>;
  /** The file parsed as JSON; a `CheckpointError` naming the file on bad JSON. */
  readJson<T = unknown>(name: string): Promise<T>;
  /**
   * Opens the file for reads of byte ranges, so a loader holds one piece of it at a time (the
   * checkpoint loader reads a safetensors header, then one tensor at a time) instead of the whole
   * file; undefined when this source cannot (remote files, browsers): the loader then calls `read`.
   * The same errors and `maxFileSize` limit as `read`. Optional.
   */
  openRanged?(name: string): Promise<RangedFile | undefined>;
}

/** A file open for ranged reads (`FileSource.openRanged`). */
export interface RangedFile {
  /** The file's size in bytes. */
  readonly size: number;
  /**
   * `length` bytes from `position`, in a new buffer of their own (byte offset 0). A range past
   * the end, a file that shrank, an I/O failure or an abort is a typed error naming the file.
   */
  read(position: number, length: number): Promise<Uint8Array>;
  /** Releases the file; call it once done, also after a failure. */
  close(): Promise<void>;
}
