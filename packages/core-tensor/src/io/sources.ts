/**
 * Where checkpoint files come from: a local directory (Node), a URL prefix (fetch; Node or
 * browser), or a hub repository id (`org/name`) resolved against a Hugging Face–style host and
 * cached locally. The network is used only when the caller names a URL or a hub id: a path that
 * exists locally is always read locally.
 */
import type * as FsPromises from 'node:fs/promises';
import { CheckpointError } from '../errors.js';
import { isNode, nodeModules, writeFileAtomic } from './fs.js';
import type { FileSource, SourceOptions } from './types.js';

const HUB_ID = /^[\w][\w.-]{0,95}(\/[\w][\w.-]{0,95})?$/;

/** Rejects names that would escape the source (`../x`, absolute paths, `a//b`) before any I/O. */
function checkName(name: string, description: string): string {
  const segments = name.split('/');
  if (!name || name.includes('\\') || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new CheckpointError(`${description}: invalid file name "${name}" (relative names without "." or ".." segments only)`);
  }
  return name;
}

abstract class BaseSource implements FileSource {
  readonly description: string;

  constructor(description: string) {
    this.description = description;
  }

  abstract exists(name: string): Promise<boolean>;
  abstract read(name: string): Promise<Uint8Array>;

  async readText(name: string): Promise<string> {
    const bytes = await this.read(name);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch (error) {
      throw new CheckpointError(`${this.description}/${name}: not valid UTF-8 text`, { cause: error });
    }
  }

  async readJson<T = unknown>(name: string): Promise<T> {
    const text = await this.readText(name);
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new CheckpointError(`${this.description}/${name}: not valid JSON (${(error as Error).message})`, { cause: error });
    }
  }

  protected missing(name: string, detail = ''): CheckpointError {
    return new CheckpointError(`${this.description}: file "${name}" not found${detail}`);
  }
}

/** A directory on the local file system (Node). */
class LocalSource extends BaseSource {
  private readonly dir: string;

  constructor(dir: string) {
    super(dir);
    this.dir = dir;
  }

  private async locate(name: string) {
    const { fs, path } = await nodeModules(`reading ${this.description}`);
    return { fs, file: path.join(this.dir, checkName(name, this.description)) };
  }

  async exists(name: string): Promise<boolean> {
    const { fs, file } = await this.locate(name);
    const stat = await statOrUndefined(fs, file, this.description);
    return stat?.isFile() ?? false;
  }

  async read(name: string): Promise<Uint8Array> {
    const { fs, file } = await this.locate(name);
    try {
      const buffer = await fs.readFile(file);
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw this.missing(name);
      throw new CheckpointError(`${this.description}: could not read "${name}": ${(error as Error).message}`, { cause: error });
    }
  }
}

/** Files under a URL prefix, read with fetch. */
class UrlSource extends BaseSource {
  protected readonly base: string;
  private readonly fetch: typeof fetch;
  private readonly headers: Record<string, string>;

  constructor(base: string, options: SourceOptions, description = base) {
    super(description);
    this.base = base.replace(/\/+$/, '');
    this.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.headers = options.headers ?? {};
  }

  protected url(name: string): string {
    return `${this.base}/${checkName(name, this.description).split('/').map(encodeURIComponent).join('/')}`;
  }

  private async request(name: string, method: 'GET' | 'HEAD'): Promise<Response> {
    const url = this.url(name);
    try {
      return await this.fetch(url, { method, headers: this.headers });
    } catch (error) {
      throw new CheckpointError(`${this.description}: could not fetch "${name}" from ${url}: ${(error as Error).message}`, { cause: error });
    }
  }

  private statusError(name: string, response: Response): CheckpointError {
    const hint = response.status === 401 || response.status === 403 ? ' (a private or gated repository? pass headers: { Authorization: "Bearer <token>" })' : '';
    return new CheckpointError(`${this.description}: HTTP ${response.status} ${response.statusText} for "${name}" (${this.url(name)})${hint}`);
  }

  async exists(name: string): Promise<boolean> {
    let response = await this.request(name, 'HEAD');
    if (response.status === 405 || response.status === 501) response = await this.request(name, 'GET'); // no HEAD support
    await response.body?.cancel();
    if (response.ok) return true;
    if (response.status === 404) return false;
    throw this.statusError(name, response);
  }

  async read(name: string): Promise<Uint8Array> {
    const response = await this.request(name, 'GET');
    if (response.status === 404) {
      await response.body?.cancel();
      throw this.missing(name, ` at ${this.url(name)}`);
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw this.statusError(name, response);
    }
    return new Uint8Array(await response.arrayBuffer());
  }
}

/** Where a hub repository's files are cached: a directory (Node), the Cache API (browser), or nowhere. */
interface HubCache {
  readonly where: string;
  has(name: string): Promise<boolean>;
  get(name: string): Promise<Uint8Array | undefined>;
  put(name: string, bytes: Uint8Array): Promise<void>;
}

