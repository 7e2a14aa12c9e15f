/**
 * Tokens per second of the embedded tiny GPT-2 (packages/all/assets/tiny-gpt2) through `generate`:
 * this tree against another checkout (issue #17's baseline: commit 4e90ec1, the end of wave 1),
 * as same-run ratios, in Node and in Chromium.
 *
 * Each version runs in its own process (Node: a child `node`; page: a fresh headless Chromium).
 * Per round both processes start and stay alive together: each loads the same model files,
 * activates tfjs-backend-wasm through `useBackend(registry, 'wasm', { threads: 1 })` and warms up
 * with one `generate`; then their REPS timed greedy `generate`s of 100 new tokens after a fixed
 * prompt (tokenized by each version's tokenizer) alternate — old, new, old, new, … (new first on
 * odd rounds) — so both see the same moments of a shared machine's load. Per round: the median over
 * the reps of tokens/s by wall-clock time and by CPU time (Node: the child's `process.cpuUsage()`;
 * page: user + system time of Chromium's renderer processes, from /proc), and new ÷ old; then the
 * median (min–max) over the rounds. The generated ids must be identical between the versions in
 * every rep (the script fails otherwise). Model files: pass a copy with --model if someone may
 * rewrite packages/all/assets/tiny-gpt2 meanwhile.
 *
 * The code of each version is bundled with esbuild from its sources (`@tfkit/*` → packages/x/src,
 * like the tests' aliases; tfjs stays external in Node, resolved from the version's own
 * packages/backends/node_modules, and is bundled into the page), written to each tree's
 * packages/backends/node_modules/.tfkit-bench/ (ignored by git).
 *
 *   git worktree add --detach /tmp/tfkit-w1 4e90ec1
 *   (cd /tmp/tfkit-w1 && pnpm install --offline --frozen-lockfile)
 *   nice -n 5 node packages/models-gpt/bench/tokens-vs-wave1.mjs [--old /tmp/tfkit-w1] [--rounds 6]
 *        [--reps 5] [--node-only | --page-only] [--model DIR] [--chromium /usr/bin/chromium]
 *   … --profile: instead, kernel calls per generate of each version (tf.profile), no timing
 *   git worktree remove --force /tmp/tfkit-w1
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const NEW_TOKENS = 100;
const PROMPT = 'It is a truth universally acknowledged, that a single man';
const HERE = import.meta.dirname;
const NEW_ROOT = path.resolve(HERE, '../../..');

const { values: args } = parseArgs({
  options: {
    old: { type: 'string', default: '/tmp/tfkit-w1' },
    model: { type: 'string', default: path.join(NEW_ROOT, 'packages/all/assets/tiny-gpt2') },
    rounds: { type: 'string', default: '6' },
    reps: { type: 'string', default: '5' },
    'node-only': { type: 'boolean', default: false },
    'page-only': { type: 'boolean', default: false },
    chromium: { type: 'string', default: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium' },
    profile: { type: 'boolean', default: false }, // kernel calls per generate (tf.profile), each version once
    child: { type: 'string' }, // internal: run one Node measurement with this bundle
  },
});
const REPS = Number(args.reps);
const ROUNDS = Number(args.rounds);

// What each version's bundle exports (Node) or puts on globalThis.tfkitBench (page).
const ENTRY = `
import * as tf from '@tensorflow/tfjs-core';
import { createRegistry } from '@tfkit/core-tensor';
import { registerAllBackends, useBackend } from '@tfkit/backends';
import { GPT2LMHeadModel } from '@tfkit/models-gpt';
import { generate } from '@tfkit/generation';
import { Tokenizer } from '@tfkit/tokenizers';
let model, promptIds;
export async function setup(modelSource, wasmPaths) {
  const registry = createRegistry();
  registerAllBackends(registry);
  const activation = await useBackend(registry, 'wasm', wasmPaths === undefined ? { threads: 1 } : { threads: 1, wasmPaths });
  const tokenizer = await Tokenizer.fromPretrained(modelSource);
  promptIds = tokenizer.encode(${JSON.stringify(PROMPT)}).ids;
  model = await GPT2LMHeadModel.fromPretrained(modelSource);
  return { activation, promptIds: Array.from(promptIds) };
}
export async function run() {
  const t0 = performance.now();
  const out = await generate(model, [Array.from(promptIds)], { maxNewTokens: ${NEW_TOKENS}, minNewTokens: ${NEW_TOKENS}, eosTokenId: undefined, padTokenId: 0, doSample: false });
  return { ms: performance.now() - t0, ids: out.sequences[0], tensors: tf.memory().numTensors };
}
/** One generate under tf.profile: kernel calls and kernel time by name (--profile). */
export async function profileRun() {
  const t0 = performance.now();
  const info = await tf.profile(() => run());
  const byName = {};
  // Custom-gradient scopes are listed too; only registered kernels count.
  const kernels = info.kernels.filter((k) => tf.getKernel(k.name, tf.getBackend()) !== undefined);
  for (const k of kernels) {
    const e = (byName[k.name] ??= { calls: 0, ms: 0 });
    e.calls += 1;
    e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
  }
  return { wallMs: performance.now() - t0, calls: kernels.length, byName };
}
export { tf };
if (typeof window !== 'undefined') globalThis.tfkitBench = { setup, run, profileRun };
`;

/** esbuild plugin: `@tfkit/<name>[/<sub>]` → `<root>/{packages,tooling}/<dir>/src/<entry>.ts` (as tooling/vitest-config). */
function workspacePlugin(root) {
  const map = new Map();
  for (const group of ['packages', 'tooling']) {
    for (const dir of fs.readdirSync(path.join(root, group))) {
      const pkgFile = path.join(root, group, dir, 'package.json');
      if (!fs.existsSync(pkgFile)) continue;
      const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
      if (!pkg.name?.startsWith('@tfkit/')) continue;
      for (const [sub, target] of Object.entries(pkg.exports ?? { '.': './dist/index.js' })) {
        const pick = (t) => (typeof t === 'string' || !t ? t : pick(t.import ?? t.node ?? t.default));
        const built = pick(target);
        if (sub === './package.json' || typeof built !== 'string') continue;
        const file = path.join(root, group, dir, 'src', `${path.basename(built, '.js')}.ts`);
        if (fs.existsSync(file)) map.set(sub === '.' ? pkg.name : `${pkg.name}/${sub.slice(2)}`, file);
      }
    }
  }
  return {
    name: 'tfkit-workspace',
    setup(build) {
      build.onResolve({ filter: /^@tfkit\// }, (a) => (map.has(a.path) ? { path: map.get(a.path) } : undefined));
      // tfjs-core's deep imports (register_all_gradients) need their extension as external ES modules.
      if (build.initialOptions.platform === 'node') {
        build.onResolve({ filter: /^@tensorflow\/[^/]+\/dist\/[^.]+$/ }, (a) => ({ path: `${a.path}.js`, external: true }));
      }
    },
  };
}

async function bundle(root, platform) {
  const esbuild = await import('esbuild');
  // Node: next to the version's @tensorflow packages, so the external imports resolve to them.
  const outDir = path.join(root, 'packages/backends/node_modules/.tfkit-bench');
  fs.mkdirSync(outDir, { recursive: true });
  const outfile = path.join(outDir, platform === 'node' ? 'decode-entry.mjs' : 'decode-page.js');
  await esbuild.build({
    stdin: { contents: ENTRY, resolveDir: path.join(root, 'packages/backends'), loader: 'js' },
    bundle: true, format: 'esm', platform, target: 'es2022', outfile, logLevel: 'error',
    plugins: [workspacePlugin(root)],
    ...(platform === 'node'
      ? { external: ['@tensorflow/*'] }
      : { external: ['node:*', 'fs', 'path', 'os', 'url', 'module', 'worker_threads', 'crypto'], define: { 'process.env.NODE_ENV': '"production"' } }),
  });
  return outfile;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const range = (xs) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;

// ---- child: one Node process of one version, driven by the parent over IPC ----
if (args.child) {
  const m = await import(args.child);
  const info = await m.setup(args.model);
  await m.run(); // warm-up: kernels, XNNPACK operators
  if (args.profile) {
    process.send({ ...(await m.profileRun()), notes: info.activation.notes, promptIds: info.promptIds });
    process.exit(0);
  }
  process.on('message', async () => {
    const c0 = process.cpuUsage();
    const out = await m.run();
    const c = process.cpuUsage(c0);
    process.send({ wall: (NEW_TOKENS * 1000) / out.ms, cpu: (NEW_TOKENS * 1e6) / (c.user + c.system), ids: out.ids, tensors: out.tensors });
  });
  process.send({ notes: info.activation.notes, promptIds: info.promptIds });
}

/** A Node process of one version: `start()` loads and warms up, `rep()` times one generate. */
function nodeRunner(bundleFile) {
  let p;
  let pending;
  const next = () => new Promise((resolve, reject) => (pending = { resolve, reject }));
  return {
    async start() {
      p = spawn(process.execPath, [path.join(HERE, 'tokens-vs-wave1.mjs'), '--child', bundleFile, '--model', args.model], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      p.on('message', (msg) => pending?.resolve(msg));
      p.on('exit', (code) => pending?.reject(new Error(`child exited ${code}`)));
      return next();
    },
    rep() {
      const r = next();
      p.send('run');
      return r;
    },
    async stop() {
      p.removeAllListeners('exit');
      p.kill();
    },
  };
}

// ---- page ----
function serve(roots) {
  const types = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json', '.html': 'text/html' };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><meta charset="utf-8"><title>decode</title>');
      return;
    }
    const [, top, ...rest] = url.pathname.split('/');
    const base = roots[top];
    const file = base && path.join(base, ...rest);
    if (!file || !file.startsWith(base) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** CPU seconds of the Chromium renderer processes below `rootPid` (where the page's JavaScript and wasm run). */
function rendererCpuSeconds(rootPid) {
  let total = 0;
  for (const pid of descendants(rootPid)) {
    try {
      if (!fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer')) continue;
      const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      total += (Number(f[11]) + Number(f[12])) / 100; // USER_HZ
    } catch { /* gone */ }
  }
  return total;
}

function descendants(rootPid) {
  const parent = new Map();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* gone */ }
  }
  return [...parent.keys()].filter((pid) => {
    for (let p = parent.get(pid); p !== undefined; p = parent.get(p)) if (p === rootPid) return true;
    return false;
  });
}

/** A headless Chromium with one page of one version (same interface as nodeRunner). */
function pageRunner(chromium, port, version) {
  let browser;
  let page;
  let pid;
  return {
    async start() {
      const before = new Set(descendants(process.pid));
      browser = await chromium.launch({ executablePath: args.chromium, headless: true, args: ['--no-sandbox'] });
      pid = descendants(process.pid).find((p) => !before.has(p) && fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').length > 1 && !fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('--type='));
      page = await browser.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.addScriptTag({ url: `/${version}-bundle/decode-page.js`, type: 'module' });
      await page.waitForFunction(() => globalThis.tfkitBench !== undefined, null, { timeout: 60_000 }).catch(() => {
        throw new Error(`${version}: the bundle did not load: ${errors.join('; ')}`);
      });
      const info = await page.evaluate(([m, w]) => globalThis.tfkitBench.setup(m, w), [`http://127.0.0.1:${port}/model/`, `http://127.0.0.1:${port}/${version}-wasm/`]);
      await page.evaluate(() => globalThis.tfkitBench.run());
      return { notes: info.activation.notes, promptIds: info.promptIds };
    },
    async rep() {
      const c0 = rendererCpuSeconds(pid ?? process.pid);
      const out = await page.evaluate(() => globalThis.tfkitBench.run());
      const c = rendererCpuSeconds(pid ?? process.pid) - c0;
      return { wall: (NEW_TOKENS * 1000) / out.ms, cpu: NEW_TOKENS / c, ids: out.ids, tensors: out.tensors };
    },
    async stop() {
      await browser.close();
    },
  };
}

