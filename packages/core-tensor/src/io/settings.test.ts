import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DownloadProgress } from '../download-progress.js';
import { CheckpointError, ConfigError, SafetensorsError } from '../errors.js';
import { serializeSafetensors } from '../safetensors/format.js';
import { configure, resetSettings, settings } from './settings.js';
import { openSource } from './sources.js';

/** A server over in-memory files (`/path` → bytes), recording each request with its Authorization header. */
interface Server {
  url: string;
  files: Map<string, Uint8Array>;
  requests: { method: string; path: string; authorization: string | undefined }[];
  close(): Promise<void>;
}

async function startServer(): Promise<Server> {
  const files = new Map<string, Uint8Array>();
  const requests: Server['requests'] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push({ method: req.method ?? '?', path: `${url.pathname}${url.search}`, authorization: req.headers.authorization });
    const body = files.get(url.pathname);
    if (!body) return void res.writeHead(404, 'Not Found').end();
    res.writeHead(200, { 'content-length': body.byteLength });
    if (req.method === 'HEAD') return void res.end();
    // In three pieces, so progress has steps.
    const third = Math.ceil(body.byteLength / 3);
    res.write(body.subarray(0, third));
    res.write(body.subarray(third, 2 * third));
    res.end(body.subarray(2 * third));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    files,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

const weights = serializeSafetensors({ w: { dtype: 'F32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) } });
const config = new TextEncoder().encode(JSON.stringify({ model_type: 'test', hidden_size: 4 }));

let server: Server;
const temps: string[] = [];
const temp = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-settings-'));
  temps.push(dir);
  return dir;
};
const saved = { ...process.env };

beforeAll(async () => {
  server = await startServer();
  for (const prefix of ['/org/model/resolve/main', '/plain/model']) {
    server.files.set(`${prefix}/config.json`, config);
    server.files.set(`${prefix}/model.safetensors`, weights);
  }
  // Announces a header longer than the file: verification must refuse it.
  const broken = weights.slice();
  new DataView(broken.buffer).setUint32(0, 1_000_000, true);
  server.files.set('/broken/model.safetensors', broken);
});
afterAll(async () => {
  await server.close();
  for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  server.requests.length = 0;
  resetSettings();
  for (const name of ['HF_TOKEN', 'HF_HUB_OFFLINE', 'HF_ENDPOINT']) delete process.env[name];
  process.env['TFKIT_CACHE'] = temp();
});
afterEach(() => {
  resetSettings();
  process.env = { ...saved };
});

describe('settings', () => {
  it('read hub ids from settings.remoteHost and send settings.token to the hub only', async () => {
    configure({ remoteHost: server.url, token: 'hf_secret' });
    const hub = await openSource('org/model');
    expect(new TextDecoder().decode(await hub.read('config.json'))).toBe(new TextDecoder().decode(config));
    const plain = await openSource(`${server.url}/plain/model`);
    await plain.read('config.json');
    const gets = server.requests.filter((r) => r.method === 'GET');
    expect(gets.map((r) => [r.path, r.authorization])).toEqual([
      ['/org/model/resolve/main/config.json', 'Bearer hf_secret'],
      ['/plain/model/config.json', undefined],
    ]);
  });

  it('take the token from HF_TOKEN in Node, and an explicit Authorization header over both', async () => {
    process.env['HF_TOKEN'] = 'from-env';
    process.env['HF_ENDPOINT'] = server.url;
    await (await openSource('org/model')).read('config.json');
    await (await openSource('org/model', { headers: { authorization: 'Bearer mine' }, cacheDir: false })).read('config.json');
    await (await openSource('org/model', { token: 'option', cacheDir: false })).read('config.json');
    expect(server.requests.filter((r) => r.method === 'GET').map((r) => r.authorization)).toEqual(['Bearer from-env', 'Bearer mine', 'Bearer option']);
  });

  it('put downloads in settings.cacheDir (over TFKIT_CACHE), and options.cacheDir over both', async () => {
    const dir = temp();
    settings.cacheDir = dir;
    settings.remoteHost = server.url;
    await (await openSource('org/model')).read('model.safetensors');
    const host = `127.0.0.1_${new URL(server.url).port}`;
    expect(fs.readFileSync(path.join(dir, host, 'org/model/main/model.safetensors'))).toEqual(Buffer.from(weights));
    expect(fs.readdirSync(process.env['TFKIT_CACHE']!)).toEqual([]);
    const mine = temp();
    await (await openSource('org/model', { cacheDir: mine })).read('config.json');
    expect(fs.existsSync(path.join(mine, host, 'org/model/main/config.json'))).toBe(true);
  });

  it('localFilesOnly (the setting or HF_HUB_OFFLINE=1) reads the cache and never the network', async () => {
    settings.remoteHost = server.url;
    await (await openSource('org/model')).read('config.json');
    server.requests.length = 0;
    settings.localFilesOnly = true;
    const offline = await openSource('org/model');
    expect(await offline.read('config.json')).toEqual(config);
    await expect(offline.read('model.safetensors')).rejects.toThrow(CheckpointError);
    await expect(offline.read('model.safetensors')).rejects.toThrow(/localFilesOnly forbids downloading it/);
    settings.localFilesOnly = undefined;
    process.env['HF_HUB_OFFLINE'] = '1';
    await expect((await openSource('org/model')).read('model.safetensors')).rejects.toThrow(/localFilesOnly/);
    expect(server.requests).toEqual([]);
    // An explicit option wins over the environment.
    expect(await (await openSource('org/model', { localFilesOnly: false })).read('model.safetensors')).toEqual(weights);
  });

  it('allowRemote = false refuses URLs and hub ids with a ConfigError, and local folders still load', async () => {
    settings.allowRemote = false;
    await expect(openSource(`${server.url}/plain/model`)).rejects.toThrow(ConfigError);
    await expect(openSource('org/model')).rejects.toThrow(/allowRemote is false/);
    const dir = temp();
    fs.writeFileSync(path.join(dir, 'config.json'), config);
    expect(await (await openSource(dir)).read('config.json')).toEqual(config);
    expect(server.requests).toEqual([]);
  });

  it('configure refuses unknown names and resetSettings restores the defaults', () => {
    expect(() => configure({ cache_dir: '/x' } as never)).toThrow(ConfigError);
    expect(() => configure({ cache_dir: '/x' } as never)).toThrow(/unknown setting "cache_dir"; known: cacheDir/);
    configure({ cacheDir: '/x', allowRemote: false });
    resetSettings();
    expect(settings).toEqual({ cacheDir: undefined, remoteHost: undefined, token: undefined, localFilesOnly: undefined, allowRemote: true, onProgress: undefined });
  });
});

describe('plain URL sources', () => {
  it('are cached: a second source reads the cache, also offline', async () => {
    const url = `${server.url}/plain/model`;
    expect(await (await openSource(url)).read('model.safetensors')).toEqual(weights);
    const cached = path.join(process.env['TFKIT_CACHE']!, '@url', `127.0.0.1_${new URL(server.url).port}`, 'plain/model/model.safetensors');
    expect(fs.readFileSync(cached)).toEqual(Buffer.from(weights));
    server.requests.length = 0;
    expect(await (await openSource(url)).read('model.safetensors')).toEqual(weights);
    expect(await (await openSource(url, { localFilesOnly: true })).read('model.safetensors')).toEqual(weights);
    expect(server.requests).toEqual([]);
    // An error names the cached copy, as for hub files.
    fs.writeFileSync(cached, 'x'.repeat(20));
    await expect((await openSource(url, { maxFileSize: 10 })).read('model.safetensors')).rejects.toThrow(`${cached} (cached ${url}/model.safetensors; delete it to download again)`);
  });

  it('cache nothing that fails verification, nor with cacheDir: false or a query string', async () => {
    const broken = `${server.url}/broken`;
    await expect((await openSource(broken)).read('model.safetensors')).rejects.toThrow(SafetensorsError);
    await expect((await openSource(broken)).read('model.safetensors')).rejects.toThrow(SafetensorsError);
    expect(server.requests.filter((r) => r.method === 'GET')).toHaveLength(2);
    const cache = process.env['TFKIT_CACHE']!;
    const files = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [e.name]));
    expect(files(cache)).toEqual([]);
    await (await openSource(`${server.url}/plain/model`, { cacheDir: false })).read('config.json');
    expect(files(cache)).toEqual([]);
    server.requests.length = 0;
    await (await openSource(`${server.url}/plain/model?v=1`)).read('config.json').catch(() => undefined);
    expect(files(cache)).toEqual([]);
  });
});

describe('onProgress', () => {
  it('reports a URL download as it streams, then the cached copy as it is read', async () => {
    const events: DownloadProgress[] = [];
    const url = `${server.url}/plain/model`;
    await (await openSource(url, { onProgress: (p) => events.push(p) })).read('model.safetensors');
    const size = weights.byteLength;
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(events.map((e) => e.loaded)).toEqual([...events.map((e) => e.loaded)].sort((a, b) => a - b));
    expect(events.every((e) => e.file === 'model.safetensors' && e.total === size && e.url === `${url}/model.safetensors`)).toBe(true);
    expect(events.filter((e) => e.done)).toEqual([{ file: 'model.safetensors', url: `${url}/model.safetensors`, loaded: size, total: size, done: true }]);

    events.length = 0;
    await (await openSource(url, { onProgress: (p) => events.push(p) })).read('model.safetensors');
    expect(events).toEqual([{ file: 'model.safetensors', url: expect.stringContaining(path.join('plain', 'model', 'model.safetensors')), loaded: size, total: size, done: true }]);
  });

  it('reports local folder reads and hub downloads through settings.onProgress; a throwing callback breaks nothing', async () => {
    const events: DownloadProgress[] = [];
    settings.onProgress = (p) => {
      events.push(p);
      throw new Error('display broke');
    };
    const dir = temp();
    fs.writeFileSync(path.join(dir, 'model.safetensors'), weights);
    expect(await (await openSource(dir)).read('model.safetensors')).toEqual(weights);
    expect(events).toEqual([{ file: 'model.safetensors', url: path.join(dir, 'model.safetensors'), loaded: weights.byteLength, total: weights.byteLength, done: true }]);
    events.length = 0;
    settings.remoteHost = server.url;
    expect(await (await openSource('org/model')).read('config.json')).toEqual(config);
    expect(events.at(-1)).toEqual({ file: 'config.json', url: `${server.url}/org/model/resolve/main/config.json`, loaded: config.byteLength, total: config.byteLength, done: true });
  });
});
