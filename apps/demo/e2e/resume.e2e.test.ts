// A fine-tuning run survives a page reload: the worker saves the run's state (weights, optimizer
// moments, scheduler, generators, data position, loss curve) in IndexedDB every few steps; after a
// reload mid-run the page offers to resume, and the resumed run continues the same loss curve and
// ends with the adapter an uninterrupted run gives, byte for byte.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Download, type Page } from 'playwright-core';
import { CHROMIUM_ARGS } from '@tfkit/vitest-config/browser';
import { serveStatic, type StaticServer } from './static-server.js';

const appDir = path.resolve(import.meta.dirname, '..');
const ARTIFACTS = path.join(import.meta.dirname, 'artifacts');
const STEPS = 30;
const SAVE_EVERY = 5;

describe('a training run resumes after a reload (Chromium, IndexedDB)', () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  let tmp: string;
  const downloads: Download[] = [];

  async function downloadAdapter(folder: string): Promise<string> {
    const dir = path.join(tmp, folder);
    fs.mkdirSync(dir, { recursive: true });
    downloads.length = 0;
    await page.click('#ft-download-adapter');
    await expect.poll(() => downloads.length, { timeout: 60_000 }).toBe(2);
    for (const d of downloads) await d.saveAs(path.join(dir, d.suggestedFilename()));
    return dir;
  }

  /** Whether IndexedDB holds a saved run (read from the page's side). */
  const savedInDb = () =>
    page.evaluate(
      () =>
        new Promise<boolean>((resolve, reject) => {
          const open = indexedDB.open('tfkit-demo', 1);
          open.onupgradeneeded = () => open.result.createObjectStore('runs');
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const get = open.result.transaction('runs').objectStore('runs').get('finetune');
            get.onsuccess = () => (open.result.close(), resolve(get.result !== undefined));
            get.onerror = () => reject(get.error);
          };
        }),
    );
  const losses = async () => JSON.parse((await page.getAttribute('#ft-chart', 'data-losses')) ?? '[]') as number[];

  async function configure(): Promise<void> {
    await page.click('#ft-sample');
    await page.selectOption('#ft-method', 'lora');
    await page.fill('#ft-steps', String(STEPS));
    await page.fill('#ft-lr', '0.01');
    await page.fill('#ft-seed', '3');
    await page.fill('#ft-save-every', String(SAVE_EVERY));
    await page.fill('#ft-try-prompt', 'Leave the dough');
  }

  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-demo-resume-'));
    server = await serveStatic(path.join(appDir, 'dist'));
    browser = await chromium.launch({ executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
    page = await browser.newPage({ acceptDownloads: true, viewport: { width: 1200, height: 900 } });
    page.setDefaultTimeout(150_000);
    page.on('download', (d) => downloads.push(d));
    await page.goto(server.url);
    await page.waitForSelector('#backend-status[data-state="ready"]');
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('reload mid-run, resume: the same loss curve and the same adapter as an uninterrupted run', async () => {
    // The reference: one uninterrupted run with the same settings (it saves too, and clears its state at the end).
    await configure();
    await page.click('#ft-train');
    await page.waitForSelector('#ft-chart[data-state="done"]');
    const reference = await losses();
    expect(reference).toHaveLength(STEPS);
    const referenceLogits = await page.getAttribute('#ft-try-out', 'data-probe-logits');
    const referenceDir = await downloadAdapter('uninterrupted');

    // Nothing is offered after a finished run.
    await page.reload();
    await page.waitForSelector('#ft-saved[data-checked]', { state: 'attached' });
    expect(await page.isHidden('#ft-saved')).toBe(true);
    expect(await savedInDb()).toBe(false);

    // The same run, reloaded once it has saved and while it trains on.
    await configure();
    await page.click('#ft-train');
    await page.waitForSelector('#ft-chart[data-saved-step]');
    // Two steps past the first save: the resumed run has steps to redo.
    await expect.poll(async () => (await losses()).length, { timeout: 120_000 }).toBeGreaterThanOrEqual(SAVE_EVERY + 2);
    const stepsBeforeReload = (await losses()).length;
    await page.reload();
    await page.waitForSelector('#backend-status[data-state="ready"]');
    await page.waitForSelector('#ft-saved:not([hidden])');
    const savedStep = Number(await page.getAttribute('#ft-saved', 'data-step'));
    console.log(`reloaded after step ${stepsBeforeReload} of ${STEPS}; the page offers the run saved at step ${savedStep}`);
    expect(savedStep % SAVE_EVERY).toBe(0);
    expect(savedStep).toBeGreaterThanOrEqual(SAVE_EVERY);
    expect(savedStep).toBeLessThanOrEqual(stepsBeforeReload);
    expect(savedStep).toBeLessThan(STEPS);
    expect(await page.textContent('#ft-saved-text')).toMatch(new RegExp(`^An unfinished LoRA fine-tuning run was saved at step ${savedStep} of ${STEPS} \\(loss \\d+\\.\\d{4}\\)\\.$`));
    // The curve so far is shown, and the form holds the run's settings.
    expect(await losses()).toEqual(reference.slice(0, savedStep));
    expect(await page.inputValue('#ft-steps')).toBe(String(STEPS));
    expect(await page.inputValue('#ft-seed')).toBe('3');
    await page.locator('#ft-title').locator('..').screenshot({ path: path.join(ARTIFACTS, 'finetune-resume-offer.png') });

    await page.click('#ft-resume-saved');
    await page.waitForSelector('#ft-chart[data-state="done"]');
    expect(await page.getAttribute('#ft-chart', 'data-resumed-at')).toBe(String(savedStep));
    const resumed = await losses();
    // Bit-exact: the resumed run replays the steps after the save with the same weights, moments, data order.
    expect(resumed).toEqual(reference);
    expect(await page.textContent('#ft-status')).toMatch(new RegExp(`^Done after ${STEPS} steps: loss`));
    expect(await page.getAttribute('#ft-try-out', 'data-probe-logits')).toBe(referenceLogits);
    const resumedDir = await downloadAdapter('resumed');
    for (const file of ['adapter_model.safetensors', 'adapter_config.json']) {
      expect(fs.readFileSync(path.join(resumedDir, file)).equals(fs.readFileSync(path.join(referenceDir, file))), file).toBe(true);
    }
    console.log(`resumed at ${savedStep}: ${STEPS} losses equal to the uninterrupted run's (${reference[0]!.toFixed(4)} → ${reference.at(-1)!.toFixed(4)}); adapter bytes equal`);

    // A finished resumed run leaves nothing to resume.
    await page.reload();
    await page.waitForSelector('#ft-saved[data-checked]', { state: 'attached' });
    expect(await page.isHidden('#ft-saved')).toBe(true);
    expect(await savedInDb()).toBe(false);
  });

  it('discarding a saved run forgets it', async () => {
    await configure();
    await page.fill('#ft-save-every', '1');
    await page.click('#ft-train');
    await page.waitForSelector('#ft-chart[data-saved-step]');
    await page.reload();
    await page.waitForSelector('#ft-saved:not([hidden])');
    expect(await savedInDb()).toBe(true);
    await page.click('#ft-discard-saved');
    expect(await page.isHidden('#ft-saved')).toBe(true);
    expect(await losses()).toEqual([]);
    await expect.poll(savedInDb).toBe(false);
    await page.reload();
    await page.waitForSelector('#ft-saved[data-checked]', { state: 'attached' });
    expect(await page.isHidden('#ft-saved')).toBe(true);
    expect(await savedInDb()).toBe(false);
  });
});
