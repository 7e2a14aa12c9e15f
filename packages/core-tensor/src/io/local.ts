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
import type { SourceOptions } from './types.js';

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

/**
 * A regular file's bytes, or undefined when it does not exist. A directory, FIFO or device, a
 * file over `maxBytes`, an abort, or an I/O failure is a typed error naming `label`.
 */
export async function readFileBounded(fs: typeof FsPromises, file: string, { maxBytes, limit, signal, label, progress }: BoundedRead): Promise<Uint8Array | undefined> {
  const aborted = () => new SourceAbortedError(`${label}: aborted by the caller's signal`, { url: label, cause: signal?.reason });
  if (signal?.aborted) throw aborted();
  let handle: FsPromises.FileHandle | undefined;
  try {
    // stat before open: opening a FIFO for reading would block until a writer comes.
    if (!(await fs.stat(file)).isFile()) throw new CheckpointError(`${label}: not a regular file`);
    handle = await fs.open(file, 'r');
    const { size } = await handle.stat();
    if (size > maxBytes) {
      throw new FileTooLargeError(`${label}: ${size} bytes${size >= 1024 ? ` (${formatBytes(size)})` : ''} is over the ${limit} limit of ${formatBytes(maxBytes)}; pass a larger ${limit} if the file is expected.`, {
        file: label,
        limit: maxBytes,
        size,
      });
    }
    const bytes = new Uint8Array(size);
    for (let position = 0; position < size; ) {
      if (signal?.aborted) throw aborted();
      const { bytesRead } = await handle.read(bytes, position, Math.min(CHUNK, size - position), position);
      if (bytesRead === 0) throw new CheckpointError(`${label}: the file shrank from ${size} to ${position} bytes while being read`);
      position += bytesRead;
      progress?.(position, size, position === size);
    }
    if (size === 0) progress?.(0, 0, true);
    return bytes;
  } catch (error) {
    if (error instanceof TfkitError) throw error;
    if (isMissing(error)) return undefined;
    throw new CheckpointError(`${label}: could not read: ${(error as Error).message}`, { cause: error });
  } finally {
    await handle?.close().catch(() => undefined);
  }
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

  protected async readBytes(name: string, maxBytes: number, limit: string): Promise<Uint8Array> {
    const { fs, real } = await this.resolve(name);
    const progress = this.onProgress && readProgress(this.onProgress, name, this.describeFile(name));
    const bytes = real === undefined ? undefined : await readFileBounded(fs, real, { maxBytes, limit, signal: this.limits.signal, label: this.describeFile(name), progress });
    if (!bytes) throw this.missing(name);
    return bytes;
  }
}
