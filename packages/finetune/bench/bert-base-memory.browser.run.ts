/**
 * Benchmark (not a test): the BERT-base fine-tuning memory run of bert-base-memory.run.ts in
 * Chromium — the same model, Trainer, AdamW and batches (bert-base-setup.ts), run by a page
 * (browser/bert-base-memory.page.ts, bundled by esbuild) on tfjs-backend-wasm in Debian's Chromium
 * (/usr/bin/chromium through playwright-core; no browser is downloaded), served cross-origin
 * isolated by this process. Per step the page reports the wasm heap (the backend's memory buffer),
 * the live tensor bytes (tf.memory()), the peak bytes malloc'd for tensors during the step
 * (wasm-memory.ts's counter, wrapped around the page's wasm module), the step time and the loss;
 * this side adds the CPU time Chromium used (all its processes, from /proc) and writes the JSON
 * after every step, so a run stopped early still counts.
 *
 *   BENCH_BATCH=8 BENCH_STEPS=100 nice -n 10 npx vitest run --config evidence/vitest.config.ts bench/bert-base-memory.browser.run.ts
 *
 * BENCH_BATCH (1), BENCH_SEQ (128), BENCH_STEPS (3), BENCH_THREADS (1), BENCH_OPTIMIZER (fused), BENCH_ROUND
 * as in bert-base-memory.run.ts; writes bench/results-bert-base-<optimizer>-b<batch>-chromium[-r<round>].json.
 * BENCH_DEADLINE: an ISO time (or minutes from now) at which the run is stopped (Chromium closed) with the
 * steps done so far. CHROMIUM_PATH (/usr/bin/chromium).
 *
 * Same computation as Node: each step's loss is compared with a Node run's (results-bert-base-<optimizer>-b<batch>*.json):
 * every step against a Node run of the same step count, else steps 1–2 (the linear schedule's first
 * update uses the same learning rate whatever the step count).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { chromiumCpu, servePage } from '@tfkit/test-utils/chromium-bench';
import { workspaceSourcesPlugin } from '@tfkit/vitest-config';
import * as esbuild from 'esbuild';
import { chromium } from 'playwright-core';
import { it } from 'vitest';
import type { Report, RunOptions } from './browser/bert-base-memory.page.js';

const env = process.env;
const BATCH = Number(env['BENCH_BATCH'] ?? 1);
const SEQ = Number(env['BENCH_SEQ'] ?? 128);
const STEPS = Number(env['BENCH_STEPS'] ?? 3);
const THREADS = Number(env['BENCH_THREADS'] ?? 1);
const OPTIMIZER = env['BENCH_OPTIMIZER'] ?? 'fused';
const ROUND = env['BENCH_ROUND'];
const CHROMIUM = env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const DEADLINE = ((d) => (d === undefined ? Infinity : /^\d+(\.\d+)?$/.test(d) ? Date.now() + Number(d) * 60_000 : Date.parse(d)))(env['BENCH_DEADLINE']);
const HERE = import.meta.dirname;
const require = createRequire(import.meta.url);
const TFJS_WASM_DIR = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));

async function bundlePage(): Promise<string> {
  const result = await esbuild.build({
    entryPoints: [path.join(HERE, 'browser/bert-base-memory.page.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'warning',
    plugins: [workspaceSourcesPlugin()],
  });
  return result.outputFiles[0]!.text;
}

/** The Node run's losses to compare with: one of the same step count if there is one (all its steps), else any (steps 1–2). */
function nodeReference(): { file: string; losses: Map<number, number> } | undefined {
  const prefix = `results-bert-base-${OPTIMIZER}-b${BATCH}`;
  const runs = fs
    .readdirSync(HERE)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.json') && !f.includes('chromium'))
    .map((file) => ({ file, json: JSON.parse(fs.readFileSync(path.join(HERE, file), 'utf8')) as { seq: number; steps: { step: number; loss?: number }[] } }))
    .filter((r) => r.json.seq === SEQ);
  const same = runs.find((r) => r.json.steps.length - 1 === STEPS);
  const run = same ?? runs[0];
  if (!run) return undefined;
  const losses = new Map(run.json.steps.filter((s) => s.loss !== undefined && (same || s.step <= 2)).map((s) => [s.step, s.loss!] as const));
  return { file: run.file, losses };
}

