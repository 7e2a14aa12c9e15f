// The text-classifier view: labelled data pasted or opened as CSV/JSONL (errors name the line),
// LoRA on the tiny BERT with the held-out accuracy live, and a downloaded adapter that, loaded in
// Node by @tfkit/finetune, gives the page's logits and the page's held-out accuracy.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Download, type Page } from 'playwright-core';
import * as tf from '@tensorflow/tfjs-core';
import { createRegistry } from '@tfkit/core-tensor';
import { registerCpuBackend, registerWasmBackend, useBackend } from '@tfkit/backends';
import { loadLoraAdapter } from '@tfkit/finetune';
import { BertForSequenceClassification } from '@tfkit/models-bert';
import { Tokenizer } from '@tfkit/tokenizers';
import { CHROMIUM_ARGS } from '@tfkit/vitest-config/browser';
import { heldOut, parseLabelled, SAMPLE_CSV } from '../src/labelled-data.js';
import { serveStatic, type StaticServer } from './static-server.js';

const appDir = path.resolve(import.meta.dirname, '..');
const MODEL_DIR = path.resolve(appDir, '../../packages/all/assets/tiny-bert');
const ARTIFACTS = path.join(import.meta.dirname, 'artifacts');
const STEPS = 40;
const EVAL_EVERY = 5;
const TRY = 'The boat was tossed by the waves.';

async function logits(model: BertForSequenceClassification, tokenizer: Tokenizer, text: string): Promise<number[]> {
  const ids = tokenizer.encode(text).ids;
  const input = tf.tensor2d([ids], [1, ids.length], 'int32');
  const out = model.forward({ inputIds: input });
  const values = Array.from(await out.logits.data(), Number);
  tf.dispose([input, out as unknown as tf.TensorContainer]);
  return values;
}

