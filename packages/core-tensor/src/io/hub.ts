/**
 * Hugging Face–style hub repositories: `${remoteHost}/${id}/resolve/${revision}/${file}`, cached
 * in a directory (Node) or the Cache API (browsers).
 *
 * Ids, revisions and file names are checked against the hub's rules before any I/O, and every
 * cache path is checked to stay inside the cache root. A download enters the cache only once it
 * is complete and verified (length against Content-Length, a safetensors header consistent with
 * the file's size, JSON that parses); in Node it streams to a temporary file that is renamed into
 * place, so a partial or bad download is never mistaken for a cached file.
 */
import type * as FsPromises from 'node:fs/promises';
import { readProgress } from '../download-progress.js';
import { CheckpointError, ConfigError, FileTooLargeError, TfkitError, UnsafePathError } from '../errors.js';
import { checkSafetensorsHeader, safetensorsHeaderLength } from '../safetensors/format.js';
import { MemorySink, type ByteSink } from './download.js';
import { importNodeBuiltin, isNode, nodeModules, writeFileAtomic } from './fs.js';
import { parseJsonText } from './json.js';
import { formatBytes } from './limits.js';
import { isInside, openFileBounded, readFileBounded } from './local.js';
import { UrlSource } from './remote.js';
import { checkName } from './source-base.js';
import type { RangedFile, SourceOptions } from './types.js';

/** The hub's repo-id rule (huggingface_hub `validate_repo_id`): `name` or `org/name`, ≤ 96 characters. */
const SEGMENT = '[A-Za-z0-9_](?:[\\w.-]*[A-Za-z0-9_])?';
const HUB_ID = new RegExp(`^(?:${SEGMENT}/)?${SEGMENT}$`);

/** Why `id` is not a hub repository id, or undefined when it is one. */
export function hubIdProblem(id: string): string | undefined {
  if (id.length > 96) return 'longer than 96 characters';
  if (id.includes('--') || id.includes('..')) return 'contains "--" or ".."';
  if (id.endsWith('.git')) return 'ends with ".git"';
  if (!HUB_ID.test(id)) return 'not "name" or "org/name" of letters, digits, "-", "_" and "." (starting and ending with a letter or digit)';
  return undefined;
}

/**
 * Checks a revision (branch, tag, `refs/pr/N` or commit hash) against git's ref-name rules,
 * which also keep it from naming a path: no `..`, no segment starting with `.`, no backslash,
 * control character or empty segment.
 */
export function checkRevision(revision: string): string {
  const fail = (why: string) => new UnsafePathError(`revision ${JSON.stringify(revision)} is not a valid branch, tag or commit name: ${why}`, String(revision));
  if (typeof revision !== 'string' || revision.length === 0) throw fail('it must be a non-empty string');
  if (revision.length > 255) throw fail('longer than 255 characters');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f~^:?*[\\]/.test(revision)) throw fail('it contains a space, control character or one of ~ ^ : ? * [ \\');
  if (revision.includes('..') || revision.includes('@{') || revision === '@') throw fail('it contains ".." or "@{", or is "@"');
  if (revision.split('/').some((s) => s === '' || s.startsWith('.') || s.endsWith('.lock')) || revision.endsWith('.')) {
    throw fail('it has an empty segment, a segment starting with "." or ending with ".lock", or ends with "."');
  }
  return revision;
}

/** Where a hub repository's files are cached. */
interface HubCache {
  /** Where the files are, for messages. */
  readonly where: string;
  /** How errors name a cached file. */
  label(name: string): string;
  has(name: string): Promise<boolean>;
  get(name: string, maxBytes: number, limit: string): Promise<Uint8Array | undefined>;
  /** The cached file for ranged reads (Node), undefined when it is not cached; `report` false: no read progress. */
  open?(name: string, maxBytes: number, limit: string, report?: boolean): Promise<RangedFile | undefined>;
  /**
   * Downloads `name` through `fill`, verifies it, stores it and returns its bytes; undefined when
   * the cache cannot be written (the caller downloads without caching).
   */
  store(name: string, maxBytes: number, limit: string, fill: (sink: ByteSink) => Promise<number>, source: string): Promise<Uint8Array | undefined>;
  /**
   * Downloads `name` through `fill` into the cache and verifies it, as `store` does, without
   * reading it back (Node: then read it by range with `open`); false when the cache cannot be
   * written, in which case nothing was downloaded.
   */
  save?(name: string, fill: (sink: ByteSink) => Promise<number>, source: string): Promise<boolean>;
  /** Remembers that `name` does not exist at this revision (best effort). */
  markAbsent(name: string): Promise<void>;
}

