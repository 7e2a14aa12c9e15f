/**
 * Sources that misbehave: servers that drip, hang, lie about sizes, cut bodies short or answer
 * garbage with HTTP 200, and ids or revisions that try to leave the cache. Every server here
 * listens on 127.0.0.1 only and every test bounds its own waiting (timers of a few hundred ms);
 * no result depends on how fast the machine is.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { expectNoLeaks, fixturePath, tempFolders } from '@tfkit/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError, ConfigError, FileTooLargeError, SafetensorsError, SourceAbortedError, SourceTimeoutError, TfkitError, UnsafePathError } from '../errors.js';
import { loadCheckpoint } from './checkpoint.js';
import { openSource } from './sources.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, file: string) => void;

/**
 * One server for the file; `handler` decides each answer. `file` is the last path segment
 * (the file name asked for); `requests` records `METHOD path`.
 */
let handler: Handler;
const requests: string[] = [];
let server: http.Server;
let base: string;
const timers = new Set<ReturnType<typeof setInterval>>();
/** Responses still open; afterEach ends them (only them: an idle pooled connection must stay usable). */
const unfinished = new Set<http.ServerResponse>();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    unfinished.add(res);
    res.on('close', () => unfinished.delete(res));
    handler(req, res, decodeURIComponent((req.url ?? '/').split('/').pop() ?? ''));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(() => {
  timers.forEach((t) => clearInterval(t));
  timers.clear();
  unfinished.forEach((res) => res.destroy());
  requests.length = 0;
});
afterAll(
  () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
);

const fixture = (name: string) => fixturePath('models', 'gpt2-lm', name);
const good = (name: string) => fs.readFileSync(fixture(name));

/** Serves the gpt2-lm fixture's files with Content-Length; 404 for the rest. */
const serveFixture: Handler = (req, res, file) => {
  if (!fs.existsSync(fixture(file))) return void res.writeHead(404).end();
  const body = good(file);
  res.writeHead(200, { 'content-length': body.length });
  res.end(req.method === 'HEAD' ? undefined : body);
};

/** Sends headers (no length: chunked), then one byte every 20 ms until the client goes away. */
const drip: Handler = (req, res) => {
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  if (req.method === 'HEAD') return void res.end();
  const timer = setInterval(() => res.write('x'), 20);
  timers.add(timer);
  res.on('close', () => clearInterval(timer));
};

const tempDir = tempFolders('hostile');

/** Every file under `dir`, relative, sorted. */
function listAll(dir: string): string[] {
  return fs.existsSync(dir) ? (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort() : [];
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TfkitError);
  return error as Error;
}

