/**
 * The limits every source applies: a maximum file size (weights and other binary files, and a much
 * smaller one for text and JSON), a stall timeout and an optional total timeout for downloads, and
 * the caller's abort signal. Resolved once per source from `SourceOptions`.
 */
import { ConfigError } from '../errors.js';
import type { SourceOptions } from './types.js';

const UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };

/** Default `maxFileSize`: 4 GiB, the largest typed array Node.js 20 allocates. */
export const DEFAULT_MAX_FILE_SIZE = 4 * 2 ** 30;
/** Default `maxTextSize` (JSON and text files): 64 MiB, twice the largest tokenizer.json on the hub. */
export const DEFAULT_MAX_TEXT_SIZE = 64 * 2 ** 20;
/** Default `stallTimeout`: 30 s without a response or without the next 64 KiB of a body. */
export const DEFAULT_STALL_TIMEOUT = 30_000;
/** A download makes progress when this many more bytes (or the end of the body) have arrived. */
export const PROGRESS_BYTES = 64 * 2 ** 10;

export interface SourceLimits {
  signal: AbortSignal | undefined;
  /** Milliseconds for one file's whole download; `Infinity` for none. */
  timeout: number;
  /** Milliseconds without progress (see `PROGRESS_BYTES`). */
  stallTimeout: number;
  maxFileSize: number;
  maxTextSize: number;
}

/**
 * Bytes from a number or a string such as "500MB" or "2GiB" (decimal and binary units); a
 * `ConfigError` naming `option` otherwise.
 */
export function parseByteSize(size: number | string, option: string): number {
  const match = typeof size === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?\s*$/i.exec(size) : undefined;
  const bytes = typeof size === 'number' ? size : match ? Number(match[1]) * (UNITS[(match[2] ?? 'b').toLowerCase()] as number) : NaN;
  if (!(bytes > 0) || !Number.isFinite(bytes)) throw new ConfigError(`${option} must be a positive size like 500000000 or "500MB", got ${JSON.stringify(size)}`);
  return Math.floor(bytes);
}

/** "64 MiB", "4 GiB", "1.5 KiB", "12 bytes". */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of [['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(2))} ${unit}`;
  }
  return `${bytes} bytes`;
}

function milliseconds(value: number | undefined, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0)) throw new ConfigError(`${option} must be a positive number of milliseconds (or Infinity), got ${JSON.stringify(value)}`);
  return value;
}

export function sourceLimits(options: SourceOptions): SourceLimits {
  const signal = options.signal;
  if (signal !== undefined && !(typeof signal === 'object' && signal !== null && typeof signal.aborted === 'boolean' && typeof signal.addEventListener === 'function')) {
    throw new ConfigError('signal must be an AbortSignal');
  }
  return {
    signal,
    timeout: milliseconds(options.timeout, 'timeout', Infinity),
    stallTimeout: milliseconds(options.stallTimeout, 'stallTimeout', DEFAULT_STALL_TIMEOUT),
    maxFileSize: options.maxFileSize === undefined ? DEFAULT_MAX_FILE_SIZE : parseByteSize(options.maxFileSize, 'maxFileSize'),
    maxTextSize: options.maxTextSize === undefined ? DEFAULT_MAX_TEXT_SIZE : parseByteSize(options.maxTextSize, 'maxTextSize'),
  };
}
