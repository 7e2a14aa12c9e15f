import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fixturePath, tempFolders } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { CheckpointError, ConfigError, SafetensorsError, TfkitError, UnsafePathError } from '../errors.js';
import { loadCheckpoint } from './checkpoint.js';
import { openSource } from './sources.js';

const SECRET = 'SECRET-TOKEN-a1b2c3 root:x:0:0';
const fixture = fixturePath('models', 'gpt2-lm');

const tempDir = tempFolders('local');

/** A copy of the gpt2-lm fixture in `dir`, with `edit` applied. */
function checkpointIn(dir: string, edit: (dir: string) => void = () => undefined): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const name of fs.readdirSync(fixture)) fs.copyFileSync(path.join(fixture, name), path.join(dir, name));
  edit(dir);
  return dir;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TfkitError);
  return error as Error;
}

async function loads(dir: string): Promise<void> {
  const checkpoint = await loadCheckpoint(dir);
  expect(checkpoint.config['model_type']).toBe('gpt2');
  checkpoint.weights.forEach((t) => t.dispose());
}

describe('symbolic links in a checkpoint folder', () => {
  it('refuses a link that leads outside the folder, naming link and target but never the contents', async () => {
    const root = tempDir();
    const outside = path.join(root, 'secret.txt');
    fs.writeFileSync(outside, SECRET);
    const dir = checkpointIn(path.join(root, 'model'), (d) => {
      fs.rmSync(path.join(d, 'config.json'));
      fs.symlinkSync(outside, path.join(d, 'config.json'));
    });
    const error = await rejection(loadCheckpoint(dir));
    expect(error).toBeInstanceOf(UnsafePathError);
    expect(error.message).toBe(
      `${dir}/config.json: a symbolic link leads outside the checkpoint folder, to ${outside}. tfkit follows links only to files inside the folder ` +
        '(and, in a Hugging Face cache snapshot, into its blobs/ folder); copy the file into the folder instead.',
    );
    expect((error as UnsafePathError).path).toBe(outside);
    // Through a linked directory, and a relative link climbing out, alike.
    const viaDir = checkpointIn(path.join(root, 'model2'), (d) => fs.symlinkSync(root, path.join(d, 'sub')));
    expect(await rejection((await openSource(viaDir)).readText('sub/secret.txt'))).toBeInstanceOf(UnsafePathError);
    const climbing = checkpointIn(path.join(root, 'model3'), (d) => {
      fs.rmSync(path.join(d, 'model.safetensors'));
      fs.symlinkSync('../model/model.safetensors', path.join(d, 'model.safetensors'));
    });
    expect((await rejection(loadCheckpoint(climbing))).message).toMatch(/model\.safetensors: a symbolic link leads outside the checkpoint folder/);
  });

  it('follows links that stay inside the folder, and a Hugging Face cache snapshot\'s links into blobs/', async () => {
    const inside = checkpointIn(path.join(tempDir(), 'model'), (d) => {
      fs.mkdirSync(path.join(d, 'real'));
      fs.renameSync(path.join(d, 'config.json'), path.join(d, 'real', 'config.json'));
      fs.symlinkSync('real/config.json', path.join(d, 'config.json'));
    });
    await loads(inside);

    // The layout huggingface_hub writes: snapshots/<commit>/<file> -> ../../blobs/<hash>.
    const repo = path.join(tempDir(), 'hub', 'models--org--gpt2');
    const snapshot = path.join(repo, 'snapshots', '0123abcd');
    fs.mkdirSync(path.join(repo, 'blobs'), { recursive: true });
    fs.mkdirSync(snapshot, { recursive: true });
    for (const [i, name] of fs.readdirSync(fixture).entries()) {
      fs.copyFileSync(path.join(fixture, name), path.join(repo, 'blobs', `hash${i}`));
      fs.symlinkSync(`../../blobs/hash${i}`, path.join(snapshot, name));
    }
    await loads(snapshot);
    // …but only into that repository's blobs/.
    fs.writeFileSync(path.join(repo, 'secret.txt'), SECRET);
    fs.symlinkSync('../../secret.txt', path.join(snapshot, 'notes.txt'));
    expect(await rejection((await openSource(snapshot)).readText('notes.txt'))).toBeInstanceOf(UnsafePathError);
  });

  it('reads a folder that is itself reached through a link, and treats a dangling link as missing', async () => {
    const root = tempDir();
    const dir = checkpointIn(path.join(root, 'model'), (d) => {
      fs.rmSync(path.join(d, 'generation_config.json'));
      fs.symlinkSync(path.join(d, 'nowhere.json'), path.join(d, 'generation_config.json'));
    });
    fs.symlinkSync(dir, path.join(root, 'alias'));
    const checkpoint = await loadCheckpoint(path.join(root, 'alias'));
    expect(checkpoint.generationConfig).toBeUndefined();
    checkpoint.weights.forEach((t) => t.dispose());
  });
});

describe('errors never quote file contents', () => {
  it('names the line and column of bad JSON instead of echoing it', async () => {
    const dir = checkpointIn(path.join(tempDir(), 'model'), (d) => fs.writeFileSync(path.join(d, 'config.json'), `{\n  "model_type": "gpt2",\n  ${SECRET}\n}`));
    const error = await rejection(loadCheckpoint(dir));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(`${dir}/config.json: not valid JSON (line 3, column 3 (character 28))`);
    const source = await openSource(dir);
    expect((await rejection(source.readJson('config.json'))).message).toBe(`${dir}/config.json: not valid JSON (line 3, column 3 (character 28))`);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(SECRET));
    expect((await rejection(loadCheckpoint(dir))).message).toBe(`${dir}/config.json: expected a JSON object, got a string of ${SECRET.length} characters`);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model_type: { token: SECRET } }));
    expect((await rejection(loadCheckpoint(dir))).message).toBe(`${dir}/config.json: "model_type" must be a string, got an object`);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ architectures: ['A', { token: SECRET }] }));
    expect((await rejection(loadCheckpoint(dir))).message).toBe(`${dir}/config.json: "architectures" must be a list of class names, got element 1, an object`);
  });

  it('does not echo a safetensors header that is not JSON', async () => {
    const dir = checkpointIn(path.join(tempDir(), 'model'), (d) => {
      const header = Buffer.from(`{"w": ${SECRET}}`);
      const file = Buffer.alloc(8 + header.length);
      file.writeBigUInt64LE(BigInt(header.length));
      header.copy(file, 8);
      fs.writeFileSync(path.join(d, 'model.safetensors'), file);
    });
    const error = await rejection(loadCheckpoint(dir));
    expect(error).toBeInstanceOf(SafetensorsError);
    expect(error.message).toBe(`${dir}/model.safetensors: the header is not valid JSON (line 1, column 7 (character 6) of the header)`);
  });
});

describe('special files', () => {
  it.skipIf(process.platform === 'win32')('refuses a FIFO instead of blocking on it', async () => {
    const dir = checkpointIn(path.join(tempDir(), 'model'), (d) => {
      fs.rmSync(path.join(d, 'config.json'));
      execFileSync('mkfifo', [path.join(d, 'config.json')]);
    });
    const source = await openSource(dir);
    expect(await source.exists('config.json')).toBe(false);
    const error = await rejection(source.readText('config.json'));
    expect(error).toBeInstanceOf(CheckpointError);
    expect(error.message).toBe(`${dir}/config.json: not a regular file`);
  });
});
