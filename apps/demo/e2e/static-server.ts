/**
 * A minimal static file server (GET and HEAD, no directory listings) for the end-to-end test: the
 * built site must work from any plain server, without Vite's preview middleware.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

export interface StaticServer {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  /** Paths requested so far, with their status (to check what the page fetched). */
  requests: { method: string; path: string; status: number }[];
  close(): Promise<void>;
}

/** Serves `root` on 127.0.0.1 at a free port; paths in `hide` answer 404 (a site missing a file). */
export async function serveStatic(root: string, headers: Record<string, string> = {}, hide: string[] = []): Promise<StaticServer> {
  const base = path.resolve(root);
  const requests: StaticServer['requests'] = [];
  const server = http.createServer((req, res) => {
    const send = (status: number, body?: string) => {
      requests.push({ method: req.method ?? '', path: req.url ?? '', status });
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed');
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    let file = path.join(base, pathname);
    if (!file.startsWith(base + path.sep) && file !== base) return send(403, 'forbidden');
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    if (hide.includes(pathname) || !fs.existsSync(file) || !fs.statSync(file).isFile()) return send(404, 'not found');
    requests.push({ method: req.method, path: req.url ?? '', status: 200 });
    res.writeHead(200, {
      'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'Content-Length': fs.statSync(file).size,
      ...headers,
    });
    if (req.method === 'HEAD') return res.end();
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
