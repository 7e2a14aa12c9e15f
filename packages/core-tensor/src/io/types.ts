/** Where checkpoint files come from. Types only. */

export interface SourceOptions {
  /**
   * Base URL of a Hugging Face–style hub for `org/name` ids: files are read from
   * `${remoteHost}/${id}/resolve/${revision}/${file}`. Default `https://huggingface.co`.
   */
  remoteHost?: string;
  /** Branch, tag or commit for hub ids (default `main`). */
  revision?: string;
  /**
   * Where downloaded hub files are cached: a directory in Node (default `~/.cache/tfkit`),
   * the Cache API in browsers. `false` disables caching.
   */
  cacheDir?: string | false;
  /** Never touch the network; hub ids must be in the cache. */
  localFilesOnly?: boolean;
  /** The fetch implementation (defaults to the global one). */
  fetch?: typeof fetch;
  /** Extra headers for remote requests (e.g. Authorization). */
  headers?: Record<string, string>;
}

/** A set of named files: a local directory, a URL prefix, or a hub repository. */
export interface FileSource {
  /** What the source is (a path, URL or id), used in error messages. */
  readonly description: string;
  /** Whether `name` exists in the source. */
  exists(name: string): Promise<boolean>;
  /** The file's bytes; a `CheckpointError` naming the file when it is missing or unreadable. */
  read(name: string): Promise<Uint8Array>;
  readText(name: string): Promise<string>;
  /** The file parsed as JSON; a `CheckpointError` naming the file on bad JSON. */
  readJson<T = unknown>(name: string): Promise<T>;
}
