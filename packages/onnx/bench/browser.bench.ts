/**
 * Browser rows of issue #17: BERT-base (bert-base-uncased's config) and GPT-2 small (gpt2's config),
 * random weights, one forward of 128 tokens, in Debian's Chromium (/usr/bin/chromium through
 * playwright-core; no browser is downloaded):
 *
 *   tfkit on tfjs-backend-wasm  vs  onnxruntime-web (wasm EP) on the same weights exported with `exportOnnx`
 *
 * and, in this same Node process, the same tfkit forward and onnxruntime-web's, so the page-vs-Node
 * gap shows in one run. Each round times REPS forwards of each of the four, in an order rotated
 * round by round; ratios (other ÷ tfkit in the page, below 1 = faster than tfkit) are taken within
 * a round. The page is served by a small HTTP server with COOP/COEP headers (cross-origin isolated,
 * so both runtimes can use threads); what each loaded (binaries fetched, threads, SIMD,
 * crossOriginIsolated, performance.now()'s step) goes into the JSON under bench/results/.
 *
 *   pnpm --filter @tfkit/onnx bench browser
 *
 * BROWSER_BENCH_MODELS   bert-base,gpt2 (default both)
 * BROWSER_BENCH_THREADS  1,2 (default): threads for tfjs-backend-wasm and onnxruntime-web, in page and Node
 *                        (onnxruntime-web fixes its Node thread count at its first session: a later count
 *                        leaves the Node ORT column out)
 * BROWSER_BENCH_ROUNDS / BROWSER_BENCH_REPS   5 / 2
 * BROWSER_BENCH_DIR      where the .onnx exports are written and reused (default /tmp/tfkit-onnx-browser-bench)
 * BROWSER_BENCH_COI=0    serve without COOP/COEP (not cross-origin isolated: one thread only)
 * BROWSER_BENCH_FUSED=0  unregister tfkit's fused wasm kernels (page and Node)
 * BROWSER_BENCH_WORKER=1 run the page's side in a dedicated Worker instead of the main thread;
 *                        =both: also a second page running tfkit in a Worker (tfkit-worker, no ORT) in the rotation
 * BROWSER_BENCH_PROFILE=1  also a tf.profile kernel-time breakdown of one tfkit forward, page and Node
 * BROWSER_BENCH_JS_FLAGS   passed to Chromium as --js-flags (V8 experiments)
 * BROWSER_BENCH_TAG      suffix of the JSON file name
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createRegistry, FUSED_ADD_LAYER_NORM, FUSED_CACHED_ATTENTION, FUSED_DENSE, FUSED_GELU, FUSED_LAYER_NORM } from '@tfkit/core-tensor';
import { registerAllBackends, useBackend } from '@tfkit/backends';
import { registerBert } from '@tfkit/models-bert';
import { registerGpt2 } from '@tfkit/models-gpt';
import { chromiumCpu, servePage } from '@tfkit/test-utils/chromium-bench';
import { chromium, type Page } from 'playwright-core';
import { it } from 'vitest';
import type * as OrtWebModule from 'onnxruntime-web';
import { exportOnnx } from '../src/index.js';
import { buildModel, feedsFor, tfkitForward, type ModelName } from './browser/models.js';
import { bundlePage, maxAbsDiff, pageFiles, summary } from './chromium-common.js';

const env = process.env;
const MODELS = (env['BROWSER_BENCH_MODELS'] ?? 'bert-base,gpt2').split(',') as ModelName[];
const THREADS = (env['BROWSER_BENCH_THREADS'] ?? '1,2').split(',').map(Number);
const ROUNDS = Number(env['BROWSER_BENCH_ROUNDS'] ?? 5);
const REPS = Number(env['BROWSER_BENCH_REPS'] ?? 2);
const DIR = env['BROWSER_BENCH_DIR'] ?? path.join(os.tmpdir(), 'tfkit-onnx-browser-bench');
const COI = env['BROWSER_BENCH_COI'] !== '0';
const FUSED = env['BROWSER_BENCH_FUSED'] !== '0';
const PROFILE = env['BROWSER_BENCH_PROFILE'] === '1';
const WORKER = env['BROWSER_BENCH_WORKER'] === '1';
const WORKER_TOO = env['BROWSER_BENCH_WORKER'] === 'both';
const JS_FLAGS = env['BROWSER_BENCH_JS_FLAGS'];
const TAG = env['BROWSER_BENCH_TAG'] ? `-${env['BROWSER_BENCH_TAG']}` : '';
const CHROMIUM = env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const FUSED_KERNELS = [FUSED_DENSE, FUSED_ADD_LAYER_NORM, FUSED_CACHED_ATTENTION, FUSED_LAYER_NORM, FUSED_GELU];

type System = 'tfkit-page' | 'ort-page' | 'tfkit-node' | 'ort-node' | 'tfkit-worker';
const SYSTEMS: System[] = ['tfkit-page', 'ort-page', 'tfkit-node', 'ort-node', 'tfkit-worker'];

/** The model's ONNX export (BERT-base ≈ 418 MiB), written once under DIR and reused. */
async function ensureExport(name: ModelName, model: ReturnType<typeof buildModel>): Promise<string> {
  const dir = path.join(DIR, name);
  const file = path.join(dir, 'onnx/model.onnx');
  if (!fs.existsSync(file)) {
    const registry = registerGpt2(registerBert(createRegistry()));
    await exportOnnx(model.model, dir, { registry });
  }
  return file;
}