async function nodeCache(root: string | undefined, host: string, id: string, revision: string): Promise<HubCache> {
  const { fs, path } = await nodeModules('the hub cache');
  const os = await import('node:os');
  const dir = path.join(root ?? path.join(os.homedir(), '.cache', 'tfkit'), host.replace(/[^\w.-]/g, '_'), ...id.split('/'), encodeURIComponent(revision));
  return {
    where: dir,
    has: (name) =>
      fs.stat(path.join(dir, name)).then(
        (s) => s.isFile(),
        () => false,
      ),
    get: (name) =>
      fs.readFile(path.join(dir, name)).then(
        (b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength),
        () => undefined,
      ),
    async put(name, bytes) {
      const file = path.join(dir, name);
      await fs.mkdir(path.dirname(file), { recursive: true });
      await writeFileAtomic(file, bytes);
    },
  };
}

function browserCache(urlOf: (name: string) => string): HubCache | undefined {
  if (typeof caches === 'undefined') return undefined;
  return {
    where: 'the browser Cache API ("tfkit")',
    async has(name) {
      return (await (await caches.open('tfkit')).match(urlOf(name))) !== undefined;
    },
    async get(name) {
      const response = await (await caches.open('tfkit')).match(urlOf(name));
      return response ? new Uint8Array(await response.arrayBuffer()) : undefined;
    },
    async put(name, bytes) {
      await (await caches.open('tfkit')).put(urlOf(name), new Response(bytes as Uint8Array<ArrayBuffer>));
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

  override async exists(name: string): Promise<boolean> {
    if (await this.cache?.has(checkName(name, this.description))) return true;
    // A file known to be absent at this revision (optional ones such as generation_config.json)
    // is remembered, so a cached checkpoint loads without the network.
    const marker = `.no_exist/${name}`;
    if (this.localFilesOnly || (await this.cache?.has(marker))) return false;
    const found = await super.exists(name);
    if (!found) await this.cache?.put(marker, new Uint8Array(0)).catch(() => undefined);
    return found;
  }

  override async read(name: string): Promise<Uint8Array> {
    const hit = await this.cache?.get(checkName(name, this.description));
    if (hit) return hit;
    if (this.localFilesOnly) {
      throw this.missing(name, ` in ${this.cache ? this.cache.where : 'any cache (caching is off)'} and localFilesOnly forbids downloading it`);
    }
    const bytes = await super.read(name);
    // A cache that cannot be written (read-only home, storage quota) costs a later download, not this load.
    await this.cache?.put(name, bytes).catch(() => undefined);
    return bytes;
  }
}

/** `fs.stat`, or undefined when nothing is there; other failures (permissions, I/O) are errors. */
async function statOrUndefined(fs: typeof FsPromises, file: string, where: string) {
  try {
    return await fs.stat(file);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new CheckpointError(`${where}: cannot access ${file}: ${(error as Error).message}`, { cause: error });
  }
}

async function localDirectory(dir: string): Promise<FileSource | undefined> {
  const { fs } = await nodeModules(`reading ${dir}`);
  const stat = await statOrUndefined(fs, dir, dir);
  if (!stat) return undefined;
  if (!stat.isDirectory()) throw new CheckpointError(`${dir} is a file; a checkpoint source is a directory holding config.json and the weights`);
  return new LocalSource(dir);
}

/**
 * Opens a set of checkpoint files: an existing local directory (Node), an `http(s)://` URL prefix,
 * a `file://` URL, or a hub id `org/name` (also `name`) read from
 * `${remoteHost}/${id}/resolve/${revision}/…` and cached. A `FileSource` is returned as is.
 */
export async function openSource(source: string | FileSource, options: SourceOptions = {}): Promise<FileSource> {
  if (typeof source !== 'string') return source;
  if (/^https?:\/\//i.test(source)) return new UrlSource(source, options);
  if (/^file:\/\//i.test(source)) {
    const { fileURLToPath } = await import('node:url');
    const dir = fileURLToPath(source);
    const local = await localDirectory(dir);
    if (!local) throw new CheckpointError(`${source}: no such directory`);
    return local;
  }
  if (isNode) {
    const local = await localDirectory(source);
    if (local) return local;
  } else if (/^\.{0,2}\//.test(source)) {
    // In a page, a path is relative to the page's URL.
    return new UrlSource(new URL(source, globalThis.location?.href).href, options, source);
  }
  if (!HUB_ID.test(source) || source.includes('..')) {
    throw new CheckpointError(`${source}: not an existing directory, an http(s) URL, nor a hub id like "org/name"`);
  }
  const host = (options.remoteHost ?? 'https://huggingface.co').replace(/\/+$/, '');
  const revision = options.revision ?? 'main';
  const base = `${host}/${source}/resolve/${encodeURIComponent(revision)}`;
  let cache: HubCache | undefined;
  if (options.cacheDir !== false) {
    cache = isNode ? await nodeCache(options.cacheDir, new URL(host).host, source, revision) : browserCache((name) => `${base}/${name}`);
  }
  return new HubSource(source, options, cache, base);
}