// ---- parent ----
/**
 * ROUNDS rounds; each starts a fresh process of each version, then alternates their timed
 * generates (old, new, old, new, … on even rounds; new first on odd ones), so both see the same
 * moments of the machine's load.
 */
async function compare(label, makeRunner) {
  const rows = [];
  let reference;
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ['old', 'new'] : ['new', 'old'];
    const runners = { old: makeRunner('old'), new: makeRunner('new') };
    const info = {};
    const reps = { old: [], new: [] };
    try {
      for (const v of order) info[v] = await runners[v].start();
      for (let i = 0; i < REPS; i++) for (const v of order) reps[v].push(await runners[v].rep());
    } finally {
      for (const v of order) await runners[v].stop();
    }
    for (const v of order) {
      for (const r of reps[v]) {
        const ids = JSON.stringify(r.ids);
        reference ??= ids;
        if (ids !== reference) throw new Error(`${label}: ${v} generated other ids: ${ids} vs ${reference}`);
        if (r.ids.length !== info[v].promptIds.length + NEW_TOKENS) throw new Error(`${label}: ${v} generated ${r.ids.length - info[v].promptIds.length} tokens`);
      }
    }
    const med = (v, k) => median(reps[v].map((r) => r[k]));
    const row = {
      round, order: order.join('→'), load: os.loadavg()[0],
      oldWall: med('old', 'wall'), newWall: med('new', 'wall'), oldCpu: med('old', 'cpu'), newCpu: med('new', 'cpu'),
      tensors: `${reps.old.at(-1).tensors}/${reps.new.at(-1).tensors}`,
    };
    row.ratioWall = row.newWall / row.oldWall;
    row.ratioCpu = row.newCpu / row.oldCpu;
    rows.push(row);
    if (round === 0) console.log(`${label}: old: ${info.old.notes[0]} | new: ${info.new.notes[0]}; prompt ${info.old.promptIds.length} tokens`);
    console.log(`${label} round ${round} (${row.order}, load ${row.load.toFixed(2)}): tokens/s wall old ${row.oldWall.toFixed(0)} new ${row.newWall.toFixed(0)} (${row.ratioWall.toFixed(2)}×), per CPU second old ${row.oldCpu.toFixed(0)} new ${row.newCpu.toFixed(0)} (${row.ratioCpu.toFixed(2)}×), live tensors old/new ${row.tensors}`);
  }
  const col = (k) => rows.map((r) => r[k]);
  console.log(`${label} summary, median (min–max) of ${ROUNDS} rounds × ${REPS} reps:`);
  console.log(`| | old | new | new ÷ old |\n| --- | --- | --- | --- |`);
  console.log(`| tokens/s (wall) | ${median(col('oldWall')).toFixed(0)} (${range(col('oldWall'))}) | ${median(col('newWall')).toFixed(0)} (${range(col('newWall'))}) | **${median(col('ratioWall')).toFixed(2)}×** (${range(col('ratioWall'))}) |`);
  console.log(`| tokens per CPU second | ${median(col('oldCpu')).toFixed(0)} (${range(col('oldCpu'))}) | ${median(col('newCpu')).toFixed(0)} (${range(col('newCpu'))}) | **${median(col('ratioCpu')).toFixed(2)}×** (${range(col('ratioCpu'))}) |`);
  console.log(`load average (1 min) during the run: ${range(col('load'))}`);
  return rows;
}

