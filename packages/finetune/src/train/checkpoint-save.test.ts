// Failed checkpoint saves: a write error (the disk filling up, injected by wrapping fs.writeFile)
// must leave no temporary folder behind, keep earlier checkpoints, and raise a typed error naming
// the checkpoint; folders that killed runs left are removed when the next run starts.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expectNoLeaks } from '@tfkit/test-utils';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { CheckpointSaveError } from '../errors.js';
import { ToyClassifier, toyCollator, toyDataset } from '../testing/toy.js';
import { loadTrainingCheckpoint } from './checkpoint.js';
import { Trainer } from './trainer.js';

const failing = vi.hoisted(() => ({ match: undefined as RegExp | undefined, calls: 0 }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof fs>();
  const writeFile = (async (file: Parameters<typeof actual.writeFile>[0], ...rest: unknown[]) => {
    if (failing.match?.test(String(file))) {
      failing.calls++;
      // What Node raises when the disk is full, after part of the file was written.
      await (actual.writeFile as (...a: unknown[]) => Promise<void>)(file, 'partial');
      throw Object.assign(new Error(`ENOSPC: no space left on device, write`), { code: 'ENOSPC', errno: -28, syscall: 'write' });
    }
    return (actual.writeFile as (...a: unknown[]) => Promise<void>)(file, ...rest);
  }) as typeof actual.writeFile;
  return { ...actual, writeFile, default: { ...actual, writeFile } };
});

const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'tfkit-checkpoint-save-'));
afterAll(() => fs.rm(tmp, { recursive: true, force: true }));
afterEach(() => {
  failing.match = undefined;
  failing.calls = 0;
});

function trainer(model: ToyClassifier, outputDir: string, maxSteps: number) {
  return new Trainer({ model, trainDataset: toyDataset(32, 1), collator: toyCollator, batchSize: 8, maxSteps, saveEvery: 2, outputDir, seed: 3 });
}

describe('Trainer checkpoint saves that fail', () => {
  it('disk full while writing: typed error naming the checkpoint, no temporary folder left, earlier checkpoints intact, no leaks', async () => {
    const dir = path.join(tmp, 'enospc');
    const model = new ToyClassifier();
    await expectNoLeaks(async () => {
      const t = trainer(model, dir, 4);
      failing.match = /checkpoint-4\.\d+\.tmp[/\\]optimizer\.safetensors$/;
      const error = await t.train().catch((e: unknown) => e);
      expect(failing.calls).toBe(1);
      expect(error).toBeInstanceOf(CheckpointSaveError);
      expect(error).toMatchObject({ path: path.join(dir, 'checkpoint-4'), systemCode: 'ENOSPC', code: 'ERR_CHECKPOINT' });
      expect((error as Error).message).toContain(`cannot save the checkpoint ${path.join(dir, 'checkpoint-4')}: ENOSPC`);
      expect((error as Error).message).toMatch(/free disk space/);
      expect(await fs.readdir(dir)).toEqual(['checkpoint-2']);

      // Overwriting an existing checkpoint that fails half-way keeps the old one whole.
      failing.match = /checkpoint-2\.\d+\.tmp[/\\]model\.safetensors$/;
      await expect(t.saveCheckpoint(path.join(dir, 'checkpoint-2'))).rejects.toBeInstanceOf(CheckpointSaveError);
      expect(await fs.readdir(dir)).toEqual(['checkpoint-2']);
      const loaded = await loadTrainingCheckpoint(path.join(dir, 'checkpoint-2'));
      expect(loaded.checkpoint.state.globalStep).toBe(2);
      for (const m of [loaded.weights, loaded.optimizerTensors, loaded.callbackTensors]) m.forEach((x) => x.dispose());
      t.optimizer.dispose();
    });
    model.dispose();
  });

  it("the next run removes temporary folders of runs that died, keeps those of live ones, and restores a checkpoint caught between renames", async () => {
    const dir = path.join(tmp, 'stale');
    await fs.mkdir(dir, { recursive: true });
    const dead = 2 ** 31 - 2; // beyond any pid the kernel hands out
    const put = async (name: string) => {
      await fs.mkdir(path.join(dir, name));
      await fs.writeFile(path.join(dir, name, 'model.safetensors'), 'x'.repeat(1000));
    };
    await put(`.checkpoint-6.${dead}.tmp`);
    await put(`.checkpoint-6.${process.pid}.tmp`);
    await put(`.checkpoint-8.${dead}.tmp.old`); // checkpoint-8 itself is missing: this is its only copy
    await put(`.checkpoint-2.${dead}.tmp.old`); // checkpoint-2 exists (written below): a leftover
    await put(`.checkpoint-4.${process.ppid}.tmp`); // the parent process is alive: maybe saving right now
    await put('.notes.tmp');
    await put('checkpoint-2');
    const model = new ToyClassifier();
    const t = new Trainer({ model, trainDataset: toyDataset(32, 1), collator: toyCollator, batchSize: 8, maxSteps: 1, outputDir: dir });
    await t.train();
    expect((await fs.readdir(dir)).sort()).toEqual([`.checkpoint-4.${process.ppid}.tmp`, '.notes.tmp', 'checkpoint-2', 'checkpoint-8']);
    t.optimizer.dispose();
    model.dispose();
  });
});
