/**
 * Where the CLI's embedded model lives: `apps/cli/assets/tiny-gpt2`, found relative to this file
 * whether it runs from source (`src/…`) or from the build (`dist/bin.js`), so `tfkit generate`
 * works offline on a fresh checkout.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CheckpointError } from '@tfkit/core-tensor';

export const EMBEDDED_MODEL = 'tiny-gpt2';

export function embeddedModelDir(from: string = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, 'assets', EMBEDDED_MODEL);
    if (fs.existsSync(path.join(candidate, 'config.json'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new CheckpointError(`the embedded model (assets/${EMBEDDED_MODEL}) was not found above ${from}; pass --model <dir>`);
}
