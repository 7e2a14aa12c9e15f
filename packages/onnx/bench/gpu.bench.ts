/**
 * GPU rows of issue #17: BERT-base and GPT-2 small (random weights, one forward of 128 tokens, the
 * browser bench's models) in Debian's Chromium on
 *
 *   tfkit on webgl  ·  tfkit on webgpu  ·  onnxruntime-web's webgpu EP
 *
 * next to tfkit and onnxruntime-web on wasm (1 thread) in the same browser, each in a page of its
 * own, timed in rounds whose order rotates; every output is compared with tfkit's in Node (wasm).
 * Each row is labelled by the device its page reported (WebGPU adapter, WebGL renderer): on a
 * machine without a GPU, Chromium runs both APIs on SwiftShader, a CPU emulation — the rows then say
 * whether the paths work and agree, not how fast a GPU is. Started with `--enable-unsafe-webgpu`
 * (Linux Chromium ships WebGPU behind it).
 *
 *   pnpm --filter @tfkit/onnx bench gpu
 *
 * GPU_BENCH_MODELS    bert-base,gpt2 (default both)
 * GPU_BENCH_SYSTEMS   tfkit-webgl,tfkit-webgpu,ort-webgpu,tfkit-wasm,ort-wasm (default all)
 * GPU_BENCH_ROUNDS / GPU_BENCH_REPS   3 / 1
 * GPU_BENCH_DIR       where the .onnx exports are written and reused (default: the browser bench's)
 * GPU_BENCH_TAG       suffix of the JSON file name under bench/results/
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRegistry } from '@tfkit/core-tensor';
import { registerAllBackends, useBackend } from '@tfkit/backends';
import { registerBert } from '@tfkit/models-bert';
import { registerGpt2 } from '@tfkit/models-gpt';
import { chromiumCpu, servePage } from '@tfkit/test-utils/chromium-bench';
import { chromium, type Page } from 'playwright-core';
import { it } from 'vitest';
import { exportOnnx } from '../src/index.js';
import { buildModel, tfkitForward, type ModelName } from './browser/models.js';
import { bundlePage, maxAbsDiff, pageFiles, summary } from './chromium-common.js';
import type { GpuSystem } from './browser/gpu-page.js';

const env = process.env;
const MODELS = (env['GPU_BENCH_MODELS'] ?? 'bert-base,gpt2').split(',') as ModelName[];
const SYSTEMS = (env['GPU_BENCH_SYSTEMS'] ?? 'tfkit-webgl,tfkit-webgpu,ort-webgpu,tfkit-wasm,ort-wasm').split(',') as GpuSystem[];
const ROUNDS = Number(env['GPU_BENCH_ROUNDS'] ?? 3);
const REPS = Number(env['GPU_BENCH_REPS'] ?? 1);
const DIR = env['GPU_BENCH_DIR'] ?? path.join(os.tmpdir(), 'tfkit-onnx-browser-bench');
const TAG = env['GPU_BENCH_TAG'] ? `-${env['GPU_BENCH_TAG']}` : '';
const CHROMIUM = env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** A short label of the device a page ran on. */
function deviceLabel(system: GpuSystem, info: Record<string, unknown>): string {
  if (system.endsWith('-wasm')) return 'CPU (wasm, 1 thread)';
  if (system === 'tfkit-webgl') return String(info['webglRenderer']);
  const a = info['webgpuAdapter'] as Record<string, string> | string | null;
  return typeof a === 'object' && a ? `WebGPU ${[a['vendor'], a['architecture'], a['device'], a['description']].filter(Boolean).join(' ')}` : String(a);
}

