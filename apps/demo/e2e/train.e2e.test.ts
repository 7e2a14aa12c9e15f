// Training in the page, in the model worker: a short seeded LoRA fine-tuning run whose loss falls
// and whose downloaded adapter (and merged model), loaded in Node by @tfkit/finetune, gives the
// page's logits; a trained tokenizer that loads in Node and encodes as the page showed; the main
// thread never blocked > 100 ms while training; weights cached for a reload; a missing file named
// with its fix. Screenshots of each view go to e2e/artifacts/.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Download, type Page } from 'playwright-core';
import * as tf from '@tensorflow/tfjs-core';
import { createRegistry } from '@tfkit/core-tensor';
import { registerCpuBackend, registerWasmBackend, useBackend } from '@tfkit/backends';
import { loadLoraAdapter } from '@tfkit/finetune';
import { generate } from '@tfkit/generation';
import { GPT2LMHeadModel } from '@tfkit/models-gpt';
import { Tokenizer } from '@tfkit/tokenizers';
import { CHROMIUM_ARGS } from '@tfkit/vitest-config/browser';
import { serveStatic, type StaticServer } from './static-server.js';

const appDir = path.resolve(import.meta.dirname, '..');
const MODEL_DIR = path.resolve(appDir, '../../packages/all/assets/tiny-gpt2');
const ARTIFACTS = path.join(import.meta.dirname, 'artifacts');
const STEPS = 6;
const PROBE = 'Take two cups of';