if (!args.child) await main();

async function main() {
  const oldRoot = path.resolve(args.old);
  const oldCommit = execFileSync('git', ['-C', oldRoot, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  const newCommit = execFileSync('git', ['-C', NEW_ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  const dirty = execFileSync('git', ['-C', NEW_ROOT, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() ? ' + uncommitted changes' : '';
  console.log(`old = ${oldRoot} (${oldCommit}); new = ${NEW_ROOT} (${newCommit}${dirty}); model ${args.model}; Node ${process.version}; ${os.cpus()[0]?.model}, ${os.cpus().length} cores`);

  if (args.profile) {
    for (const [v, root] of [['old', oldRoot], ['new', NEW_ROOT]]) {
      const file = await bundle(root, 'node');
      const p = spawn(process.execPath, [path.join(HERE, 'tokens-vs-wave1.mjs'), '--child', file, '--model', args.model, '--profile'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      const r = await new Promise((resolve) => p.on('message', resolve));
      const top = Object.entries(r.byName).sort((a, b) => b[1].calls - a[1].calls).map(([k, e]) => `${k} ${e.calls}`);
      console.log(`${v}: ${r.calls} kernel calls per generate of ${NEW_TOKENS} tokens after ${r.promptIds.length} (${(r.calls / NEW_TOKENS).toFixed(1)} per token): ${top.join(', ')}`);
    }
    return;
  }
  if (!args['page-only']) {
    const bundles = { old: await bundle(oldRoot, 'node'), new: await bundle(NEW_ROOT, 'node') };
    await compare('node', (v) => nodeRunner(bundles[v]));
  }
  if (!args['node-only']) {
    const require = createRequire(path.join(NEW_ROOT, 'apps/demo/package.json'));
    const { chromium } = require('playwright-core');
    const wasmDir = (root) => path.join(path.dirname(createRequire(path.join(root, 'packages/backends/package.json')).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
    const pages = { old: await bundle(oldRoot, 'browser'), new: await bundle(NEW_ROOT, 'browser') };
    const server = await serve({
      model: path.resolve(args.model),
      'old-bundle': path.dirname(pages.old), 'new-bundle': path.dirname(pages.new),
      'old-wasm': wasmDir(oldRoot), 'new-wasm': wasmDir(NEW_ROOT),
    });
    const version = execFileSync(args.chromium, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    console.log(`page: ${version}`);
    try {
      await compare('page', (v) => pageRunner(chromium, server.address().port, v));
    } finally {
      server.close();
    }
  }
}
