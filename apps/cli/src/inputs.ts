/**
 * What the commands take from the command line, checked the same way everywhere: numbers (a bad
 * value is a usage error, exit 2), checkpoint sources (a path that does not exist says so instead
 * of being tried as a hub id) and text files (a missing or unreadable file is one line, exit 1).
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { CliError, UsageError } from './command.js';

/** `--name`'s integer value, at least `min`; undefined when the option was not given. */
export function intOption(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min) {
    throw new UsageError(`--${name} must be ${min === 1 ? 'a positive integer' : min === 0 ? 'a non-negative integer' : `an integer ≥ ${min}`}, got "${value}"`);
  }
  return n;
}

/** `--name`'s number, finite and within [min, max] (or (min, max] with `above`); undefined when not given. */
export function numberOption(name: string, value: string | undefined, range: { min?: number; max?: number; above?: number } = {}): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  const ok =
    value.trim() !== '' && Number.isFinite(n) && (range.min === undefined || n >= range.min) && (range.above === undefined || n > range.above) && (range.max === undefined || n <= range.max);
  if (!ok) {
    const bounds = [range.min !== undefined ? `≥ ${range.min}` : '', range.above !== undefined ? `> ${range.above}` : '', range.max !== undefined ? `≤ ${range.max}` : ''].filter(Boolean);
    throw new UsageError(`--${name} must be a number${bounds.length ? ` ${bounds.join(' and ')}` : ''}, got "${value}"`);
  }
  return n;
}

/**
 * A checkpoint (or tokenizer) source named by `--flag value`: an http(s) URL as is; an existing
 * path relative to `cwd` as an absolute path; something that looks like a path (`./x`, `../x`,
 * `/x`, `~/x`, `x/y/z`, `x/`) but does not exist is an error; anything else is a hub id (`gpt2`,
 * `org/name`).
 */
export function sourceOption(flag: string, value: string, cwd: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return value;
  const local = path.resolve(cwd, value);
  if (fs.existsSync(local)) return local;
  const looksLikePath = /^(\.{1,2}|~)?[/\\]/.test(value) || value.startsWith('~') || value.endsWith('/') || value.includes('\\') || value.split('/').length > 2;
  if (looksLikePath) throw new CliError(`${flag} ${value}: no such file or directory (${local})`);
  return value;
}

/** The absolute path of an existing file named by `--flag value`. */
export function fileOption(flag: string, value: string, cwd: string): string {
  const file = path.resolve(cwd, value);
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat) throw new CliError(`${flag} ${value}: no such file (${file})`);
  if (!stat.isFile()) throw new CliError(`${flag} ${value}: not a file (${file})`);
  return file;
}

/** Reads a UTF-8 text file named by `--flag value` (gunzipped when it ends in .gz). */
export async function readTextOption(flag: string, value: string, cwd: string): Promise<string> {
  const file = path.resolve(cwd, value);
  let bytes: Buffer;
  try {
    bytes = await fsp.readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a file' : code === 'EACCES' ? 'permission denied' : ((error as Error).message ?? String(error));
    throw new CliError(`${flag} ${value}: ${reason} (${file})`, { cause: error });
  }
  if (!file.endsWith('.gz')) return bytes.toString('utf8');
  try {
    return zlib.gunzipSync(bytes).toString('utf8');
  } catch (error) {
    throw new CliError(`${flag} ${value}: not a valid gzip file (${(error as Error).message})`, { cause: error });
  }
}

/**
 * Checks that `--flag value` names a directory tfkit can create or write to, before a long run
 * starts, so an unwritable `--out` fails at once rather than after hours of training. Creates
 * nothing: an interrupted run leaves no empty directory behind.
 */
export async function writableDirectory(flag: string, value: string, cwd: string): Promise<string> {
  const dir = path.resolve(cwd, value);
  const fail = (reason: string, cause?: unknown): never => {
    throw new CliError(`${flag} ${value}: cannot write there: ${reason} (${dir})`, { cause });
  };
  // The directory itself, or the nearest ancestor that exists (which must be a writable directory).
  let existing = dir;
  let stat = await fsp.stat(existing).catch(() => undefined);
  while (!stat) {
    const parent = path.dirname(existing);
    if (parent === existing) break;
    existing = parent;
    stat = await fsp.stat(existing).catch(() => undefined);
  }
  if (!stat?.isDirectory()) fail(`${existing} is a file, not a directory`);
  try {
    await fsp.access(existing, fs.constants.W_OK);
  } catch (error) {
    fail(`${existing} is not writable`, error);
  }
  return dir;
}
