/**
 * What the Chromium benchmarks share (packages/onnx/bench/browser.bench.ts,
 * packages/finetune/bench/bert-base-memory.browser.run.ts): a local server for a bundled page and
 * the files it fetches, cross-origin isolated by default, and the CPU time of the Chromium they
 * launched. Node only (`@tfkit/test-utils/chromium-bench`).
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export interface PageServer {
  url: string;
  /** Every path requested, in order. */
  fetched: string[];
  close(): Promise<void>;
}

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.onnx': 'application/octet-stream', '.html': 'text/html' };

/**
 * Serves `/` (a page that loads `/page.js`), `/page.js` (`pageJs`) and the files `file(url)` maps a
 * path to (undefined: 404), with `Cross-Origin-Opener-Policy`/`-Embedder-Policy` when `coi` (default)
 * so that the page may use threads.
 */
export async function servePage(pageJs: string, options: { title: string; file?: (url: string) => string | undefined; coi?: boolean }): Promise<PageServer> {
  const fetched: string[] = [];
  const html = `<!doctype html><meta charset="utf-8"><title>${options.title}</title><script type="module" src="/page.js"></script>`;
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    fetched.push(url);
    if (options.coi !== false) {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    }
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader('Cache-Control', 'no-store');
    if (url === '/favicon.ico') {
      res.writeHead(204);
      res.end();
      return;
    }
    const body = url === '/' || url === '/index.html' ? html : url === '/page.js' ? pageJs : undefined;
    const file = body === undefined ? options.file?.(url) : undefined;
    const type = TYPES[path.extname(url) || '.html'] ?? 'application/octet-stream';
    if (body !== undefined) {
      res.writeHead(200, { 'Content-Type': type });
      res.end(body);
    } else if (file && fs.existsSync(file)) {
      res.writeHead(200, { 'Content-Type': type, 'Content-Length': fs.statSync(file).size });
      fs.createReadStream(file).pipe(res);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, fetched, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/**
 * CPU time in ms (user + system, all threads) of the Chromium launched with the switch `marker`:
 * every process whose command line names that browser's profile folder (found on the first call
 * that sees the browser process). `byThread`: CPU ms per thread name (CrRendererMain,
 * DedicatedWorker, …) summed over processes. Undefined where /proc is missing or the browser is
 * not (yet) found. Less sensitive to other jobs on the machine than wall-clock time, and it shows
 * threads that spin while they wait.
 */
export function chromiumCpu(marker: string): (byThread?: Map<string, number>) => number | undefined {
  // Chromium rewrites its children's argv into one space-separated string: match substrings.
  const cmdline = (pid: string) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      return '';
    }
  };
  const pids = () => fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  const tick = 1000 / 100; // USER_HZ
  const cpuOf = (statFile: string) => {
    const fields = fs.readFileSync(statFile, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * tick;
  };
  let profile: string | undefined;
  return (byThread) => {
    if (!fs.existsSync('/proc/self/stat')) return undefined;
    if (!profile) {
      const main = pids().find((pid) => cmdline(pid).includes(marker));
      profile = main && /--user-data-dir=[^\0 ]+/.exec(cmdline(main))?.[0];
      if (!profile) return undefined;
    }
    let ms = 0;
    for (const pid of pids()) {
      if (!cmdline(pid).includes(profile)) continue;
      try {
        ms += cpuOf(`/proc/${pid}/stat`);
        if (byThread) {
          for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
            const comm = fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
            byThread.set(comm, (byThread.get(comm) ?? 0) + cpuOf(`/proc/${pid}/task/${tid}/stat`));
          }
        }
      } catch {
        // exited meanwhile
      }
    }
    return ms;
  };
}
