/** Paths to and readers for the shared reference fixtures (`../shared/fixtures` beside the repo). */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** `TFKIT_FIXTURES` or `<repo>/../shared/fixtures`. */
export const fixturesDir: string = process.env['TFKIT_FIXTURES'] ?? path.resolve(repoRoot, '../shared/fixtures');

export function fixturePath(...parts: string[]): string {
  return path.join(fixturesDir, ...parts);
}

export function readFixtureJson<T = unknown>(...parts: string[]): T {
  return JSON.parse(fs.readFileSync(fixturePath(...parts), 'utf8')) as T;
}

export const repoRootDir = repoRoot;