describe('the text-classifier view in Chromium (BERT + LoRA)', () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  let tmp: string;
  const downloads: Download[] = [];

  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-demo-cls-'));
    const registry = createRegistry();
    registerWasmBackend(registry);
    registerCpuBackend(registry);
    await useBackend(registry, 'wasm', { threads: 1 });
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

  it('names the line of a broken CSV or JSONL example, with Train disabled', async () => {
    await page.fill('#cls-data', 'text,label\nThe sea is wide.,sea\nThe cook, the pot,kitchen\n');
    expect(await page.getAttribute('#cls-data-status', 'data-state')).toBe('error');
    expect(await page.getAttribute('#cls-data-status', 'data-line')).toBe('3');
    expect(await page.textContent('#cls-data-status')).toBe('line 3: 3 fields, but the header has 2 (text, label); quote a text that holds a comma');
    expect(await page.isDisabled('#cls-train')).toBe(true);
    await page.locator('#cls-title').locator('..').screenshot({ path: path.join(ARTIFACTS, 'classifier-error.png') });
    await page.fill('#cls-data', '{"text": "The sea is wide.", "label": "sea"}\n{"text": "The pot", "label": }\n');
    expect(await page.getAttribute('#cls-data-status', 'data-line')).toBe('2');
    expect(await page.textContent('#cls-data-status')).toMatch(/^line 2: not valid JSON/);
    await page.fill('#cls-data', '');
    expect(await page.getAttribute('#cls-data-status', 'data-state')).toBe('empty');
    expect(await page.isDisabled('#cls-train')).toBe(true);
  });

  it('reads a JSONL file opened from disk', async () => {
    const jsonl = parseLabelled(SAMPLE_CSV).examples.map((e) => JSON.stringify(e)).join('\n');
    await page.setInputFiles('#cls-file', { name: 'examples.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from(jsonl) });
    await page.waitForSelector('#cls-data-status[data-state="ok"]');
    expect(await page.textContent('#cls-data-status')).toBe('30 examples (JSONL), 3 labels: horse, kitchen, sea — 24 to train on, 6 held out.');
    expect(await page.isEnabled('#cls-train')).toBe(true);
  });

  it('trains LoRA with the held-out accuracy live; the adapter gives the same logits and accuracy in Node', async () => {
    await page.click('#cls-sample');
    expect(await page.textContent('#cls-data-status')).toBe('30 examples (CSV), 3 labels: horse, kitchen, sea — 24 to train on, 6 held out.');
    await page.fill('#cls-steps', String(STEPS));
    await page.fill('#cls-eval-every', String(EVAL_EVERY));
    await page.fill('#cls-lr', '0.005');
    await page.fill('#cls-seed', '0');
    await page.click('#cls-train');
    // Live: an accuracy shows before training ends.
    await page.waitForSelector('#cls-accuracy:text-matches("^Held-out accuracy after step")');
    expect(await page.getAttribute('#cls-chart', 'data-state')).toBe('running');
    await page.waitForSelector('#cls-chart[data-state="done"]');
    const losses = JSON.parse((await page.getAttribute('#cls-chart', 'data-losses'))!) as number[];
    expect(losses).toHaveLength(STEPS);
    expect(losses.every(Number.isFinite)).toBe(true);
    const history = JSON.parse((await page.getAttribute('#cls-accuracy', 'data-history'))!) as { step: number; accuracy: number }[];
    expect(history.map((h) => h.step)).toEqual(Array.from({ length: STEPS / EVAL_EVERY }, (_, i) => (i + 1) * EVAL_EVERY));
    for (const h of history) {
      expect(h.accuracy).toBeGreaterThanOrEqual(0);
      expect(h.accuracy).toBeLessThanOrEqual(1);
    }
    const early = losses.slice(0, 5).reduce((a, b) => a + b) / 5;
    const late = losses.slice(-5).reduce((a, b) => a + b) / 5;
    console.log(`classifier: ${STEPS} steps, mean loss of the first 5 ${early.toFixed(4)} → last 5 ${late.toFixed(4)}; held-out accuracy ${history.map((h) => `${h.step}:${h.accuracy.toFixed(3)}`).join(' ')}`);
    expect(late).toBeLessThan(early);

    await page.fill('#cls-try-text', TRY);
    await page.click('#cls-try');
    await page.waitForSelector('#cls-try-out[data-state="done"]');
    const pageLogits = JSON.parse((await page.getAttribute('#cls-try-out', 'data-logits'))!) as number[];
    expect(await page.locator('#cls-try-out li').count()).toBe(3);
    await page.locator('#cls-title').locator('..').screenshot({ path: path.join(ARTIFACTS, 'classifier.png') });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.locator('#cls-title').locator('..').screenshot({ path: path.join(ARTIFACTS, 'classifier-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });

    const dir = path.join(tmp, 'adapter');
    fs.mkdirSync(dir);
    downloads.length = 0;
    await page.click('#cls-download');
    await expect.poll(() => downloads.length, { timeout: 60_000 }).toBe(2);
    for (const d of downloads) await d.saveAs(path.join(dir, d.suggestedFilename()));
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ peft_type: 'LORA', r: 8, lora_alpha: 16, target_modules: ['query', 'value'], modules_to_save: ['classifier'], task_type: 'SEQ_CLS', fan_in_fan_out: false });

    // Node: the base BERT with the same labels, the adapter on top.
    const labels = ['horse', 'kitchen', 'sea'];
    const before = tf.memory().numTensors;
    const model = await BertForSequenceClassification.fromPretrained(MODEL_DIR, { configOverrides: { id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])), label2id: Object.fromEntries(labels.map((l, i) => [l, i])) } });
    const lora = await loadLoraAdapter(model, dir);
    const tokenizer = await Tokenizer.fromPretrained(MODEL_DIR);
    const nodeLogits = await logits(model, tokenizer, TRY);
    const diff = Math.max(...nodeLogits.map((v, i) => Math.abs(v - pageLogits[i]!)));
    console.log(`classifier logits for "${TRY}": max |node − page| = ${diff.toExponential(2)}; page says ${await page.getAttribute('#cls-try-out', 'data-label')}`);
    expect(nodeLogits).toHaveLength(3);
    expect(diff).toBeLessThan(1e-4);
    // The page's last held-out accuracy is Node's on the same split.
    const held = heldOut(parseLabelled(SAMPLE_CSV).examples, 0.2).eval;
    let right = 0;
    for (const e of held) {
      const row = await logits(model, tokenizer, e.text);
      if (labels[row.indexOf(Math.max(...row))] === e.label) right++;
    }
    expect(history.at(-1)!.accuracy).toBeCloseTo(right / held.length, 6);
    lora.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before);

    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator('#cls-title').locator('..').screenshot({ path: path.join(ARTIFACTS, 'classifier-phone-390.png') });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  });
  it('pauses, resumes and stops between two steps', async () => {
    await page.click('#cls-sample');
    await page.fill('#cls-steps', '400');
    const steps = async () => (JSON.parse((await page.getAttribute('#cls-chart', 'data-losses')) ?? '[]') as number[]).length;
    await page.click('#cls-train');
    await expect.poll(steps, { timeout: 120_000 }).toBeGreaterThanOrEqual(2);
    await page.click('#cls-pause');
    expect(await page.textContent('#cls-pause')).toBe('Resume');
    // The worker holds after the step under way and says after which; then nothing moves.
    await page.waitForSelector('#cls-chart[data-paused-at]');
    const pausedAt = Number(await page.getAttribute('#cls-chart', 'data-paused-at'));
    await expect.poll(steps).toBe(pausedAt);
    await page.waitForTimeout(1500);
    expect(await steps()).toBe(pausedAt);
    expect(await page.textContent('#cls-status')).toBe(`Paused after step ${pausedAt}. Resume or stop.`);
    await page.click('#cls-pause');
    await expect.poll(steps, { timeout: 120_000 }).toBeGreaterThan(pausedAt);
    await page.click('#cls-stop');
    await page.waitForSelector('#cls-chart[data-state="done"]');
    const status = (await page.textContent('#cls-status'))!;
    expect(status).toMatch(/^Stopped after \d+ steps: loss/);
    expect(Number(/after (\d+)/.exec(status)![1])).toBeLessThan(400);
    expect(await page.textContent('#cls-pause')).toBe('Pause');
    expect(await page.isDisabled('#cls-pause')).toBe(true);
  });
  it('a run survives a reload: Resume continues the same loss curve and evaluations, and ends with the same classifier', async () => {
    const configure = async () => {
      await page.click('#cls-sample');
      await page.fill('#cls-steps', String(STEPS));
      await page.fill('#cls-eval-every', String(EVAL_EVERY));
      await page.fill('#cls-save-every', '5');
      await page.fill('#cls-lr', '0.005');
      await page.fill('#cls-seed', '0');
    };
    const read = async () => ({
      losses: JSON.parse((await page.getAttribute('#cls-chart', 'data-losses'))!) as number[],
      history: JSON.parse((await page.getAttribute('#cls-accuracy', 'data-history'))!) as { step: number; accuracy: number }[],
    });
    const tryLogits = async () => {
      await page.fill('#cls-try-text', TRY);
      await page.click('#cls-try');
      await page.waitForSelector('#cls-try-out[data-state="done"]');
      return JSON.parse((await page.getAttribute('#cls-try-out', 'data-logits'))!) as number[];
    };
    // The uninterrupted run.
    await configure();
    await page.click('#cls-train');
    await page.waitForSelector('#cls-chart[data-state="done"]');
    const reference = await read();
    const referenceLogits = await tryLogits();
    expect(reference.losses).toHaveLength(STEPS);

    // The same run, reloaded once a state is saved.
    await configure();
    await page.click('#cls-train');
    await page.waitForSelector('#cls-chart[data-saved-at]');
    const savedAt = Number(await page.getAttribute('#cls-chart', 'data-saved-at'));
    await page.reload();
    await page.waitForSelector('#backend-status[data-state="ready"]');
    await page.waitForSelector('#cls-saved[data-checked="true"]', { state: 'attached' });
    expect(await page.isVisible('#cls-saved')).toBe(true);
    const offered = Number(await page.getAttribute('#cls-saved', 'data-step'));
    expect(offered).toBeGreaterThanOrEqual(savedAt);
    expect(offered).toBeLessThan(STEPS);
    const before = await read();
    expect(before.losses).toEqual(reference.losses.slice(0, offered));
    await page.locator('#cls-title').locator('..').screenshot({ path: path.join(ARTIFACTS, 'classifier-saved-run.png') });
    await page.click('#cls-resume-saved');
    await page.waitForSelector('#cls-chart[data-state="done"]');
    expect(Number(await page.getAttribute('#cls-chart', 'data-resumed-at'))).toBe(offered);
    const resumed = await read();
    console.log(`classifier resume: reloaded after the save at step ${savedAt}, resumed at ${offered} of ${STEPS}; losses equal: ${JSON.stringify(resumed.losses) === JSON.stringify(reference.losses)}`);
    expect(resumed.losses).toEqual(reference.losses);
    expect(resumed.history).toEqual(reference.history);
    expect(await tryLogits()).toEqual(referenceLogits);
    // Finished: nothing is offered after another reload.
    await page.reload();
    await page.waitForSelector('#backend-status[data-state="ready"]');
    await page.waitForSelector('#cls-saved[data-checked="true"]', { state: 'attached' });
    expect(await page.isVisible('#cls-saved')).toBe(false);
  });
});
