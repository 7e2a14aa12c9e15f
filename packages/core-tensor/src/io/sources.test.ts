import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { expectNoLeaks, fixturePath, tempFolders } from '@tfkit/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError } from '../errors.js';
import type { Checkpoint } from '../model-types.js';
import { loadCheckpoint } from './checkpoint.js';
import { openSource } from './sources.js';

/**
 * A static server over the fixture models, on 127.0.0.1 and a random port:
 * - `/tfkit/{name}/resolve/main/{file}`: hub layout (revision `main` only),
 * - `/plain/{name}/{file}`: a plain URL prefix,
 * - `/private/{name}/{file}`: needs `Authorization: Bearer secret`,
 * - `/nohead/{name}/{file}`: answers HEAD with 405,
 * - `/broken/…`: always 500.
 */
interface FixtureServer {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

async function startServer(root: string): Promise<FixtureServer> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent(req.url ?? '/');
    requests.push(`${req.method} ${url}`);
    const hub = /^\/tfkit\/([^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url);
    const plain = /^\/(plain|private|nohead)\/([^/]+)\/(.+)$/.exec(url);
    let file: string | undefined;
    if (hub && hub[2] === 'main') file = path.join(root, hub[1]!, hub[3]!);
    else if (plain) {
      if (plain[1] === 'private' && req.headers.authorization !== 'Bearer secret') return void res.writeHead(401, 'Unauthorized').end();
      if (plain[1] === 'nohead' && req.method === 'HEAD') return void res.writeHead(405, 'Method Not Allowed').end();
      file = path.join(root, plain[2]!, plain[3]!);
    } else if (url.startsWith('/broken/')) return void res.writeHead(500, 'Internal Server Error').end();
    if (!file || !file.startsWith(root) || !fs.existsSync(file) || !fs.statSync(file).isFile()) return void res.writeHead(404, 'Not Found').end();
    const body = fs.readFileSync(file);
    res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

const modelsDir = fixturePath('models');
const tempDir = tempFolders('sources');

function dispose(checkpoint: Checkpoint) {
  for (const t of checkpoint.weights.values()) t.dispose();
}

/** Same names, shapes and values as the checkpoint read from the fixture directory itself. */
async function expectSameAsLocal(checkpoint: Checkpoint, name: string) {
  const local = await loadCheckpoint(path.join(modelsDir, name));
  expect(checkpoint.config).toEqual(local.config);
  expect(checkpoint.generationConfig).toEqual(local.generationConfig);
  expect(checkpoint.metadata).toEqual(local.metadata);
  expect([...checkpoint.weights.keys()]).toEqual([...local.weights.keys()]);
  for (const [key, t] of local.weights) expect(checkpoint.weights.get(key)!.dataSync(), key).toEqual(t.dataSync());
  dispose(local);
}

async function errorOf(promise: Promise<unknown>): Promise<CheckpointError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CheckpointError);
  return error as CheckpointError;
}

