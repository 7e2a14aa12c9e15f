import fs from 'node:fs';
import type * as FsPromises from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeaks, tempFolders } from '@tfkit/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TfkitError } from '../errors.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { writeFileAtomic } from './fs.js';

/**
 * `node:fs/promises` with hooks: every call on a temporary file is logged, and a test can make the
 * next write stop half-way (a full disk, a crash) or make the process "die" before the rename (the
 * rename throws and nothing cleans up, as after a kill).
 */
const hooks = vi.hoisted(() => ({
  log: [] as string[],
  failWriteHalfway: false,
  dieBeforeRename: false,
}));

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof FsPromises>();
  const isTemp = (p: unknown) => typeof p === 'string' && p.endsWith('.tmp');
  const open = async (...args: Parameters<typeof actual.open>) => {
    const handle = await actual.open(...args);
    if (!isTemp(args[0])) return handle;
    hooks.log.push('open');
    return {
      async writeFile(data: Uint8Array | string) {
        const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
        if (hooks.failWriteHalfway) {
          hooks.failWriteHalfway = false;
          await handle.write(bytes.subarray(0, bytes.length >> 1));
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        }
        hooks.log.push('write');
        await handle.writeFile(bytes);
      },
      async sync() {
        hooks.log.push('sync');
        await handle.sync();
      },
      async close() {
        hooks.log.push('close');
        await handle.close();
      },
    };
  };
  const rename = async (from: string, to: string) => {
    if (hooks.dieBeforeRename) {
      hooks.dieBeforeRename = false;
      hooks.log.push('died');
      throw new Error('killed');
    }
    hooks.log.push('rename');
    await actual.rename(from, to);
  };
  const rm = async (...args: Parameters<typeof actual.rm>) => {
    if (hooks.log.at(-1) === 'died') return; // a dead process cleans nothing up
    if (isTemp(args[0])) hooks.log.push('rm');
    await actual.rm(...args);
  };
  const mocked = { ...actual, open, rename, rm };
  return { ...mocked, default: mocked };
});

const tempDir = tempFolders('fs');
afterEach(() => {
  hooks.log.length = 0;
  hooks.failWriteHalfway = false;
  hooks.dieBeforeRename = false;
});

describe('writeFileAtomic', () => {
  it('writes to a temporary file, flushes it to disk, then renames it over the target', async () => {
    const file = path.join(tempDir(), 'a.json');
    await writeFileAtomic(file, '{"v": 1}');
    await writeFileAtomic(file, new Uint8Array([123, 125]));
    expect(fs.readFileSync(file, 'utf8')).toBe('{}');
    expect(hooks.log).toEqual(['open', 'write', 'sync', 'close', 'rename', 'open', 'write', 'sync', 'close', 'rename']);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['a.json']);
  });

  it('leaves the old file intact and removes the partial temporary file when a write fails half-way', async () => {
    const file = path.join(tempDir(), 'weights.bin');
    fs.writeFileSync(file, 'old contents');
    hooks.failWriteHalfway = true;
    const error = await writeFileAtomic(file, new Uint8Array(1 << 20).fill(7)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TfkitError);
    expect((error as TfkitError).code).toBe('ERR_WRITE');
    expect((error as Error).message).toBe(`could not write ${file}: ENOSPC: no space left on device, write`);
    expect(fs.readFileSync(file, 'utf8')).toBe('old contents');
    expect(fs.readdirSync(path.dirname(file))).toEqual(['weights.bin']);
  });
});

describe('saveCheckpoint crash safety', () => {
  async function saveVersion(dir: string, value: number) {
    const weights = new Map([['w', tf.fill([256, 256], value)]]);
    try {
      await saveCheckpoint(dir, { config: { model_type: 'tiny', version: value }, weights });
    } finally {
      weights.forEach((t) => t.dispose());
    }
  }

  async function expectVersion(dir: string, value: number) {
    await expectNoLeaks(async () => {
      const checkpoint = await loadCheckpoint(dir);
      expect(checkpoint.config['version']).toBe(value);
      const w = checkpoint.weights.get('w')!;
      expect(w.shape).toEqual([256, 256]);
      expect(new Set(w.dataSync())).toEqual(new Set([value]));
      w.dispose();
    });
  }

  it('keeps the previous checkpoint loadable when the weights write fails half-way', async () => {
    const dir = tempDir();
    await saveVersion(dir, 1);
    const before = fs.readFileSync(path.join(dir, 'model.safetensors'));
    hooks.failWriteHalfway = true;
    await expect(saveVersion(dir, 2)).rejects.toThrow(/could not write .*model\.safetensors: ENOSPC/);
    expect(fs.readFileSync(path.join(dir, 'model.safetensors')).equals(before)).toBe(true);
    expect(fs.readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors']);
    await expectVersion(dir, 1);
  });

  it('keeps the previous checkpoint loadable when the process dies before the rename', async () => {
    const dir = tempDir();
    await saveVersion(dir, 1);
    hooks.dieBeforeRename = true;
    await expect(saveVersion(dir, 2)).rejects.toThrow(/killed/);
    // The dead writer's temporary file is left behind, fully written; the checkpoint itself is the old one.
    const leftovers = fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'));
    expect(leftovers).toHaveLength(1);
    await expectVersion(dir, 1);
    // The next save succeeds and the result loads.
    await saveVersion(dir, 3);
    await expectVersion(dir, 3);
  });
});
