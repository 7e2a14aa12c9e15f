/**
 * File-system helpers. Node's modules are imported dynamically, only when a function here runs,
 * so this file (and everything importing it) still loads in a browser.
 */
import type * as NodeFs from 'node:fs';
import type * as NodeFsPromises from 'node:fs/promises';
import type * as NodeOs from 'node:os';
import type * as NodePath from 'node:path';
import type * as NodeUrl from 'node:url';
import { TfkitError } from '../errors.js';

interface NodeBuiltins {
  'node:fs': typeof NodeFs;
  'node:fs/promises': typeof NodeFsPromises;
  'node:path': typeof NodePath;
  'node:os': typeof NodeOs;
  'node:url': typeof NodeUrl;
}

/**
 * Imports a Node.js built-in. Only Node code paths call it; the specifier is a variable with
 * bundler-ignore hints, so browser bundlers (esbuild, webpack, Vite) neither resolve nor polyfill
 * it and need no configuration.
 */
export function importNodeBuiltin<K extends keyof NodeBuiltins>(name: K): Promise<NodeBuiltins[K]> {
  return import(/* @vite-ignore */ /* webpackIgnore: true */ name) as Promise<NodeBuiltins[K]>;
}

/** Whether this runtime is Node.js (or one that mimics it, like Bun and Deno's Node mode). */
export const isNode: boolean = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/** `node:fs/promises` and `node:path`, or an error saying the file system needs Node. */
export async function nodeModules(action: string) {
  if (!isNode) throw new TfkitError('ERR_NO_FILE_SYSTEM', `${action} needs a file system (Node.js); in a browser, load from a URL or hub id instead`);
  const [fs, path] = await Promise.all([importNodeBuiltin('node:fs/promises'), importNodeBuiltin('node:path')]);
  return { fs, path };
}

/**
 * Writes `data` to `file` so that a crash never leaves a half-written file behind: the data go to
 * a temporary file in the same directory, are flushed to disk, and the temporary file is renamed
 * over `file` (atomic on POSIX and NTFS). Readers see either the old file or the new one.
 */
export async function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const { fs, path } = await nodeModules(`writing ${file}`);
  const dir = path.dirname(file);
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`);
  try {
    const handle = await fs.open(temp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw new TfkitError('ERR_WRITE', `could not write ${file}: ${(error as Error).message}`, { cause: error });
  }
  // Persist the rename itself. Directories cannot be opened for syncing everywhere (Windows): best effort.
  try {
    const handle = await fs.open(dir, 'r');
    await handle.sync().finally(() => handle.close());
  } catch {
    // The data are on disk; only the directory entry's durability is up to the OS.
  }
}