describe('timeouts and abort', () => {
  it('stops a server that drips one byte at a time after stallTimeout, naming the URL and the limit', async () => {
    handler = drip;
    const source = await openSource(`${base}/plain`, { stallTimeout: 300 });
    const error = await rejection(source.read('model.safetensors'));
    expect(error).toBeInstanceOf(SourceTimeoutError);
    expect(error).toMatchObject({ url: `${base}/plain/model.safetensors`, timeoutMs: 300, kind: 'stall' });
    // Before or after the response arrives, depending on the machine: both name the URL and the limit.
    expect(error.message).toMatch(new RegExp(`^${base}/plain/model\\.safetensors: no (response or body|next 64 KiB of the body \\(\\d+ bytes received\\)) for stallTimeout 300 ms; stopped`));

    // A body that stops after 5 bytes (the response is there at once): the message says how far it got.
    const stuck: typeof fetch = async () => new Response(new ReadableStream({ start: (c) => c.enqueue(new Uint8Array(5)) }), { status: 200 });
    const partial = await rejection((await openSource(`${base}/plain`, { stallTimeout: 300, fetch: stuck })).read('model.safetensors'));
    expect(partial.message).toBe(
      `${base}/plain/model.safetensors: no next 64 KiB of the body (5 bytes received) for stallTimeout 300 ms; stopped. The server is unreachable or too slow: retry, or raise stallTimeout.`,
    );
  });

  it('stops a server that never answers, and a body that keeps coming past the total timeout', async () => {
    handler = () => undefined; // accepts the request, never responds
    const silent = await openSource(`${base}/plain`, { stallTimeout: 300 });
    const error = await rejection(silent.readJson('config.json'));
    expect(error).toMatchObject({ kind: 'stall', timeoutMs: 300 });
    expect(error.message).toMatch(/no response or body for stallTimeout 300 ms/);

    handler = (req, res) => {
      res.writeHead(200);
      const timer = setInterval(() => res.write(new Uint8Array(64 * 1024)), 20); // steady progress, never ends
      timers.add(timer);
      res.on('close', () => clearInterval(timer));
    };
    const endless = await openSource(`${base}/plain`, { timeout: 400 });
    const total = await rejection(endless.read('model.safetensors'));
    expect(total).toBeInstanceOf(SourceTimeoutError);
    expect(total).toMatchObject({ kind: 'total', timeoutMs: 400 });
    expect(total.message).toMatch(/took longer than timeout 400 ms/);
  });

  it('aborts through the caller\'s signal, even a fetch that ignores it; an aborted signal sends nothing', async () => {
    handler = drip;
    const controller = new AbortController();
    const source = await openSource(`${base}/plain`, { signal: controller.signal });
    const pending = source.read('model.safetensors');
    setTimeout(() => controller.abort(new Error('user cancelled')), 100);
    const error = await rejection(pending);
    expect(error).toBeInstanceOf(SourceAbortedError);
    expect((error.cause as Error).message).toBe('user cancelled');

    const hung = new AbortController();
    const deaf = await openSource(`${base}/plain`, { signal: hung.signal, fetch: () => new Promise<Response>(() => undefined) });
    const waiting = deaf.readJson('config.json');
    hung.abort();
    expect(await rejection(waiting)).toBeInstanceOf(SourceAbortedError);

    requests.length = 0;
    const already = await openSource('tfkit/gpt2-lm', { remoteHost: base, cacheDir: tempDir(), signal: AbortSignal.abort() });
    expect(await rejection(already.read('config.json'))).toBeInstanceOf(SourceAbortedError);
    expect(requests).toEqual([]);
  });

  it('rejects nonsense limits with a ConfigError', async () => {
    for (const options of [{ timeout: -1 }, { stallTimeout: 0 }, { maxFileSize: 'lots' }, { maxTextSize: -5 }, { signal: {} as AbortSignal }]) {
      await expect(openSource(`${base}/plain`, options), JSON.stringify(options)).rejects.toBeInstanceOf(ConfigError);
    }
  });
});

describe('size limits', () => {
  it('refuses a huge Content-Length before reading the body', async () => {
    // Headers announce 10 GB, then nothing more arrives: reading the body would wait for the
    // (60 s) stall timeout, past this test's limit; refusing up front answers at once.
    handler = (req, res) => {
      res.writeHead(200, { 'content-length': 10_000_000_000 });
      res.write(new Uint8Array(1024));
    };
    const cacheDir = tempDir();
    for (const source of [await openSource(`${base}/plain`, { stallTimeout: 60_000 }), await openSource('tfkit/big', { remoteHost: base, cacheDir, stallTimeout: 60_000 })]) {
      const error = await rejection(source.read('model.safetensors'));
      expect(error).toBeInstanceOf(FileTooLargeError);
      expect(error).toMatchObject({ size: 10_000_000_000, limit: 4 * 2 ** 30 });
      expect(error.message).toMatch(/model\.safetensors: Content-Length 10000000000 \(9\.31 GiB\) is over the maxFileSize limit of 4 GiB; refused/);
      // JSON files have their own, smaller limit.
      const json = await rejection(source.readJson('config.json'));
      expect(json.message).toMatch(/config\.json: Content-Length 10000000000 .* over the maxTextSize limit of 64 MiB/);
    }
    expect(listAll(cacheDir)).toEqual([]);
  }, 20_000);

  it('stops a body without Content-Length once it streams past the limit, caching nothing', async () => {
    handler = (req, res) => {
      res.writeHead(200);
      const timer = setInterval(() => res.write(new Uint8Array(256 * 1024)), 5);
      timers.add(timer);
      res.on('close', () => clearInterval(timer));
    };
    const cacheDir = tempDir();
    const source = await openSource('tfkit/endless', { remoteHost: base, cacheDir, maxFileSize: '1MiB' });
    const error = await rejection(source.read('model.safetensors'));
    expect(error).toBeInstanceOf(FileTooLargeError);
    expect((error as FileTooLargeError).size).toBeGreaterThan(2 ** 20);
    expect(error.message).toMatch(/the body streamed past \d+ bytes, over the maxFileSize limit of 1 MiB/);
    expect(listAll(cacheDir)).toEqual([]);
  });

  it('applies the limits to local files too', async () => {
    const dir = fixturePath('models', 'gpt2-lm');
    const error = await rejection(loadCheckpoint(dir, { maxTextSize: 100 }));
    expect(error).toBeInstanceOf(FileTooLargeError);
    expect(error.message).toBe(`${dir}/config.json: ${fs.statSync(fixture('config.json')).size} bytes is over the maxTextSize limit of 100 bytes; pass a larger maxTextSize if the file is expected.`);
    expect(await rejection(loadCheckpoint(dir, { maxFileSize: '1KiB' }))).toMatchObject({ limit: 1024, file: `${dir}/model.safetensors` });
  });
});