function nodeCpuMs(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

it(`browser rows: tfkit vs onnxruntime-web in Chromium and Node (${MODELS.join(', ')}; threads ${THREADS.join(', ')})`, async () => {
  const server = await servePage(await bundlePage('page.ts'), { title: 'tfkit browser bench', coi: COI, file: pageFiles(DIR) });
  const marker = `--tfkit-browser-bench=${process.pid}-${Date.now()}`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [marker, '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run', ...(JS_FLAGS ? [`--js-flags=${JS_FLAGS}`] : [])],
  });
  const cpuOfPage = chromiumCpu(marker);
  const pageCpu = cpuOfPage() === undefined ? undefined : (byThread?: Map<string, number>) => cpuOfPage(byThread) ?? 0;
  const registry = createRegistry();
  registerAllBackends(registry);
  const ort: typeof OrtWebModule = await import('onnxruntime-web');
  let ortNodeThreads: number | undefined;
  const out: Record<string, unknown>[] = [];
  const lines: string[] = [];
  try {
    for (const threads of THREADS) {
      for (const name of MODELS) {
        const loadStart = os.loadavg();
        // Node side: tfjs-backend-wasm at `threads`, tfkit's fused kernels as useBackend installs them.
        const activation = await useBackend(registry, 'wasm', { threads });
        const fusedConfigs = FUSED_KERNELS.map((k) => tf.getKernel(k, 'wasm')).filter((c): c is tf.KernelConfig => c !== undefined);
        if (!FUSED) for (const c of fusedConfigs) tf.unregisterKernel(c.kernelName, 'wasm');
        const model = buildModel(name);
        const file = await ensureExport(name, model);

        ortNodeThreads ??= threads;
        ort.env.wasm.numThreads = ortNodeThreads;
        const ortSession = ortNodeThreads === threads ? await ort.InferenceSession.create(new Uint8Array(fs.readFileSync(file))) : undefined;
        const feeds = Object.fromEntries(Object.entries(feedsFor(name)).map(([k, f]) => [k, new ort.Tensor('int64', BigInt64Array.from(f.data, (v) => BigInt(v)), f.dims)]));
        const runOrtNode = async () => {
          const res = await ortSession!.run(feeds);
          const data = res[ortSession!.outputNames[0]!]!.data as Float32Array;
          for (const t of Object.values(res)) t.dispose();
          return data;
        };

        // Page side: a fresh page per phase.
        const fetchedBefore = server.fetched.length;
        const page: Page = await browser.newPage();
        const pageErrors: string[] = [];
        page.on('pageerror', (e) => pageErrors.push(String(e)));
        page.on('console', (m) => {
          if (m.type() === 'error' || m.type() === 'warning') pageErrors.push(`${m.type()}: ${m.text()}`);
        });
        await page.goto(WORKER ? `${server.url}?worker=1` : server.url);
        await page.waitForFunction(() => 'tfkitBench' in globalThis, undefined, { timeout: 120_000 });
        const pageInfo = await page.evaluate((o) => (globalThis as any).tfkitBench.init(o), { model: name, threads, fused: FUSED });

        // Warm-up and agreement: page tfkit vs page ORT; Node tfkit vs page tfkit; Node ORT vs Node tfkit.
        const pageCheck = (await page.evaluate(() => (globalThis as any).tfkitBench.check())) as { maxAbsDiff: number; sample: number[]; tail: number[]; length: number };
        let workerPage: Page | undefined;
        let workerInfo: unknown;
        let workerSample: number[] | undefined;
        if (WORKER_TOO) {
          workerPage = await browser.newPage();
          workerPage.on('pageerror', (e) => pageErrors.push(`worker page: ${String(e)}`));
          await workerPage.goto(`${server.url}?worker=1`);
          await workerPage.waitForFunction(() => 'tfkitBench' in globalThis, undefined, { timeout: 120_000 });
          workerInfo = await workerPage.evaluate((o) => (globalThis as any).tfkitBench.init(o), { model: name, threads, fused: FUSED, ort: false });
          workerSample = ((await workerPage.evaluate(() => (globalThis as any).tfkitBench.check())) as { sample: number[] }).sample;
        }
        const nodeOut = await tfkitForward(model);
        const diffs: Record<string, number> = {
          'tfkit-page vs ort-page': pageCheck.maxAbsDiff,
          'tfkit-node vs tfkit-page (first and last 4096 values)': Math.max(maxAbsDiff(nodeOut.subarray(0, 4096), pageCheck.sample), maxAbsDiff(nodeOut.subarray(nodeOut.length - 4096), pageCheck.tail)),
        };
        if (ortSession) diffs['ort-node vs tfkit-node'] = maxAbsDiff(await runOrtNode(), nodeOut);
        if (workerSample) diffs['tfkit-worker vs tfkit-page (first 4096 values)'] = maxAbsDiff(workerSample, pageCheck.sample);

        const times: Record<System, number[]> = { 'tfkit-page': [], 'ort-page': [], 'tfkit-node': [], 'ort-node': [], 'tfkit-worker': [] };
        const loads: number[] = [];
        const cpuTimes: Record<System, number[]> = { 'tfkit-page': [], 'ort-page': [], 'tfkit-node': [], 'ort-node': [], 'tfkit-worker': [] };
        const run: Record<System, () => Promise<number>> = {
          'tfkit-page': () => page.evaluate((reps) => (globalThis as any).tfkitBench.time('tfkit', reps), REPS),
          'tfkit-worker': () => workerPage!.evaluate((reps) => (globalThis as any).tfkitBench.time('tfkit', reps), REPS),
          'ort-page': () => page.evaluate((reps) => (globalThis as any).tfkitBench.time('ort', reps), REPS),
          'tfkit-node': async () => {
            const t0 = performance.now();
            for (let i = 0; i < REPS; i++) await tfkitForward(model);
            return (performance.now() - t0) / REPS;
          },
          'ort-node': async () => {
            const t0 = performance.now();
            for (let i = 0; i < REPS; i++) await runOrtNode();
            return (performance.now() - t0) / REPS;
          },
        };
        const systems = SYSTEMS.filter((s) => (s !== 'ort-node' || ortSession) && (s !== 'tfkit-worker' || workerPage));
        for (let round = 0; round < ROUNDS; round++) {
          const order = systems.map((_, i) => systems[(i + round) % systems.length]!);
          for (const s of order) {
            const cpu = s.endsWith('-node') ? nodeCpuMs : pageCpu;
            const c0 = cpu?.();
            times[s].push(await run[s]());
            if (c0 !== undefined) cpuTimes[s].push((cpu!() - c0) / REPS);
          }
          loads.push(os.loadavg()[0]!);
        }
        const ratios: Record<string, number[]> = {};
        const cpuRatios: Record<string, number[]> = {};
        for (const s of systems) {
          if (s === 'tfkit-page') continue;
          ratios[s] = times[s].map((t, i) => t / times['tfkit-page'][i]!);
          cpuRatios[s] = cpuTimes[s].map((t, i) => t / cpuTimes['tfkit-page'][i]!);
        }

        // Where the page's CPU goes during REPS tfkit forwards on the main thread: per thread name.
        let pageThreads: Record<string, number> | undefined;
        if (pageCpu) {
          const before = new Map<string, number>();
          const after = new Map<string, number>();
          pageCpu(before);
          const wallMs = await run['tfkit-page']();
          pageCpu(after);
          pageThreads = { wallMsPerForward: wallMs };
          for (const [name, ms] of after) {
            const d = (ms - (before.get(name) ?? 0)) / REPS;
            if (d > 0) pageThreads[`${name} CPU ms per forward`] = d;
          }
        }
        let profiles: unknown;
        if (PROFILE) {
          const pageProfile = await page.evaluate(() => (globalThis as any).tfkitBench.profile());
          const nodeInfo = await tf.profile(async () => void (await tfkitForward(model)));
          const byName: Record<string, { ms: number; calls: number }> = {};
          for (const k of nodeInfo.kernels) {
            const e = (byName[k.name] ??= { ms: 0, calls: 0 });
            e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
            e.calls += 1;
          }
          profiles = { page: pageProfile, node: { kernels: nodeInfo.kernels.length, byName } };
        }

        const leftInPage = await page.evaluate(() => (globalThis as any).tfkitBench.dispose());
        await page.close();
        if (workerPage) {
          await workerPage.evaluate(() => (globalThis as any).tfkitBench.dispose());
          await workerPage.close();
        }
        model.dispose();
        await ortSession?.release();
        if (!FUSED) for (const c of fusedConfigs) tf.registerKernel(c);

        const binaries = server.fetched.slice(fetchedBefore).filter((u) => u.endsWith('.wasm') || u.endsWith('.mjs'));
        const record = {
          model: name,
          threads,
          rounds: ROUNDS,
          reps: REPS,
          coi: COI,
          fused: FUSED,
          worker: WORKER,
          workerPage: workerInfo ?? null,
          jsFlags: JS_FLAGS ?? null,
          chromium: browser.version(),
          node: process.version,
          ortWebVersion: ort.env.versions,
          nodeTfjs: { threads: activation.threads, simd: activation.simd, notes: activation.notes },
          ortNodeThreads: ortSession ? ortNodeThreads : null,
          page: pageInfo,
          pageBinaries: binaries,
          pageErrors,
          leftInPage,
          diffs,
          loadavg: { start: loadStart, perRound: loads, end: os.loadavg() },
          times,
          ratios,
          cpuTimes,
          cpuRatios,
          pageThreads,
          profiles,
        };
        out.push(record);
        fs.mkdirSync(path.resolve(import.meta.dirname, 'results'), { recursive: true });
        fs.writeFileSync(path.resolve(import.meta.dirname, 'results', `browser-${name}-t${threads}${COI ? '' : '-nocoi'}${FUSED ? '' : '-unfused'}${WORKER ? '-worker' : WORKER_TOO ? '-both' : ''}${TAG}.json`), `${JSON.stringify(record, null, 2)}\n`);

        const info = pageInfo as { crossOriginIsolated: boolean; tfjsThreads: number; simd: boolean; ortNumThreads?: number; timerStepMs: number };
        lines.push(
          `\n${name}, ${threads} thread(s): ${ROUNDS} rounds × ${REPS} forwards; load average ${loads.map((l) => l.toFixed(1)).join(' ')}`,
          `page: crossOriginIsolated ${info.crossOriginIsolated}, tfjs ${info.tfjsThreads} thread(s) simd ${info.simd}, ORT numThreads ${info.ortNumThreads}, timer step ${info.timerStepMs} ms; binaries ${binaries.join(' ')}`,
          `max |diff|: ${Object.entries(diffs).map(([k, v]) => `${k} ${v.toExponential(2)}`).join('; ')}`,
          '| system | ms per forward | ÷ tfkit in the page (same round) | CPU ms per forward | CPU ÷ tfkit in the page |',
          '| --- | --- | --- | --- | --- |',
          ...systems.map((s) => `| ${s} | ${summary(times[s], 0)} | ${s === 'tfkit-page' ? '1' : summary(ratios[s]!, 2)} | ${summary(cpuTimes[s], 0)} | ${s === 'tfkit-page' ? '1' : summary(cpuRatios[s]!, 2)} |`),
        );
        if (pageErrors.length) lines.push(`page errors: ${pageErrors.slice(0, 5).join(' | ')}`);
        console.log(lines.slice(-9).join('\n'));
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
  console.log(lines.join('\n'));
});
