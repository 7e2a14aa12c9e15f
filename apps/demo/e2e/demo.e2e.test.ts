// The built demo in headless Chromium, served by a plain static server: the page must generate
// exactly the text tfkit generates in Node for the same model and settings, tokenize exactly like
// the Node tokenizer, report the backend it runs on, and log no error.
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createRegistry } from '@tfkit/core-tensor';
import { registerCpuBackend, registerWasmBackend, useBackend } from '@tfkit/backends';
import { generate } from '@tfkit/generation';
import { GPT2LMHeadModel } from '@tfkit/models-gpt';
import { Tokenizer } from '@tfkit/tokenizers';
import { CHROMIUM_ARGS } from '@tfkit/vitest-config/browser';
import { serveStatic, type StaticServer } from './static-server.js';

const appDir = path.resolve(import.meta.dirname, '..');
const MODEL_DIR = path.resolve(appDir, '../../packages/all/assets/tiny-gpt2');
const PROMPT = 'Emma was';
const SETTINGS = { maxNewTokens: 20, repetitionPenalty: 1.1 };
const SAMPLING = { temperature: 0.9, topK: 50, topP: 0.95, seed: 7 };
// Multi-byte characters (split into several byte-level tokens), punctuation, spaces and a newline.
const TOKENIZER_TEXT = 'Miss Woodhouse — naïve? 🙂 “Yes,” said Emma.\n  Mr. Knightley, 1816.';

type Mode = 'greedy' | 'sample';

/** What tfkit generates in Node on `backend`: the continuation's text, greedy and sampled. */
async function nodeReference(backend: 'wasm' | 'cpu', tokenizer: Tokenizer): Promise<Record<Mode, string>> {
  const registry = createRegistry();
  registerWasmBackend(registry);
  registerCpuBackend(registry);
  await useBackend(registry, backend, { threads: 1 });
  const model = await GPT2LMHeadModel.fromPretrained(MODEL_DIR);
  try {
    const ids = tokenizer.encode(PROMPT, { addSpecialTokens: false }).ids;
    const run = async (options: Parameters<typeof generate>[2]) => {
      const out = await generate(model, [ids], { ...SETTINGS, ...options });
      expect(out.sequences[0]!.length - out.prefixLength).toBe(SETTINGS.maxNewTokens);
      return tokenizer.decode(out.sequences[0]!.slice(out.prefixLength), { skipSpecialTokens: true });
    };
    return { greedy: await run({ doSample: false }), sample: await run({ doSample: true, ...SAMPLING }) };
  } finally {
    model.dispose();
  }
}