it(`BERT-base fine-tuning memory on wasm in Chromium (${OPTIMIZER}, batch ${BATCH}, seq ${SEQ})`, async () => {
  const server = await servePage(await bundlePage(), { title: 'tfkit BERT-base fine-tuning memory', file: (url) => (url.startsWith('/tfjs/') ? path.join(TFJS_WASM_DIR, path.basename(url)) : undefined) });
  const marker = `--tfkit-finetune-memory-bench=${process.pid}-${Date.now()}`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [marker, '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  const cpu = chromiumCpu(marker);
  const reference = nodeReference();
  const file = path.join(HERE, `results-bert-base-${OPTIMIZER}-b${BATCH}-chromium${ROUND ? `-r${ROUND}` : ''}.json`);
  const rows: Record<string, number>[] = [];
  const pageLog: string[] = [];
  const meta: Record<string, unknown> = { optimizer: OPTIMIZER, batch: BATCH, seq: SEQ, stepsRequested: STEPS, runtime: 'chromium', chromium: browser.version(), node: process.version, nodeReference: reference?.file ?? null };
  let cpuLast: number | undefined;
  const write = () => {
    const diffs = rows.filter((r) => reference?.losses.has(r['step']!)).map((r) => Math.abs(r['loss']! - reference!.losses.get(r['step']!)!));
    const lossVsNode = diffs.length ? { steps: diffs.length, maxAbsDiff: Math.max(...diffs) } : null;
    fs.writeFileSync(file, `${JSON.stringify({ ...meta, stepsDone: Math.max(0, rows.length - 1), lossVsNode, pageLog: pageLog.slice(-20), steps: rows }, null, 2)}\n`);
  };
  const log = (row: Record<string, number>) => {
    rows.push(row);
    write();
    console.log(Object.entries(row).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(k === 'loss' ? 6 : 1)}`).join(', '));
  };
  let finish!: (why: string) => void;
  const finished = new Promise<string>((resolve) => (finish = resolve));
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => pageLog.push(`pageerror: ${String(e)}`));
    page.on('console', (m) => pageLog.push(`${m.type()}: ${m.text()}`));
    page.on('crash', () => finish('page crashed'));
    await page.exposeFunction('tfkitReport', (r: Report) => {
      const now = cpu();
      const cpuMs: Record<string, number> = now !== undefined && cpuLast !== undefined ? { cpuMs: now - cpuLast } : {};
      cpuLast = now;
      if (r.type === 'start') {
        meta['page'] = r.info;
        log(r.row);
      } else if (r.type === 'step') log({ ...r.row, ...cpuMs });
      else if (r.type === 'done') finish('done');
      else {
        meta['aborted'] = r;
        console.log(`aborted after ${rows.length - 1} steps: ${r.error}; heap ${r.heapMB?.toFixed(0)} MB, malloc failures ${r.mallocFailures}`);
        finish('aborted');
      }
    });
    await page.goto(server.url);
    await page.waitForFunction(() => 'tfkitMemoryBench' in globalThis, undefined, { timeout: 120_000 });
    const options: RunOptions = { batch: BATCH, seq: SEQ, steps: STEPS, threads: THREADS, optimizer: OPTIMIZER };
    await page.evaluate((o) => void (globalThis as unknown as { tfkitMemoryBench: { run(o: RunOptions): Promise<void> } }).tfkitMemoryBench.run(o), options);
    let timer: NodeJS.Timeout | undefined;
    if (Number.isFinite(DEADLINE)) timer = setTimeout(() => finish('deadline'), Math.max(0, DEADLINE - Date.now()));
    meta['ended'] = await finished;
    clearTimeout(timer);
  } finally {
    await browser.close();
    await server.close();
    write();
  }
  console.log(`${meta['ended']} after ${rows.length - 1} of ${STEPS} steps; ${file}`);
}, 24 * 3_600_000);
