// The demo on webgl (SwiftShader's WebGL 2 in headless Chromium: functional, not fast): the page
// says it runs on webgl, generates the text tfkit generates in Node, answers fill-mask as Node's
// pipeline() does (the same top-5 tokens), and
// fine-tunes GPT-2 with LoRA and the BERT classifier with finite losses, all in the worker.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { pipeline } from '@tfkit/all';
import { createRegistry } from '@tfkit/core-tensor';
import { registerCpuBackend, registerWasmBackend, useBackend } from '@tfkit/backends';
import { generate } from '@tfkit/generation';
import { GPT2LMHeadModel } from '@tfkit/models-gpt';
import { Tokenizer } from '@tfkit/tokenizers';
import { CHROMIUM_ARGS } from '@tfkit/vitest-config/browser';
import { FAMILY_OPTIONS } from '../src/family-answer.js';
import { generateGreedyInPage } from './page-actions.js';
import { serveStatic, type StaticServer } from './static-server.js';

const appDir = path.resolve(import.meta.dirname, '..');
const ASSETS = path.resolve(appDir, '../../packages/all/assets');
const PROMPT = 'Emma was';
const MAX_NEW = 8;
const MASKED = 'Emma was very [MASK] to see him.';

describe('the demo on webgl (Chromium, SwiftShader)', () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    server = await serveStatic(path.join(appDir, 'dist'));
    browser = await chromium.launch({ executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.setDefaultTimeout(300_000);
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url);
    await page.waitForSelector('#backend-status[data-state="ready"]');
    await page.selectOption('#backend', 'webgl');
    await page.waitForSelector('#backend-status[data-backend="webgl"][data-state="ready"]');
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('says it runs on webgl and generates what Node generates', async () => {
    expect(await page.textContent('#backend-name')).toBe('webgl');
    const text = await generateGreedyInPage(page, PROMPT, MAX_NEW);

    const registry = createRegistry();
    registerWasmBackend(registry);
    registerCpuBackend(registry);
    await useBackend(registry, 'wasm', { threads: 1 });
    const dir = path.join(ASSETS, 'tiny-gpt2');
    const model = await GPT2LMHeadModel.fromPretrained(dir);
    const tokenizer = await Tokenizer.fromPretrained(dir);
    const out = await generate(model, [tokenizer.encode(PROMPT, { addSpecialTokens: false }).ids], { maxNewTokens: MAX_NEW, repetitionPenalty: 1.1, doSample: false });
    model.dispose();
    expect(text).toBe(tokenizer.decode(out.sequences[0]!.slice(out.prefixLength), { skipSpecialTokens: true }));
  });

  it('answers fill-mask as Node does (the same top-5 tokens)', async () => {
    await page.selectOption('#fam-task', 'fill-mask');
    await page.fill('#fam-text', MASKED);
    await page.fill('#fam-model-url', '');
    await page.click('#fam-run');
    await page.waitForSelector('#fam-output[data-state="done"], #fam-output[data-state="error"]', { state: 'attached' });
    const status = (await page.textContent('#fam-status'))!;
    expect(await page.getAttribute('#fam-output', 'data-state'), status).toBe('done');
    expect(status).toMatch(/ on webgl /);
    // data-answer: the top-5 tokens, "a | b | …" (family-answer.ts).
    const got = (await page.getAttribute('#fam-output', 'data-answer'))!.split(' | ');
    const pipe = (await pipeline('fill-mask', path.join(ASSETS, 'tiny-bert'), { backend: 'wasm' })) as unknown as { call(input: unknown, options?: object): Promise<{ tokenStr: string; score: number }[]>; dispose(): void };
    try {
      const want = await pipe.call(MASKED, FAMILY_OPTIONS['fill-mask']);
      expect(got).toEqual(want.map((w) => w.tokenStr.trim()));
    } finally {
      pipe.dispose();
    }
  });

  it('fine-tunes GPT-2 with LoRA on webgl: finite losses that fall', async () => {
    await page.click('#ft-sample');
    await page.selectOption('#ft-method', 'lora');
    await page.fill('#ft-steps', '6');
    await page.fill('#ft-lr', '0.01');
    await page.fill('#ft-seed', '0');
    await page.fill('#ft-save-every', '0');
    await page.click('#ft-train');
    await page.waitForSelector('#ft-chart[data-state="done"]');
    const losses = JSON.parse((await page.getAttribute('#ft-chart', 'data-losses'))!) as number[];
    console.log(`webgl LoRA losses: ${losses.map((l) => l.toFixed(4)).join(' ')}`);
    expect(losses).toHaveLength(6);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses.at(-1)!).toBeLessThan(losses[0]!);
    expect(await page.textContent('#ft-status')).toMatch(/^Done after 6 steps/);
  });

  it('trains the BERT classifier on webgl: finite losses and an accuracy', async () => {
    await page.click('#cls-sample');
    await page.fill('#cls-steps', '5');
    await page.fill('#cls-eval-every', '5');
    await page.fill('#cls-save-every', '0');
    await page.click('#cls-train');
    await page.waitForSelector('#cls-chart[data-state="done"], #cls-chart[data-state="error"]', { state: 'attached' });
    const status = (await page.textContent('#cls-status'))!;
    expect(await page.getAttribute('#cls-chart', 'data-state'), status).toBe('done');
    const losses = JSON.parse((await page.getAttribute('#cls-chart', 'data-losses'))!) as number[];
    const history = JSON.parse((await page.getAttribute('#cls-accuracy', 'data-history'))!) as { step: number; accuracy: number }[];
    console.log(`webgl classifier losses: ${losses.map((l) => l.toFixed(4)).join(' ')}; accuracy ${JSON.stringify(history)}`);
    expect(losses).toHaveLength(5);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(history.map((h) => h.step)).toEqual([5]);
    expect(errors).toEqual([]);
  });
});
