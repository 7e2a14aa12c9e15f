/** Test-only helpers: where the shared fixtures and the corpus live (not part of the package). */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../../..');
export const fixturesDir = process.env['TFKIT_FIXTURES'] ?? path.resolve(repoRoot, '../shared/fixtures');

export function tokenizerFixture(name: string): string {
  return path.join(fixturesDir, 'tokenizers', name);
}

export interface TokenizerCase {
  text: string;
  text_pair?: string;
  ids: number[];
  tokens?: string[];
  token_type_ids?: number[];
  offsets: [number, number][];
  sequence_ids?: (number | null)[];
  special_tokens?: boolean;
}

export function readCases(name: string): TokenizerCase[] {
  return JSON.parse(fs.readFileSync(path.join(tokenizerFixture(name), 'cases.json'), 'utf8')) as TokenizerCase[];
}