async function lastLogits(model: GPT2LMHeadModel, ids: number[]): Promise<Float32Array> {
  const out = model.forward({ inputIds: [ids] });
  const last = tf.tidy(() => tf.reshape(tf.slice(out.logits, [0, ids.length - 1, 0], [1, 1, -1]), [-1]));
  const values = (await last.data()) as Float32Array;
  tf.dispose([last, out as unknown as tf.TensorContainer]);
  return values;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('training in the demo (Chromium, model worker)', () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  let tmp: string;
  const downloads: Download[] = [];

  /** Clicks `selector` and saves the `count` files it downloads into a fresh folder. */
  async function downloadFrom(selector: string, count: number, folder: string): Promise<string> {
    const dir = path.join(tmp, folder);
    fs.mkdirSync(dir, { recursive: true });
    downloads.length = 0;
    await page.click(selector);
    await expect.poll(() => downloads.length, { timeout: 60_000 }).toBe(count);
    for (const d of downloads) await d.saveAs(path.join(dir, d.suggestedFilename()));
    return dir;
  }

  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-demo-'));
    const registry = createRegistry();
    registerWasmBackend(registry);
    registerCpuBackend(registry);
    await useBackend(registry, 'wasm', { threads: 1 });
    server = await serveStatic(path.join(appDir, 'dist'));
    browser = await chromium.launch({ executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
    page = await browser.newPage({ acceptDownloads: true, viewport: { width: 1200, height: 900 } });
    page.setDefaultTimeout(150_000);
    page.on('download', (d) => downloads.push(d));
    // Long tasks of the main thread, from the start (the test reads those during training).
    await page.addInitScript(() => {
      const w = window as unknown as { longTasks: { start: number; duration: number }[] };
      w.longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.longTasks.push({ start: e.startTime, duration: e.duration });
      }).observe({ type: 'longtask', buffered: true });
      // Every text the backend line shows (the download progress among them).
      const log: string[] = ((window as unknown as { statusLog: string[] }).statusLog = []);
      document.addEventListener('DOMContentLoaded', () => {
        const status = document.getElementById('backend-status')!;
        new MutationObserver(() => log.push(status.textContent ?? '')).observe(status, { childList: true, characterData: true, subtree: true });
      });
    });
    await page.goto(server.url);
    await page.waitForSelector('#backend-status[data-state="ready"]');
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('fine-tunes with LoRA in the worker: the loss falls, the main thread stays responsive, the adapter gives the page logits in Node', async () => {
    await page.click('#ft-sample');
    await page.selectOption('#ft-method', 'lora');
    await page.fill('#ft-steps', String(STEPS));
    await page.fill('#ft-lr', '0.01');
    await page.fill('#ft-seed', '0');
    await page.fill('#ft-try-prompt', PROBE);
    const startedAt = await page.evaluate(() => performance.now());
    await page.click('#ft-train');
    await page.waitForSelector('#ft-chart[data-state="done"]');
    const endedAt = await page.evaluate(() => performance.now());
    const losses = JSON.parse((await page.getAttribute('#ft-chart', 'data-losses'))!) as number[];
    expect(losses).toHaveLength(STEPS);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.9);
    expect(await page.textContent('#ft-status')).toMatch(new RegExp(`^Done after ${STEPS} steps: loss`));
    expect(await page.getAttribute('#ft-curve', 'points')).toMatch(/^[\d.]+,[\d.]+( [\d.]+,[\d.]+){5}$/);

    const longTasks = await page.evaluate(([a, b]) => (window as unknown as { longTasks: { start: number; duration: number }[] }).longTasks.filter((t) => t.start >= a! && t.start <= b!), [startedAt, endedAt]);
    console.log(`training: ${STEPS} steps, loss ${losses[0]!.toFixed(4)} → ${losses.at(-1)!.toFixed(4)}; main-thread long tasks during training (start after the click, ms: duration): ${JSON.stringify(longTasks.map((t) => `${Math.round(t.start - startedAt)}: ${Math.round(t.duration)}`))} of ${Math.round(endedAt - startedAt)} ms`);
    expect(longTasks.filter((t) => t.duration > 100)).toEqual([]);
    await page.locator('#ft-title').scrollIntoViewIfNeeded();
    await page.locator('#ft-title').locator('..').screenshot({ path: path.join(ARTIFACTS, 'finetune.png') });

    const dir = await downloadFrom('#ft-download-adapter', 2, 'adapter');
    expect(fs.readdirSync(dir).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ peft_type: 'LORA', r: 8, lora_alpha: 16, target_modules: ['c_attn'], fan_in_fan_out: true, task_type: 'CAUSAL_LM' });

    const probeIds = JSON.parse((await page.getAttribute('#ft-try-out', 'data-probe-ids'))!) as number[];
    const pageLogits = JSON.parse((await page.getAttribute('#ft-try-out', 'data-probe-logits'))!) as number[];
    const base = await GPT2LMHeadModel.fromPretrained(MODEL_DIR);
    const before = tf.memory().numTensors;
    const baseLogits = await lastLogits(base, probeIds);
    const lora = await loadLoraAdapter(base, dir);
    const nodeLogits = await lastLogits(base, probeIds);
    const diff = maxAbsDiff(nodeLogits, pageLogits);
    console.log(`adapter logits: max |node − page| = ${diff.toExponential(2)}; the adapter moved them by ${maxAbsDiff(baseLogits, pageLogits).toFixed(3)}`);
    expect(diff).toBeLessThan(1e-4);
    expect(maxAbsDiff(baseLogits, pageLogits)).toBeGreaterThan(1e-2); // the adapter changed the model

    // "Try it": the page's greedy continuation with the adapter equals Node's.
    await page.click('#ft-try');
    await page.waitForSelector('#ft-try-out[data-state="done"]');
    const tokenizer = await Tokenizer.fromPretrained(MODEL_DIR);
    const out = await generate(base, [probeIds], { maxNewTokens: 30, repetitionPenalty: 1.1, doSample: false });
    expect(await page.textContent('#ft-try-out')).toBe(tokenizer.decode(out.sequences[0]!.slice(out.prefixLength), { skipSpecialTokens: true }));
    lora.dispose();
    base.dispose();
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before);
  });

  it('downloads the merged model, which loads in Node and gives the same logits', async () => {
    const dir = await downloadFrom('#ft-download-merged', 2, 'merged');
    expect(fs.readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors']);
    const probeIds = JSON.parse((await page.getAttribute('#ft-try-out', 'data-probe-ids'))!) as number[];
    const pageLogits = JSON.parse((await page.getAttribute('#ft-try-out', 'data-probe-logits'))!) as number[];
    const merged = await GPT2LMHeadModel.fromPretrained(dir);
    expect(merged.loadReport?.missing ?? []).toEqual([]);
    const diff = maxAbsDiff(await lastLogits(merged, probeIds), pageLogits);
    console.log(`merged logits: max |node − page| = ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-4);
    merged.dispose();
  });

  it('trains a BPE tokenizer in the worker; the downloaded tokenizer.json encodes in Node as the page showed', async () => {
    await page.selectOption('#tt-model', 'bpe');
    await page.fill('#tt-vocab', '300');
    await page.click('#tt-train');
    await page.waitForSelector('#tt-status[data-state="done"]');
    const shown = await page.$$eval('#tt-tokens li', (items) => items.map((li) => Number(li.dataset['id'])));
    expect(shown.length).toBeGreaterThan(3);
    expect(await page.locator('#tt-merges li').count()).toBeGreaterThan(10);
    const dir = await downloadFrom('#tt-download', 1, 'tokenizer');
    const trained = await Tokenizer.fromPretrained(dir);
    const sample = await page.inputValue('#tt-sample');
    expect(trained.encode(sample).ids).toEqual(shown);
    expect(trained.decode(trained.encode(sample).ids)).toBe(sample);
    await page.locator('#tt-title').locator('..').screenshot({ path: path.join(ARTIFACTS, 'train-tokenizer.png') });
  });

  it('full fine-tuning pauses, resumes and stops between two steps', async () => {
    await page.selectOption('#ft-method', 'full');
    expect(await page.isDisabled('#ft-r')).toBe(true); // LoRA settings apply to LoRA only
    await page.fill('#ft-steps', '500');
    await page.fill('#ft-lr', '0.001');
    const steps = async () => (JSON.parse((await page.getAttribute('#ft-chart', 'data-losses')) ?? '[]') as number[]).length;
    await page.click('#ft-train');
    await expect.poll(steps, { timeout: 120_000 }).toBeGreaterThanOrEqual(2);
    await page.click('#ft-pause');
    expect(await page.textContent('#ft-pause')).toBe('Resume');
    // The worker holds after the step under way and says after which; then nothing moves.
    await page.waitForSelector('#ft-chart[data-paused-at]');
    const pausedAt = Number(await page.getAttribute('#ft-chart', 'data-paused-at'));
    await expect.poll(steps).toBe(pausedAt);
    await page.waitForTimeout(1500);
    expect(await steps()).toBe(pausedAt);
    expect(await page.textContent('#ft-status')).toBe(`Paused after step ${pausedAt}. Resume or stop.`);
    await page.click('#ft-pause');
    await expect.poll(steps, { timeout: 120_000 }).toBeGreaterThan(pausedAt);
    await page.click('#ft-stop');
    await page.waitForSelector('#ft-chart[data-state="done"]');
    const status = (await page.textContent('#ft-status'))!;
    expect(status).toMatch(/^Stopped after \d+ steps: loss/);
    expect(Number(/after (\d+)/.exec(status)![1])).toBeLessThan(500);
    // Every parameter trained.
    const model = await GPT2LMHeadModel.fromPretrained(MODEL_DIR);
    expect(await page.getAttribute('#ft-chart', 'data-trainable')).toBe(String(model.parameterCount()));
    model.dispose();
    // Full fine-tuning has no adapter to download; the merged model is the whole model.
    expect(await page.isDisabled('#ft-download-adapter')).toBe(true);
    expect(await page.isEnabled('#ft-download-merged')).toBe(true);
  });

  it('caches the weights: a reload loads them from the Cache API, not the server', async () => {
    const gets = () => server.requests.filter((r) => r.method === 'GET' && r.path === '/models/tiny-gpt2/model.safetensors').length;
    const cachedUrls = await page.evaluate(async () => (await (await caches.open('tfkit')).keys()).map((r) => r.url));
    expect(cachedUrls.some((u) => u.endsWith('/models/tiny-gpt2/model.safetensors'))).toBe(true);
    // The first load showed the download's bytes and percent.
    const shown = await page.evaluate(() => (window as unknown as { statusLog: string[] }).statusLog);
    expect(shown.filter((t) => /^Loading model\.safetensors: [\d.]+ (B|kB|MB) of 1\.4 MB \(\d+ %\)$/.test(t)).length).toBeGreaterThan(0);
    expect(shown).toContain('Loading model.safetensors: 1.4 MB of 1.4 MB (100 %)');
    const before = gets();
    await page.reload();
    await page.waitForSelector('#backend-status[data-state="ready"]');
    expect(await page.getAttribute('#backend-status', 'data-cached')).toBe('true');
    expect(gets()).toBe(before);
    await page.screenshot({ path: path.join(ARTIFACTS, 'page.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: path.join(ARTIFACTS, 'page-dark.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'phone-390.png'), fullPage: true });
  });

  it('names a missing model file and how to fix it, with Generate and Train disabled', async () => {
    const broken = await serveStatic(path.join(appDir, 'dist'), {}, ['/models/tiny-gpt2/model.safetensors']);
    const context = await browser.newContext(); // an empty Cache API
    try {
      const p = await context.newPage();
      p.setDefaultTimeout(150_000);
      await p.goto(broken.url);
      await p.waitForSelector('#backend-status[data-state="error"]');
      expect(await p.getAttribute('#backend-status', 'data-missing')).toBe('models/tiny-gpt2/model.safetensors');
      expect(await p.textContent('#backend-status')).toMatch(/^The model could not load: models\/tiny-gpt2\/model\.safetensors could not be loaded \(HTTP 404\).*pnpm --filter @tfkit\/demo build/);
      expect(await p.isDisabled('#generate')).toBe(true);
      expect(await p.isDisabled('#ft-train')).toBe(true);
      await p.screenshot({ path: path.join(ARTIFACTS, 'missing-file.png') });
    } finally {
      await context.close();
      await broken.close();
    }
  });
});
