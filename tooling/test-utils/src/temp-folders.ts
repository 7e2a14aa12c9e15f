/** Temporary folders for a test file, removed after its tests. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

/**
 * A maker of temporary folders for one test file: each call creates a fresh folder
 * (`<os tmpdir>/tfkit-<prefix>-XXXXXX`, symlinks resolved) and every folder it made is removed
 * after the file's tests. Call it at module level (it registers an `afterAll`).
 */
export function tempFolders(prefix: string): () => string {
  const made: string[] = [];
  afterAll(() => made.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));
  return () => {
    const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `tfkit-${prefix}-`)));
    made.push(dir);
    return dir;
  };
}
