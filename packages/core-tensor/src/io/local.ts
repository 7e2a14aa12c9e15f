/**
 * A checkpoint directory on the local file system (Node), and the bounded file reader the hub
 * cache shares.
 *
 * Symbolic links: a link inside the folder is followed only when its target (after every link on
 * the way) is inside the folder too, or — for a Hugging Face cache snapshot
 * (`…/models--org--name/snapshots/<commit>/`, whose files link to `../../blobs/<hash>`) — inside
 * that repository's `blobs/` folder. Any other link is an `UnsafePathError` naming the link and
 * its target, read from no further. The folder itself may be reached through links.
 */
import type * as FsPromises from 'node:fs/promises';
import type * as NodePath from 'node:path';
import { readProgress } from '../download-progress.js';
import { CheckpointError, FileTooLargeError, SourceAbortedError, TfkitError, UnsafePathError } from '../errors.js';
import { nodeModules } from './fs.js';
import { formatBytes } from './limits.js';
import { BaseSource, checkName } from './source-base.js';
import type { RangedFile, SourceOptions } from './types.js';

/** Bytes per read call: large files are read in pieces (no 2 GiB `readFile` limit; aborts land in between). */
const CHUNK = 16 * 2 ** 20;

const isMissing = (error: unknown) => ['ENOENT', 'ENOTDIR'].includes((error as { code?: string }).code ?? '');

export interface BoundedRead {
  maxBytes: number;
  /** The option that sets `maxBytes`, for errors. */
  limit: string;
  signal: AbortSignal | undefined;
  /** How errors name the file. */
  label: string;
  /** Called after each piece read (bytes so far, size, whether the read is complete). */
  progress?: ((loaded: number, total: number, done: boolean) => void) | undefined;
}

/** Opens a regular file after checking its size; the caller closes the handle. */
async function openChecked(fs: typeof FsPromises, file: string, { maxBytes, limit, label }: BoundedRead): Promise<{ handle: FsPromises.FileHandle; size: number }> {
  // stat before open: opening a FIFO for reading would block until a writer comes.
  if (!(await fs.stat(file)).isFile()) throw new CheckpointError(`${label}: not a regular file`);
  const handle = await fs.open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size > maxBytes) {
      throw new FileTooLargeError(`${label}: ${size} bytes${size >= 1024 ? ` (${formatBytes(size)})` : ''} is over the ${limit} limit of ${formatBytes(maxBytes)}; pass a larger ${limit} if the file is expected.`, {
        file: label,
        limit: maxBytes,
        size,
      });
    }
    return { handle, size };
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}

/** An I/O failure as a typed error naming the file (typed errors pass through). */
function readFailure(error: unknown, label: string): TfkitError {
  if (error instanceof TfkitError) return error;
  return new CheckpointError(`${label}: could not read: ${(error as Error).message}`, { cause: error });
}

/**
 * Fills `bytes` from `position` of the file, in pieces of at most CHUNK bytes (aborts land in
 * between); `counted` is called with each piece's length.
 */
async function readInto(handle: FsPromises.FileHandle, bytes: Uint8Array, position: number, size: number, { signal, label }: BoundedRead, counted: (n: number) => void): Promise<void> {
  for (let done = 0; done < bytes.length; ) {
    if (signal?.aborted) throw new SourceAbortedError(`${label}: aborted by the caller's signal`, { url: label, cause: signal.reason });
    const { bytesRead } = await handle.read(bytes, done, Math.min(CHUNK, bytes.length - done), position + done);
    if (bytesRead === 0) throw new CheckpointError(`${label}: the file shrank from ${size} to ${position + done} bytes while being read`);
    done += bytesRead;
    counted(bytesRead);
  }
}

/**
 * A regular file's bytes, or undefined when it does not exist. A directory, FIFO or device, a
 * file over `maxBytes`, an abort, or an I/O failure is a typed error naming `label`.
 */