describe('local directory', () => {
  it('reads files, tells which exist, and names source and file when one is missing', async () => {
    const dir = path.join(modelsDir, 'bert-for-pretraining');
    const source = await openSource(dir);
    expect(source.description).toBe(dir);
    expect(await source.exists('config.json')).toBe(true);
    expect(await source.exists('generation_config.json')).toBe(false);
    expect((await source.readJson<{ model_type: string }>('config.json')).model_type).toBe('bert');
    expect((await source.read('model.safetensors')).byteLength).toBe(fs.statSync(path.join(dir, 'model.safetensors')).size);
    const missing = await errorOf(source.read('tokenizer.json'));
    expect(missing.message).toBe(`${dir}: file "tokenizer.json" not found`);
  });

  it('refuses file names that leave the source', async () => {
    const source = await openSource(path.join(modelsDir, 'gpt2-lm'));
    for (const name of ['../bert-for-pretraining/config.json', '/etc/passwd', 'a//b', '.', 'a\\b']) {
      expect((await errorOf(source.read(name))).message, name).toMatch(/invalid file name/);
    }
  });

  it('reads a file:// URL locally, and rejects a file or a path that is neither local nor an id', async () => {
    const dir = path.join(modelsDir, 'gpt2-lm');
    const source = await openSource(new URL(`file://${dir}`).href);
    expect(await source.exists('generation_config.json')).toBe(true);
    expect((await errorOf(openSource(path.join(dir, 'config.json')))).message).toMatch(/is a file; a checkpoint source is a directory/);
    expect((await errorOf(openSource('./no/such/dir'))).message).toMatch(/not an existing directory, an http\(s\) URL, nor a hub id/);
  });

  it('never touches the network for an existing path that also looks like a hub id', async () => {
    const cwd = process.cwd();
    process.chdir(modelsDir);
    try {
      let fetched = 0;
      const source = await openSource('gpt2-lm', { fetch: async () => (fetched++, new Response('x')) });
      expect(await source.exists('config.json')).toBe(true);
      expect(fetched).toBe(0);
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('remote sources', () => {
  let server: FixtureServer;
  beforeAll(async () => {
    server = await startServer(modelsDir);
  });
  afterAll(() => server.close());
  afterEach(() => {
    server.requests.length = 0;
  });

  it('loads a checkpoint from a URL prefix', async () => {
    await expectNoLeaks(async () => {
      const checkpoint = await loadCheckpoint(`${server.url}/plain/gpt2-lm/`);
      expect(checkpoint.source).toBe(`${server.url}/plain/gpt2-lm/`);
      await expectSameAsLocal(checkpoint, 'gpt2-lm');
      dispose(checkpoint);
    });
    expect(server.requests).toContain('GET /plain/gpt2-lm/model.safetensors');
  });

  it('reports missing files, HTTP errors and unreachable hosts with the URL', async () => {
    const source = await openSource(`${server.url}/plain/bert-for-pretraining`);
    expect(await source.exists('generation_config.json')).toBe(false);
    expect((await errorOf(source.read('tokenizer.json'))).message).toBe(
      `${server.url}/plain/bert-for-pretraining: file "tokenizer.json" not found at ${server.url}/plain/bert-for-pretraining/tokenizer.json`,
    );
    const broken = await openSource(`${server.url}/broken/x`);
    expect((await errorOf(broken.read('config.json'))).message).toMatch(/HTTP 500 Internal Server Error for "config.json"/);
    await expect(broken.exists('config.json')).rejects.toThrow(/HTTP 500/);
    const gone = await startServer(modelsDir);
    await gone.close();
    expect((await errorOf(loadCheckpoint(`${gone.url}/plain/gpt2-lm`))).message).toMatch(/could not fetch "config.json" from http:\/\/127\.0\.0\.1:\d+\/plain\/gpt2-lm\/config\.json/);
  });

  it('sends the given headers, and explains a 401', async () => {
    const url = `${server.url}/private/bert-for-pretraining`;
    expect((await errorOf((await openSource(url)).read('config.json'))).message).toMatch(/HTTP 401 Unauthorized.*private or gated repository\? pass headers/);
    const checkpoint = await loadCheckpoint(url, { headers: { Authorization: 'Bearer secret' } });
    expect(checkpoint.config['model_type']).toBe('bert');
    dispose(checkpoint);
  });

  it('falls back to GET where HEAD is not allowed', async () => {
    const source = await openSource(`${server.url}/nohead/gpt2-lm`);
    expect(await source.exists('generation_config.json')).toBe(true);
    expect(await source.exists('nothing.json')).toBe(false);
    expect(server.requests).toEqual(['HEAD /nohead/gpt2-lm/generation_config.json', 'GET /nohead/gpt2-lm/generation_config.json', 'HEAD /nohead/gpt2-lm/nothing.json', 'GET /nohead/gpt2-lm/nothing.json']);
  });

  it('resolves hub ids against remoteHost and revision, caching every file atomically', async () => {
    const cacheDir = tempDir();
    const options = { remoteHost: server.url, cacheDir };
    const first = await loadCheckpoint('tfkit/bert-for-pretraining', options);
    expect(first.source).toBe('tfkit/bert-for-pretraining');
    await expectSameAsLocal(first, 'bert-for-pretraining');
    dispose(first);
    expect(server.requests).toContain('GET /tfkit/bert-for-pretraining/resolve/main/model.safetensors');
    const cached = path.join(cacheDir, new URL(server.url).host.replace(':', '_'), 'tfkit', 'bert-for-pretraining', 'main');
    expect(fs.readFileSync(path.join(cached, 'model.safetensors')).equals(fs.readFileSync(path.join(modelsDir, 'bert-for-pretraining', 'model.safetensors')))).toBe(true);
    expect(fs.readdirSync(cached).sort()).toEqual(['.no_exist', 'config.json', 'model.safetensors']); // no temp files left

    // Second load: from the cache alone, no request at all (absent files remembered too).
    server.requests.length = 0;
    const second = await loadCheckpoint('tfkit/bert-for-pretraining', options);
    await expectSameAsLocal(second, 'bert-for-pretraining');
    dispose(second);
    expect(server.requests).toEqual([]);

    const other = await errorOf(loadCheckpoint('tfkit/bert-for-pretraining', { ...options, revision: 'v2' }));
    expect(other.message).toBe(`tfkit/bert-for-pretraining: file "config.json" not found at ${server.url}/tfkit/bert-for-pretraining/resolve/v2/config.json`);
  });

  it('loads a cached hub checkpoint with the server stopped, and with localFilesOnly', async () => {
    const own = await startServer(modelsDir);
    const cacheDir = tempDir();
    const options = { remoteHost: own.url, cacheDir };
    dispose(await loadCheckpoint('tfkit/gpt2-lm', options));
    dispose(await loadCheckpoint('tfkit/bert-question-answering', options));
    await own.close();

    const offline = await loadCheckpoint('tfkit/gpt2-lm', options);
    await expectSameAsLocal(offline, 'gpt2-lm');
    dispose(offline);
    const local = await loadCheckpoint('tfkit/bert-question-answering', { ...options, localFilesOnly: true });
    expect(local.generationConfig).toBeUndefined();
    await expectSameAsLocal(local, 'bert-question-answering');
    dispose(local);

    const notCached = await errorOf(loadCheckpoint('tfkit/vit-image-classification', { ...options, localFilesOnly: true }));
    expect(notCached.message).toMatch(/^tfkit\/vit-image-classification: file "config.json" not found in .* and localFilesOnly forbids downloading it$/);
    const unreachable = await errorOf(loadCheckpoint('tfkit/vit-image-classification', options));
    expect(unreachable.message).toMatch(/could not fetch "config.json"/);
  });

  it('works without a cache (cacheDir: false), fetching every time', async () => {
    let calls = 0;
    const counting: typeof fetch = (input, init) => (calls++, fetch(input, init));
    const options = { remoteHost: server.url, cacheDir: false as const, fetch: counting };
    dispose(await loadCheckpoint('tfkit/gpt2-lm', options));
    const once = calls;
    dispose(await loadCheckpoint('tfkit/gpt2-lm', options));
    expect(calls).toBe(2 * once);
    expect((await errorOf(loadCheckpoint('tfkit/gpt2-lm', { ...options, localFilesOnly: true }))).message).toMatch(/any cache \(caching is off\)/);
  });
});
