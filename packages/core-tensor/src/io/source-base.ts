/** What every file source shares: name checks, size limits, text and JSON decoding, file labels. */
import { CheckpointError, UnsafePathError } from '../errors.js';
import { parseJsonText } from './json.js';
import { sourceLimits, type SourceLimits } from './limits.js';
import type { FileSource, SourceOptions } from './types.js';

/**
 * Rejects file names that would leave the source (`../x`, absolute paths, `a//b`, backslashes,
 * NUL and other control characters) before any I/O.
 */
export function checkName(name: string, description: string): string {
  const segments = typeof name === 'string' ? name.split('/') : [''];
  // eslint-disable-next-line no-control-regex
  if (!name || name.includes('\\') || /[\u0000-\u001f\u007f]/.test(name) || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new UnsafePathError(
      `${description}: invalid file name ${JSON.stringify(name)} (relative names without "." or ".." segments, backslashes or control characters only)`,
      String(name),
    );
  }
  return name;
}

/** How errors name `name` in `files`: its cached copy's path for a cached hub file, else `${description}/${name}`. */
export function fileLabel(files: FileSource, name: string): string {
  return files.describeFile?.(name) ?? `${files.description}/${name}`;
}

export abstract class BaseSource implements FileSource {
  readonly description: string;
  protected readonly limits: SourceLimits;

  constructor(description: string, options: SourceOptions) {
    this.description = description;
    this.limits = sourceLimits(options);
  }

  abstract exists(name: string): Promise<boolean>;
  /** The file's bytes, at most `maxBytes` (`limit` names the option in errors). */
  protected abstract readBytes(name: string, maxBytes: number, limit: string): Promise<Uint8Array>;

  describeFile(name: string): string {
    return `${this.description}/${name}`;
  }

  read(name: string): Promise<Uint8Array> {
    return this.readBytes(name, this.limits.maxFileSize, 'maxFileSize');
  }

  async readText(name: string): Promise<string> {
    const bytes = await this.readBytes(name, this.limits.maxTextSize, 'maxTextSize');
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch (error) {
      throw new CheckpointError(`${this.describeFile(name)}: not valid UTF-8 text`, { cause: error });
    }
  }

  async readJson<T = unknown>(name: string): Promise<T> {
    const text = await this.readText(name);
    return parseJsonText(text, (where) => new CheckpointError(`${this.describeFile(name)}: not valid JSON (${where})`)) as T;
  }

  protected missing(name: string, detail = ''): CheckpointError {
    return new CheckpointError(`${this.description}: file "${name}" not found${detail}`);
  }
}