describe('tfkit demo in Chromium', () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  let tokenizer: Tokenizer;
  const reference: Record<string, Record<Mode, string>> = {};
  const errors: string[] = [];

  beforeAll(async () => {
    tokenizer = await Tokenizer.fromPretrained(MODEL_DIR);
    reference['wasm'] = await nodeReference('wasm', tokenizer);
    reference['cpu'] = await nodeReference('cpu', tokenizer);
    server = await serveStatic(path.join(appDir, 'dist'));
    browser = await chromium.launch({ executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
    page = await browser.newPage();
    // Playwright waits 30 s by default; loading and generating can take longer on a loaded machine.
    page.setDefaultTimeout(150_000);
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
    });
    page.on('pageerror', (error) => errors.push(`page: ${error.message}`));
    page.on('requestfailed', (request) => {
      // The URL source checks that optional files exist with HEAD requests, and Chromium reports
      // every HEAD fetch as net::ERR_ABORTED (it has no body to load) even when it answered 200.
      const failure = request.failure()?.errorText;
      if (request.method() === 'HEAD' && failure === 'net::ERR_ABORTED') return;
      errors.push(`request failed: ${request.method()} ${request.url()} ${failure}`);
    });
    await page.goto(server.url);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  afterEach(() => {
    expect(errors).toEqual([]);
    expect(server.requests.filter((r) => r.status !== 200)).toEqual([]);
  });

  /** Fills the form, generates, and returns the continuation shown in the page. */
  async function generateInPage(mode: Mode): Promise<string> {
    await page.fill('#prompt', PROMPT);
    await page.fill('#max-new-tokens', String(SETTINGS.maxNewTokens));
    await page.fill('#repetition-penalty', String(SETTINGS.repetitionPenalty));
    await page.check(`input[name="mode"][value="${mode}"]`);
    expect(await page.isDisabled('#temperature')).toBe(mode === 'greedy'); // sampling settings apply to sampling only
    if (mode === 'sample') {
      await page.fill('#temperature', String(SAMPLING.temperature));
      await page.fill('#top-k', String(SAMPLING.topK));
      await page.fill('#top-p', String(SAMPLING.topP));
      await page.fill('#seed', String(SAMPLING.seed));
    }
    await page.click('#generate');
    await page.waitForSelector('#gen-output[data-state="done"]');
    return page.textContent('#gen-text') as Promise<string>;
  }

  it('loads the model from the site and reports the wasm backend', async () => {
    await page.waitForSelector('#backend-status[data-backend]');
    expect(await page.getAttribute('#backend-status', 'data-backend')).toBe('wasm');
    expect(await page.textContent('#backend-name')).toBe('wasm');
    // Served by a plain server (not cross-origin isolated): one thread, and the line says why — or,
    // where the browser sees a single core (a pinned or one-core machine), that it has one.
    expect(await page.textContent('#backend-status')).toMatch(/SIMD binary, 1 thread.*(not cross-origin isolated|of 1 logical core)/);
    expect(await page.title()).toBe('tfkit demo');
    const fetched = server.requests.map((r) => r.path);
    expect(fetched).toContain('/models/tiny-gpt2/model.safetensors');
    expect(fetched).toContain('/models/tiny-gpt2/tokenizer.json');
    expect(fetched.some((p) => /\/assets\/tfjs-backend-wasm-simd-[\w-]+\.wasm$/.test(p))).toBe(true);
  });

  it('greedy generation on wasm streams exactly the text tfkit generates in Node', async () => {
    const text = await generateInPage('greedy');
    expect(text).toBe(reference['wasm']!.greedy);
    expect(text.length).toBeGreaterThan(0);
    // Streamed: the continuation arrived in several pieces, not in one write at the end.
    expect(await page.locator('#gen-text .fresh').count()).toBeGreaterThan(5);
    expect(await page.textContent('#gen-prompt')).toBe(PROMPT);
    expect(await page.textContent('#gen-stats')).toMatch(/^20 tokens in [\d.]+ s · [\d.]+ tokens\/s on wasm$/);
    // The attention panel drew the last generation: prompt + 20 tokens.
    const total = tokenizer.encode(PROMPT, { addSpecialTokens: false }).ids.length + SETTINGS.maxNewTokens;
    await page.waitForSelector(`#attn-canvas[data-tokens="${total}"]`);
    expect(await page.getAttribute('#attn-canvas', 'aria-label')).toMatch(new RegExp(`^Attention of layer 1, mean of the heads, over ${total} tokens$`));
    // Token labels on both axes (every one at this length) and the colour scale from 0 to 1.
    expect(await page.getAttribute('#attn-canvas', 'data-label-step')).toBe('1');
    expect(await page.locator('#attn-legend .attn-legend-ticks span').allTextContents()).toEqual(['0', '0.05', '0.25', '0.5', '1']);
    await page.locator('#attn-title').locator('..').screenshot({ path: path.join(import.meta.dirname, 'artifacts', 'attention.png') });
  });

  it('switches to cpu, says so, and generates the same text as Node on cpu', async () => {
    await page.selectOption('#backend', 'cpu');
    await page.waitForSelector('#backend-status[data-backend="cpu"]');
    expect(await page.textContent('#backend-name')).toBe('cpu');
    expect(await generateInPage('greedy')).toBe(reference['cpu']!.greedy);
    expect(await page.textContent('#gen-stats')).toMatch(/ on cpu$/);
  });

  it('sampling with a seed (temperature, top-k, top-p) gives the text Node samples with that seed', async () => {
    await page.selectOption('#backend', 'wasm');
    await page.waitForSelector('#backend-status[data-backend="wasm"]');
    const text = await generateInPage('sample');
    expect(text).toBe(reference['wasm']!.sample);
    expect(text).not.toBe(reference['wasm']!.greedy);
  });

  it('Stop ends a generation between two tokens', async () => {
    await page.fill('#max-new-tokens', '120');
    await page.waitForSelector('#generate:enabled');
    // Generate and Stop in one task of the page: the worker gets the stop right behind the request
    // and acts on it at the first step boundary, however fast the steps run (the tiny model
    // writes 120 tokens in ~0.3 s, quicker than a second click from here could land).
    await page.evaluate(() => {
      document.querySelector<HTMLButtonElement>('#generate')!.click();
      document.querySelector<HTMLButtonElement>('#stop')!.click();
    });
    await page.waitForSelector('#gen-output[data-state="done"]');
    const stats = (await page.textContent('#gen-stats'))!;
    expect(stats).toMatch(/^\d+ tokens in .*, stopped$/);
    expect(Number(stats.split(' ')[0])).toBeLessThan(120);
    // The buttons are restored once the run's promise settles, a moment after the output says done.
    await page.waitForSelector('#generate:enabled');
    expect(await page.isDisabled('#stop')).toBe(true);
  });

  it('the tokenizer panel shows the ids and offsets of the Node tokenizer', async () => {
    await page.fill('#tok-input', TOKENIZER_TEXT);
    const expected = tokenizer.encode(TOKENIZER_TEXT, { addSpecialTokens: false });
    await page.waitForFunction((n) => document.querySelectorAll('#tok-list li').length === n, expected.length);
    const shown = await page.$$eval('#tok-list li', (items) =>
      items.map((li) => ({ id: Number(li.dataset['id']), start: Number(li.dataset['start']), end: Number(li.dataset['end']) })),
    );
    expect(shown.map((t) => t.id)).toEqual(expected.ids);
    expect(shown.map((t) => [t.start, t.end])).toEqual(expected.offsets);
    // The highlighted text is the input, cut at the offsets.
    expect(await page.textContent('#tok-text')).toBe(TOKENIZER_TEXT);
    expect(await page.textContent('#tok-summary')).toMatch(new RegExp(`^${expected.length} tokens for ${TOKENIZER_TEXT.length} characters`));
  });
});