export async function readFileBounded(fs: typeof FsPromises, file: string, read: BoundedRead): Promise<Uint8Array | undefined> {
  const { signal, label, progress } = read;
  if (signal?.aborted) throw new SourceAbortedError(`${label}: aborted by the caller's signal`, { url: label, cause: signal.reason });
  let handle: FsPromises.FileHandle | undefined;
  try {
    const opened = await openChecked(fs, file, read);
    handle = opened.handle;
    const { size } = opened;
    const bytes = new Uint8Array(size);
    let position = 0;
    await readInto(handle, bytes, 0, size, read, (n) => {
      position += n;
      progress?.(position, size, position === size);
    });
    if (size === 0) progress?.(0, 0, true);
    return bytes;
  } catch (error) {
    if (!(error instanceof TfkitError) && isMissing(error)) return undefined;
    throw readFailure(error, label);
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * A regular file opened for ranged reads (see `RangedFile`), or undefined when it does not exist:
 * the checks of `readFileBounded` (a regular file within `maxBytes`), each read in pieces of 16 MiB
 * that an abort can stop, and `progress` reported per 16 MiB read in all and once every byte of
 * the file has been read.
 */
export async function openFileBounded(fs: typeof FsPromises, file: string, read: BoundedRead): Promise<RangedFile | undefined> {
  const { signal, label, progress } = read;
  if (signal?.aborted) throw new SourceAbortedError(`${label}: aborted by the caller's signal`, { url: label, cause: signal.reason });
  let opened: { handle: FsPromises.FileHandle; size: number };
  try {
    opened = await openChecked(fs, file, read);
  } catch (error) {
    if (!(error instanceof TfkitError) && isMissing(error)) return undefined;
    throw readFailure(error, label);
  }
  const { handle, size } = opened;
  let loaded = 0;
  let reported = 0;
  let closed = false;
  return {
    size,
    async read(position, length) {
      if (!(Number.isSafeInteger(position) && Number.isSafeInteger(length) && position >= 0 && length >= 0 && position + length <= size)) {
        throw new CheckpointError(`${label}: cannot read ${length} bytes at ${position}: the file is ${size} bytes`);
      }
      if (closed) throw new CheckpointError(`${label}: read after the file was closed`);
      const bytes = new Uint8Array(length);
      try {
        await readInto(handle, bytes, position, size, read, (n) => {
          loaded += n;
          if (progress && (loaded - reported >= CHUNK || (loaded >= size && reported < size))) {
            reported = Math.min(loaded, size);
            progress(reported, size, reported === size);
          }
        });
      } catch (error) {
        throw readFailure(error, label);
      }
      return bytes;
    },
    async close() {
      if (closed) return;
      closed = true;
      await handle.close().catch(() => undefined);
    },
  };
}

/** Whether `file` is `root` or inside it (both absolute, resolved). */
export function isInside(path: typeof NodePath, root: string, file: string): boolean {
  const relative = path.relative(root, file);
  return relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}

/** `fs.stat`, or undefined when nothing is there; other failures (permissions, I/O) are errors. */
async function statOrUndefined(fs: typeof FsPromises, file: string) {
  try {
    return await fs.stat(file);
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw new CheckpointError(`${file}: cannot access: ${(error as Error).message}`, { cause: error });
  }
}

export class LocalSource extends BaseSource {
  private readonly dir: string;
  /** Real paths that link targets may lie in. */
  private readonly roots: readonly string[];

  private readonly onProgress: SourceOptions['onProgress'];

  private constructor(dir: string, roots: readonly string[], options: SourceOptions) {
    super(dir, options);
    this.dir = dir;
    this.roots = roots;
    this.onProgress = options.onProgress;
  }

  /** The directory as a source, undefined when nothing is there, an error when it is a file. */
  static async open(dir: string, options: SourceOptions): Promise<LocalSource | undefined> {
    const { fs, path } = await nodeModules(`reading ${dir}`);
    const stat = await statOrUndefined(fs, dir);
    if (!stat) return undefined;
    if (!stat.isDirectory()) throw new CheckpointError(`${dir} is a file; a checkpoint source is a directory holding config.json and the weights`);
    const real = await fs.realpath(dir);
    const roots = [real];
    const snapshots = path.dirname(real);
    const repo = path.dirname(snapshots);
    if (path.basename(snapshots) === 'snapshots' && /^models--/.test(path.basename(repo))) {
      roots.push(await fs.realpath(path.join(repo, 'blobs')).catch(() => path.join(repo, 'blobs')));
    }
    return new LocalSource(dir, roots, options);
  }

  /** The file's real path after the symlink policy, or undefined when it does not exist. */
  private async resolve(name: string): Promise<{ fs: typeof FsPromises; real: string | undefined }> {
    const { fs, path } = await nodeModules(`reading ${this.description}`);
    const file = path.join(this.dir, checkName(name, this.description));
    let real: string;
    try {
      real = await fs.realpath(file);
    } catch (error) {
      if (isMissing(error)) return { fs, real: undefined };
      throw new CheckpointError(`${this.describeFile(name)}: cannot resolve: ${(error as Error).message}`, { cause: error });
    }
    if (!this.roots.some((root) => isInside(path, root, real))) {
      throw new UnsafePathError(
        `${this.describeFile(name)}: a symbolic link leads outside the checkpoint folder, to ${real}. tfkit follows links only to files inside the folder ` +
          '(and, in a Hugging Face cache snapshot, into its blobs/ folder); copy the file into the folder instead.',
        real,
      );
    }
    return { fs, real };
  }

  async exists(name: string): Promise<boolean> {
    const { fs, real } = await this.resolve(name);
    return real !== undefined && ((await statOrUndefined(fs, real))?.isFile() ?? false);
  }

  private bounded(name: string, maxBytes: number, limit: string): BoundedRead {
    const progress = this.onProgress && readProgress(this.onProgress, name, this.describeFile(name));
    return { maxBytes, limit, signal: this.limits.signal, label: this.describeFile(name), progress };
  }

  protected async readBytes(name: string, maxBytes: number, limit: string): Promise<Uint8Array> {
    const { fs, real } = await this.resolve(name);
    const bytes = real === undefined ? undefined : await readFileBounded(fs, real, this.bounded(name, maxBytes, limit));
    if (!bytes) throw this.missing(name);
    return bytes;
  }

  /** The file for ranged reads, under the limits and link policy of `read`. */
  async openRanged(name: string): Promise<RangedFile> {
    const { fs, real } = await this.resolve(name);
    const file = real === undefined ? undefined : await openFileBounded(fs, real, this.bounded(name, this.limits.maxFileSize, 'maxFileSize'));
    if (!file) throw this.missing(name);
    return file;
  }
}