it(`GPU rows: tfkit webgl/webgpu vs onnxruntime-web webgpu in Chromium (${MODELS.join(', ')})`, async () => {
  const server = await servePage(await bundlePage('gpu-page.ts'), { title: 'tfkit GPU bench', file: pageFiles(DIR) });
  const marker = `--tfkit-gpu-bench=${process.pid}-${Date.now()}`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [marker, '--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  const pageCpu = chromiumCpu(marker);
  const registry = registerGpt2(registerBert(createRegistry()));
  registerAllBackends(registry);
  await useBackend(registry, 'wasm', { threads: 1 });
  const lines: string[] = [];
  try {
    for (const name of MODELS) {
      const loadStart = os.loadavg();
      const reference = buildModel(name);
      const refOut = await tfkitForward(reference);
      if (!fs.existsSync(path.join(DIR, name, 'onnx/model.onnx'))) await exportOnnx(reference.model, path.join(DIR, name), { registry });
      reference.dispose();

      const pages = new Map<GpuSystem, Page>();
      const infos: Record<string, Record<string, unknown>> = {};
      const diffs: Record<string, number> = {};
      const errors: string[] = [];
      for (const system of SYSTEMS) {
        const page = await browser.newPage();
        page.on('pageerror', (e) => errors.push(`${system}: ${String(e)}`));
        page.on('console', (m) => {
          if (m.type() === 'error') errors.push(`${system}: ${m.text()}`);
        });
        await page.goto(server.url);
        await page.waitForFunction(() => 'tfkitGpuBench' in globalThis, undefined, { timeout: 120_000 });
        try {
          infos[system] = await page.evaluate((o) => (globalThis as any).tfkitGpuBench.init(o), { model: name, system });
          const out = (await page.evaluate(() => (globalThis as any).tfkitGpuBench.check())) as { head: number[]; tail: number[] };
          diffs[system] = Math.max(maxAbsDiff(out.head, refOut.subarray(0, 4096)), maxAbsDiff(out.tail, refOut.subarray(refOut.length - 4096)));
          pages.set(system, page);
        } catch (error) {
          errors.push(`${system}: ${String((error as Error).message ?? error).split('\n')[0]}`);
          await page.close();
        }
      }

      const times: Record<string, number[]> = {};
      const cpu: Record<string, number[]> = {};
      const loads: number[] = [];
      const running = [...pages.keys()];
      for (let round = 0; round < ROUNDS; round++) {
        for (const system of running.map((_, i) => running[(i + round) % running.length]!)) {
          const c0 = pageCpu();
          (times[system] ??= []).push(await pages.get(system)!.evaluate((reps) => (globalThis as any).tfkitGpuBench.time(reps), REPS));
          const c1 = pageCpu();
          if (c0 !== undefined && c1 !== undefined) (cpu[system] ??= []).push((c1 - c0) / REPS);
        }
        loads.push(os.loadavg()[0]!);
      }
      const left: Record<string, number | null> = {};
      for (const [system, page] of pages) {
        left[system] = await page.evaluate(() => (globalThis as any).tfkitGpuBench.dispose());
        await page.close();
      }

      const record = { model: name, rounds: ROUNDS, reps: REPS, chromium: browser.version(), node: process.version, infos, diffs, times, cpu, left, errors, loadavg: { start: loadStart, perRound: loads, end: os.loadavg() } };
      fs.mkdirSync(path.resolve(import.meta.dirname, 'results'), { recursive: true });
      fs.writeFileSync(path.resolve(import.meta.dirname, 'results', `gpu-${name}${TAG}.json`), `${JSON.stringify(record, null, 2)}\n`);

      const base = times['tfkit-webgpu'] ?? times['tfkit-webgl'];
      lines.push(
        `\n${name}: ${ROUNDS} rounds × ${REPS} forwards, Chromium ${browser.version()}; load average ${loads.map((l) => l.toFixed(1)).join(' ')}`,
        '| system | device | max |diff| vs tfkit in Node (wasm) | ms per forward | ÷ tfkit webgpu (same round) | Chromium CPU ms per forward |',
        '| --- | --- | --- | --- | --- | --- |',
        ...SYSTEMS.map((s) =>
          infos[s] && times[s]
            ? `| ${s} | ${deviceLabel(s, infos[s])} | ${diffs[s]!.toExponential(1)} | ${summary(times[s], 0)} | ${base ? summary(times[s].map((t, i) => t / base[i]!), 2) : '–'} | ${summary(cpu[s] ?? [], 0)} |`
            : `| ${s} | – | failed: ${errors.find((e) => e.startsWith(`${s}:`)) ?? 'see JSON'} | – | – | – |`,
        ),
      );
      if (Object.values(left).some((n) => n !== null && n !== 0)) lines.push(`tensors left in tfkit pages: ${JSON.stringify(left)}`);
      console.log(lines.slice(-(SYSTEMS.length + 3)).join('\n'));
    }
  } finally {
    await browser.close();
    await server.close();
  }
  console.log(lines.join('\n'));
});