/** Reads `length` bytes at `offset` of a downloaded file. */
type ReadAt = (offset: number, length: number) => Promise<Uint8Array>;

/**
 * Checks a complete download before it is cached: safetensors files must have a header consistent
 * with their size, JSON files must parse. Returns the whole file when it had to be read.
 */
async function verifyDownload(name: string, size: number, read: ReadAt, label: string): Promise<Uint8Array | undefined> {
  if (name.endsWith('.safetensors')) {
    const headerLength = safetensorsHeaderLength(await read(0, Math.min(8, size)), size, label);
    checkSafetensorsHeader(await read(8, headerLength), size - 8 - headerLength, label);
    return undefined;
  }
  if (name.endsWith('.json')) {
    const bytes = await read(0, size);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new CheckpointError(`${label}: not valid UTF-8 text`);
    }
    parseJsonText(text, (where) => new CheckpointError(`${label}: not valid JSON (${where})`));
    return bytes;
  }
  return undefined;
}

/** `host` as one plain folder name (hosts such as ".." are possible in a URL). */
const hostFolder = (host: string) => host.replace(/[^\w.-]/g, '_').replace(/^\./, '_');

/** A cache folder `<cacheDir>/<...parts>`; `what(name)` says in messages what a cached file is. */
async function nodeCache(options: SourceOptions, parts: readonly string[], what: (name: string) => string): Promise<HubCache> {
  const { fs, path } = await nodeModules('the hub cache');
  const os = await importNodeBuiltin('node:os');
  const root = path.resolve(options.cacheDir || path.join(os.homedir(), '.cache', 'tfkit'));
  const dir = path.join(root, ...parts);
  if (!isInside(path, root, dir) || dir === root) throw new UnsafePathError(`${dir} would lie outside the cache ${root}`, dir);
  const fileOf = (name: string) => {
    const file = path.join(dir, name);
    if (!isInside(path, dir, file) || file === dir) throw new UnsafePathError(`${file} would lie outside the cache ${root}`, file);
    return file;
  };
  const label = (name: string) => `${fileOf(name)} (${what(name)}; delete it to download again)`;
  /**
   * Streams a download into a temporary file, verifies it and renames it into place: undefined when
   * the cache cannot be written (before anything is downloaded), else the whole file when the
   * check had to read it (JSON).
   */
  const save = async (name: string, fill: (sink: ByteSink) => Promise<number>, source: string): Promise<{ whole: Uint8Array | undefined } | undefined> => {
    const file = fileOf(name);
    const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`);
    let handle: FsPromises.FileHandle | undefined;
    try {
      await fs.mkdir(path.dirname(file), { recursive: true });
      handle = await fs.open(temp, 'wx+');
    } catch {
      return undefined; // a read-only or missing cache costs a later download, not this load
    }
    try {
      const open = handle;
      const size = await fill({
        async write(chunk) {
          try {
            for (let done = 0; done < chunk.byteLength; ) done += (await open.write(chunk, done, chunk.byteLength - done)).bytesWritten;
          } catch (error) {
            throw new CheckpointError(`could not write the cache file ${temp}: ${(error as Error).message}. Free disk space, or pass another cacheDir (or false)`, { cause: error });
          }
        },
      });
      await handle.sync();
      const readAt: ReadAt = async (offset, length) => {
        const buffer = new Uint8Array(length);
        const { bytesRead } = await open.read(buffer, 0, length, offset);
        return buffer.subarray(0, bytesRead);
      };
      const whole = await verifyDownload(name, size, readAt, `${source} (download; not cached)`);
      await handle.close();
      handle = undefined;
      await fs.rename(temp, file);
      return { whole };
    } finally {
      await handle?.close().catch(() => undefined);
      await fs.rm(temp, { force: true }).catch(() => undefined);
    }
  };
  return {
    where: dir,
    label,
    has: (name) =>
      fs.stat(fileOf(name)).then(
        (s) => s.isFile(),
        () => false,
      ),
    get: (name, maxBytes, limit) =>
      readFileBounded(fs, fileOf(name), { maxBytes, limit, signal: options.signal, label: label(name), progress: options.onProgress && readProgress(options.onProgress, name, fileOf(name)) }),
    open: (name, maxBytes, limit, report = true) =>
      openFileBounded(fs, fileOf(name), { maxBytes, limit, signal: options.signal, label: label(name), progress: report && options.onProgress ? readProgress(options.onProgress, name, fileOf(name)) : undefined }),
    async store(name, maxBytes, limit, fill, source) {
      const saved = await save(name, fill, source);
      if (!saved) return undefined;
      return saved.whole ?? (await readFileBounded(fs, fileOf(name), { maxBytes, limit, signal: options.signal, label: label(name) }));
    },
    save: async (name, fill, source) => (await save(name, fill, source)) !== undefined,
    async markAbsent(name) {
      const marker = fileOf(`.no_exist/${name}`);
      await fs
        .mkdir(path.dirname(marker), { recursive: true })
        .then(() => writeFileAtomic(marker, new Uint8Array(0)))
        .catch(() => undefined);
    },
  };
}

function browserCache(urlOf: (name: string) => string): HubCache | undefined {
  if (typeof caches === 'undefined') return undefined;
  const open = () => caches.open('tfkit');
  return {
    where: 'the browser Cache API ("tfkit")',
    label: (name) => `${urlOf(name)} (in the browser Cache API "tfkit"; delete it to download again)`,
    async has(name) {
      return (await (await open()).match(urlOf(name))) !== undefined;
    },
    async get(name, maxBytes, limit) {
      const response = await (await open()).match(urlOf(name));
      const bytes = response ? new Uint8Array(await response.arrayBuffer()) : undefined;
      if (bytes && bytes.byteLength > maxBytes) {
        throw new FileTooLargeError(`${urlOf(name)} (cached): ${bytes.byteLength} bytes is over the ${limit} limit of ${formatBytes(maxBytes)}`, { file: urlOf(name), limit: maxBytes, size: bytes.byteLength });
      }
      return bytes;
    },
    async store(name, _maxBytes, _limit, fill, source) {
      const sink = new MemorySink();
      const size = await fill(sink);
      const bytes = sink.bytes();
      await verifyDownload(name, size, async (offset, length) => bytes.subarray(offset, offset + length), `${source} (download; not cached)`);
      await (await open()).put(urlOf(name), new Response(bytes as Uint8Array<ArrayBuffer>)).catch(() => undefined);
      return bytes;
    },
    async markAbsent(name) {
      await (await open()).put(urlOf(`.no_exist/${name}`), new Response(new Uint8Array(0))).catch(() => undefined);
    },
  };
}

/** A Hugging Face–style repository: `${remoteHost}/${id}/resolve/${revision}/${file}`, cached. */
class HubSource extends UrlSource {
  private readonly cache: HubCache | undefined;
  private readonly localFilesOnly: boolean;

  constructor(id: string, options: SourceOptions, cache: HubCache | undefined, base: string) {
    super(base, options, id);
    this.cache = cache;
    this.localFilesOnly = options.localFilesOnly ?? false;
  }

  override describeFile(name: string): string {
    return this.cache ? this.cache.label(checkName(name, this.description)) : super.describeFile(name);
  }

  override async exists(name: string): Promise<boolean> {
    if (await this.cache?.has(checkName(name, this.description))) return true;
    // A file known to be absent at this revision (optional ones such as generation_config.json)
    // is remembered, so a cached checkpoint loads without the network.
    if (this.localFilesOnly || (await this.cache?.has(`.no_exist/${name}`))) return false;
    const found = await super.exists(name);
    if (!found) await this.cache?.markAbsent(name);
    return found;
  }

  /**
   * The cached file for ranged reads (Node), downloaded into the cache first when it is not there
   * (streamed to disk and verified, never held whole). Undefined where files are read whole: in
   * browsers, without a cache, or when the cache cannot be written (`read` then downloads).
   */
  async openRanged(name: string): Promise<RangedFile | undefined> {
    const cache = this.cache;
    if (!cache?.open) return undefined;
    const max = this.limits.maxFileSize;
    const hit = await cache.open(checkName(name, this.description), max, 'maxFileSize');
    if (hit || this.localFilesOnly || !cache.save) return hit; // localFilesOnly: `read` says the file is not cached
    const saved = await cache.save(name, (sink) => this.download(name, max, 'maxFileSize', sink), this.url(name));
    // The download reported its progress; reading the new cache file back does not again.
    return saved ? cache.open(name, max, 'maxFileSize', false) : undefined;
  }

  protected override async readBytes(name: string, maxBytes: number, limit: string): Promise<Uint8Array> {
    const hit = await this.cache?.get(checkName(name, this.description), maxBytes, limit);
    if (hit) return hit;
    if (this.localFilesOnly) {
      throw this.missing(name, ` in ${this.cache ? this.cache.where : 'any cache (caching is off)'} and localFilesOnly forbids downloading it`);
    }
    const stored = await this.cache?.store(name, maxBytes, limit, (sink) => this.download(name, maxBytes, limit, sink), this.url(name));
    return stored ?? (await super.readBytes(name, maxBytes, limit));
  }
}

/** A hub id as a source; the id itself is checked by the caller (`hubIdProblem`). */
export async function hubSource(id: string, options: SourceOptions): Promise<UrlSource> {
  let host: URL;
  try {
    host = new URL(options.remoteHost ?? 'https://huggingface.co');
    if (host.protocol !== 'http:' && host.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new ConfigError(`remoteHost must be an http(s) URL such as "https://huggingface.co", got ${JSON.stringify(options.remoteHost)}`);
  }
  const revision = checkRevision(options.revision ?? 'main');
  const base = `${host.href.replace(/\/+$/, '')}/${id}/resolve/${encodeURIComponent(revision)}`;
  let cache: HubCache | undefined;
  if (options.cacheDir !== false) {
    try {
      cache = isNode
        ? await nodeCache(options, [hostFolder(host.host), ...id.split('/'), encodeURIComponent(revision)], (name) => `cached ${id}/${name} at revision ${revision}`)
        : browserCache((name) => `${base}/${name}`);
    } catch (error) {
      if (error instanceof TfkitError) throw error;
      throw new CheckpointError(`${id}: cannot use the cache: ${(error as Error).message}`, { cause: error });
    }
  }
  return new HubSource(id, options, cache, base);
}

/**
 * A plain URL prefix as a source. Its downloads are cached and verified as hub files are, under
 * `<cacheDir>/@url/<host>/<path>/` (the Cache API in browsers); `localFilesOnly` reads the cache
 * only. A URL with a query or fragment, or `cacheDir: false`, is not cached.
 */
export async function urlSource(base: string, options: SourceOptions, description = base): Promise<UrlSource> {
  const url = new URL(base);
  const href = url.href.replace(/\/+$/, '');
  let cache: HubCache | undefined;
  if (options.cacheDir !== false && !url.search && !url.hash) {
    const segments = url.pathname.split('/').filter(Boolean).map((s) => (s === '.' || s === '..' ? '_' : s.replace(/[^\w.%-]/g, '_')));
    try {
      // "@url" can be no host's folder (hostFolder keeps [\w.-] only), so URLs never meet hub repositories.
      cache = isNode ? await nodeCache(options, ['@url', hostFolder(url.host), ...segments], (name) => `cached ${href}/${name}`) : browserCache((name) => `${href}/${name}`);
    } catch (error) {
      if (error instanceof TfkitError) throw error;
      throw new CheckpointError(`${description}: cannot use the cache: ${(error as Error).message}`, { cause: error });
    }
  }
  return new HubSource(description, options, cache, base);
}