describe('the hub cache takes only complete, verified files', () => {
  it('does not cache a body cut short (with or without Content-Length); the next call downloads again', async () => {
    const weights = good('model.safetensors');
    let withLength = true;
    handler = (req, res, file) => {
      if (file !== 'model.safetensors') return serveFixture(req, res, file);
      res.writeHead(200, withLength ? { 'content-length': weights.length } : {});
      res.write(weights.subarray(0, weights.length >> 1));
      if (withLength) res.socket?.destroy();
      else res.end(); // a clean end: only the safetensors header can tell it is short
    };
    const cacheDir = tempDir();
    const options = { remoteHost: base, cacheDir };
    const cut = await rejection(loadCheckpoint('tfkit/gpt2-lm', options));
    expect(cut).toBeInstanceOf(CheckpointError);
    // Whether the cut lands before or after the response headers reach fetch, the error names the file.
    expect(cut.message).toMatch(new RegExp(`${base}/tfkit/gpt2-lm/resolve/main/model\\.safetensors(: the download broke off after \\d+ of ${weights.length} bytes|: the download is truncated|: fetch failed)`));

    withLength = false;
    const short = await rejection(loadCheckpoint('tfkit/gpt2-lm', options));
    expect(short).toBeInstanceOf(SafetensorsError);
    expect(short.message).toMatch(/model\.safetensors \(download; not cached\) \(tensor "[\w.]+"\): "data_offsets" \[\d+, \d+\] run past the end of the data/);
    expect(listAll(cacheDir).filter((f) => !f.startsWith('127'))).toEqual([]);
    expect(listAll(cacheDir).map((f) => path.basename(f))).not.toContain('model.safetensors');
    expect(listAll(cacheDir).some((f) => f.endsWith('.tmp'))).toBe(false);

    handler = serveFixture;
    requests.length = 0;
    await expectNoLeaks(async () => {
      const checkpoint = await loadCheckpoint('tfkit/gpt2-lm', options);
      checkpoint.weights.forEach((t) => t.dispose());
    });
    expect(requests).toContain('GET /tfkit/gpt2-lm/resolve/main/model.safetensors');
  });

  it('does not cache garbage served with HTTP 200, and says so; a second call asks the server again', async () => {
    handler = (req, res) => {
      const body = '<html><body>SECRET-PAGE: rate limited</body></html>';
      res.writeHead(200, { 'content-length': Buffer.byteLength(body), 'content-type': 'text/html' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const cacheDir = tempDir();
    for (let attempt = 0; attempt < 2; attempt++) {
      requests.length = 0;
      const error = await rejection(loadCheckpoint('tfkit/gpt2-lm', { remoteHost: base, cacheDir }));
      expect(error.message).toBe(`${base}/tfkit/gpt2-lm/resolve/main/config.json (download; not cached): not valid JSON (line 1, column 1 (character 0))`);
      expect(error.message).not.toMatch(/SECRET|html/);
      expect(requests).toEqual(['GET /tfkit/gpt2-lm/resolve/main/config.json']);
    }
    const weights = await rejection((await openSource('tfkit/gpt2-lm', { remoteHost: base, cacheDir })).read('model.safetensors'));
    expect(weights).toBeInstanceOf(SafetensorsError);
    expect(weights.message).toMatch(/model\.safetensors \(download; not cached\): the header length \d+ runs past the end of the file/);
    expect(listAll(cacheDir)).toEqual([]);
  });

  it('names the cached file\'s path when a file already in the cache turns out corrupt', async () => {
    handler = serveFixture;
    const cacheDir = tempDir();
    const options = { remoteHost: base, cacheDir };
    (await loadCheckpoint('tfkit/gpt2-lm', options)).weights.forEach((t) => t.dispose());
    const cached = path.join(cacheDir, new URL(base).host.replace(':', '_'), 'tfkit', 'gpt2-lm', 'main');
    // Damage after the fact (a disk error, a hand edit): the message says which file to delete.
    const weights = path.join(cached, 'model.safetensors');
    fs.truncateSync(weights, fs.statSync(weights).size - 10);
    const error = await rejection(loadCheckpoint('tfkit/gpt2-lm', options));
    expect(error).toBeInstanceOf(SafetensorsError);
    expect(error.message).toMatch(`${weights} (cached tfkit/gpt2-lm/model.safetensors at revision main; delete it to download again)`);
    fs.writeFileSync(path.join(cached, 'config.json'), '{"model_type": ');
    const config = await rejection(loadCheckpoint('tfkit/gpt2-lm', options));
    expect(config).toBeInstanceOf(ConfigError);
    expect(config.message).toBe(`${path.join(cached, 'config.json')} (cached tfkit/gpt2-lm/config.json at revision main; delete it to download again): not valid JSON (the text ends early (after 15 characters))`);
  });
});

describe('ids, revisions and file names stay inside the cache', () => {
  it('refuses path-like revisions before any request, and keeps valid ones (refs/pr/1) in one folder', async () => {
    handler = serveFixture;
    const root = tempDir();
    const cacheDir = path.join(root, 'cache');
    for (const revision of ['..', '.', '../../x', 'a/../../b', '/etc', 'a\\b', 'x\0y', '', 'main/', 'a//b', '.hidden', 'v1.lock', 'a b']) {
      const error = await rejection(loadCheckpoint('tfkit/gpt2-lm', { remoteHost: base, cacheDir, revision }));
      expect(error, JSON.stringify(revision)).toBeInstanceOf(UnsafePathError);
      expect(error.message).toMatch(/^revision .* is not a valid branch, tag or commit name/);
    }
    expect(requests).toEqual([]);
    expect(listAll(root)).toEqual([]);

    const checkpoint = await loadCheckpoint('tfkit/gpt2-lm', { remoteHost: base, cacheDir, revision: 'refs/pr/1' });
    checkpoint.weights.forEach((t) => t.dispose());
    expect(requests).toContain('GET /tfkit/gpt2-lm/resolve/refs%2Fpr%2F1/config.json');
    expect(listAll(root).filter((f) => !f.includes('.no_exist'))).toEqual(
      ['config.json', 'generation_config.json', 'model.safetensors'].map((f) => path.join('cache', new URL(base).host.replace(':', '_'), 'tfkit', 'gpt2-lm', 'refs%2Fpr%2F1', f)),
    );
  });

  it('refuses ids and file names that are paths', async () => {
    handler = serveFixture;
    const cacheDir = tempDir();
    for (const id of ['a/../../b', '../x', '/no/such/dir', 'a\\b', 'x\0y']) {
      expect(await rejection(openSource(id, { remoteHost: base, cacheDir })), JSON.stringify(id)).toBeInstanceOf(UnsafePathError);
    }
    for (const id of ['org/na--me', 'org/name.', '-org/name', 'a/b/c', 'org/name.git', 'x'.repeat(97)]) {
      const error = await rejection(openSource(id, { remoteHost: base, cacheDir }));
      expect(error, id).toBeInstanceOf(CheckpointError);
      expect(error.message).toMatch(/not an existing directory, an http\(s\) URL, nor a hub id like "org\/name" \(as a hub id: /);
    }
    const source = await openSource('tfkit/gpt2-lm', { remoteHost: base, cacheDir });
    for (const name of ['../config.json', '/etc/passwd', 'a\0b', 'a/./b', '..']) {
      expect(await rejection(source.read(name)), JSON.stringify(name)).toBeInstanceOf(UnsafePathError);
    }
    await expect(openSource('tfkit/gpt2-lm', { remoteHost: 'ftp://x' })).rejects.toBeInstanceOf(ConfigError);
    expect(requests).toEqual([]);
    expect(listAll(cacheDir)).toEqual([]);
  });
});
