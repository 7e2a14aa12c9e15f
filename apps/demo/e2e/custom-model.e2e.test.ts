// Loading your own GPT-2 by URL: a folder on another origin (served with CORS) loads and generates
// the text tfkit generates in Node from that folder; a missing file, a folder of another family and
// a server without CORS each give an error naming the address and what to do; "Embedded model"
// goes back. In "Every family", a folder given for a task runs that task's pipeline: its answer is
// Node's pipeline() answer on the same folder, and a folder of the wrong family says why.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createRegistry } from '@tfkit/core-tensor';
import { registerCpuBackend, registerWasmBackend, useBackend } from '@tfkit/backends';
import { pipeline } from '@tfkit/all';
import { generate } from '@tfkit/generation';
import { GPT2LMHeadModel } from '@tfkit/models-gpt';
import { Tokenizer } from '@tfkit/tokenizers';
import { CHROMIUM_ARGS } from '@tfkit/vitest-config/browser';
import { FAMILY_OPTIONS, familyAnswer, type FamilyResults } from '../src/family-answer.js';
import { generateGreedyInPage } from './page-actions.js';
import { serveStatic, type StaticServer } from './static-server.js';

const appDir = path.resolve(import.meta.dirname, '..');
const ASSETS = path.resolve(appDir, '../../packages/all/assets');
const ARTIFACTS = path.join(import.meta.dirname, 'artifacts');
const PROMPT = 'Emma was';
const MAX_NEW = 12;
const CORS = { 'Access-Control-Allow-Origin': '*' };

describe('your own model by URL (Chromium)', () => {
  let site: StaticServer;
  let models: StaticServer;
  let noCors: StaticServer;
  let browser: Browser;
  let page: Page;
  let tmp: string;

  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const registry = createRegistry();
    registerWasmBackend(registry);
    registerCpuBackend(registry);
    await useBackend(registry, 'wasm', { threads: 1 });
    // "Your" model: another GPT-2 (the embedded task-prompt one), only the three required files.
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-demo-models-'));
    fs.mkdirSync(path.join(tmp, 'mine'));
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json']) fs.copyFileSync(path.join(ASSETS, 'tiny-gpt2-prompts', f), path.join(tmp, 'mine', f));
    fs.mkdirSync(path.join(tmp, 'bert'));
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json']) fs.copyFileSync(path.join(ASSETS, 'tiny-bert', f), path.join(tmp, 'bert', f));
    fs.mkdirSync(path.join(tmp, 'broken'));
    for (const f of ['config.json', 'tokenizer.json']) fs.copyFileSync(path.join(ASSETS, 'tiny-gpt2-prompts', f), path.join(tmp, 'broken', f));
    site = await serveStatic(path.join(appDir, 'dist'));
    models = await serveStatic(tmp, CORS);
    noCors = await serveStatic(tmp);
    browser = await chromium.launch({ executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.setDefaultTimeout(150_000);
    await page.goto(site.url);
    await page.waitForSelector('#backend-status[data-state="ready"]');
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([site?.close(), models?.close(), noCors?.close()]);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  async function load(url: string, state: 'ready' | 'error'): Promise<string> {
    await page.fill('#model-url', url);
    await page.click('#model-load');
    await page.waitForSelector(`#backend-status[data-state="${state}"]`);
    return (await page.textContent('#backend-status'))!;
  }

  it('loads a GPT-2 folder from another origin and generates what Node generates from it', async () => {
    await load(`${models.url}mine`, 'ready');
    expect(await page.textContent('#model-name')).toBe(`Model: ${models.url}mine/`);
    expect(models.requests.some((r) => r.method === 'GET' && r.path === '/mine/model.safetensors' && r.status === 200)).toBe(true);
    const text = await generateGreedyInPage(page, PROMPT, MAX_NEW);

    const dir = path.join(tmp, 'mine');
    const model = await GPT2LMHeadModel.fromPretrained(dir);
    const tokenizer = await Tokenizer.fromPretrained(dir);
    const ids = tokenizer.encode(PROMPT, { addSpecialTokens: false }).ids;
    const out = await generate(model, [ids], { maxNewTokens: MAX_NEW, repetitionPenalty: 1.1, doSample: false });
    const expected = tokenizer.decode(out.sequences[0]!.slice(out.prefixLength), { skipSpecialTokens: true });
    model.dispose();
    console.log(`your model (${models.url}mine/): "${PROMPT}" → ${JSON.stringify(text)}`);
    expect(text).toBe(expected);
    await page.locator('header').screenshot({ path: path.join(ARTIFACTS, 'custom-model.png') });
  });

  it('a missing file: names its URL and what the folder must hold; Generate disabled', async () => {
    const status = await load(`${models.url}broken/`, 'error');
    expect(await page.getAttribute('#backend-status', 'data-missing')).toBe(`${models.url}broken/model.safetensors`);
    expect(status).toContain(`The model could not load: ${models.url}broken/model.safetensors could not be loaded (HTTP 404)`);
    expect(status).toContain(`Check the address: ${models.url}broken/ must be a folder (ending in /) that holds config.json, model.safetensors, tokenizer.json`);
    expect(await page.isDisabled('#generate')).toBe(true);
    await page.locator('header').screenshot({ path: path.join(ARTIFACTS, 'custom-model-missing.png') });
  });

  it('another family, a server without CORS, and an address that is no URL: each says why', async () => {
    expect(await load(`${models.url}bert/`, 'error')).toMatch(/config\.json says model_type "bert": this page generates and fine-tunes GPT-2 checkpoints/);
    expect(await load(`${noCors.url}mine/`, 'error')).toMatch(/does it allow cross-origin requests\?/);
    await page.fill('#model-url', 'javascript:alert(1)');
    await page.click('#model-load');
    expect(await page.textContent('#backend-status')).toMatch(/^"javascript:alert\(1\)" is not a model folder/);
  });

  it('"Embedded model" goes back to the site\'s tiny GPT-2', async () => {
    await page.click('#model-embedded');
    await page.waitForSelector('#backend-status[data-state="ready"]');
    expect(await page.textContent('#model-name')).toBe('Model: the embedded tiny GPT-2.');
    expect(await page.isEnabled('#generate')).toBe(true);
    expect(await page.isDisabled('#model-embedded')).toBe(true);
  });

  async function runFamily(modelUrl: string, text: string): Promise<{ state: string | null; answer: string | null; status: string | null }> {
    await page.selectOption('#fam-task', 'fill-mask');
    await page.fill('#fam-text', text);
    await page.fill('#fam-model-url', modelUrl);
    await page.waitForSelector('#fam-run:not([disabled])');
    await page.click('#fam-run');
    // An error leaves the answer region empty (hidden): wait for the state, not for visibility.
    await page.waitForSelector('#fam-output[data-state="done"], #fam-output[data-state="error"]', { state: 'attached' });
    return { state: await page.getAttribute('#fam-output', 'data-state'), answer: await page.getAttribute('#fam-output', 'data-answer'), status: await page.textContent('#fam-status') };
  }

  it('"Every family" runs fill-mask on your BERT folder and answers what Node answers from it', async () => {
    const text = 'Emma was very [MASK] to see him.';
    const got = await runFamily(`${models.url}bert`, text);
    expect(got.state, got.status ?? '').toBe('done');
    expect(got.status).toContain(`with ${models.url}bert/`);
    expect(models.requests.some((r) => r.method === 'GET' && r.path === '/bert/model.safetensors' && r.status === 200)).toBe(true);
    const pipe = (await pipeline('fill-mask', path.join(tmp, 'bert'), { backend: 'wasm' })) as unknown as { call(input: unknown, options?: object): Promise<unknown>; dispose(): void };
    try {
      const expected = familyAnswer('fill-mask', (await pipe.call(text, FAMILY_OPTIONS['fill-mask'])) as FamilyResults['fill-mask']);
      expect(got.answer).toBe(expected);
    } finally {
      pipe.dispose();
    }
  });

  it('"Every family" with a folder of another family, or no URL: says which address and why', async () => {
    const gpt2 = await runFamily(`${models.url}mine/`, 'Emma was very [MASK] to see him.');
    expect(gpt2.state).toBe('error');
    expect(gpt2.status).toContain(`${models.url}mine/ could not serve fill-mask:`);
    expect(gpt2.status).toContain('Or clear the Model field to use the embedded model.');
    expect(gpt2.status).not.toContain('must be a folder');
    console.log(`fill-mask on a GPT-2 folder: ${gpt2.status}`);
    const missing = await runFamily(`${models.url}broken/`, 'Emma was very [MASK] to see him.');
    expect(missing.state).toBe('error');
    expect(missing.status).toContain(`${models.url}broken/ could not serve fill-mask:`);
    expect(missing.status).toContain(`Check the address: ${models.url}broken/ must be a folder (ending in /) that holds config.json, model.safetensors, tokenizer.json`);
    console.log(`fill-mask on a folder without weights: ${missing.status}`);
    const bad = await runFamily('javascript:alert(1)', 'x [MASK] y');
    expect(bad.state).toBe('error');
    expect(bad.status).toMatch(/^"javascript:alert\(1\)" is not a model folder/);
    await page.fill('#fam-model-url', '');
  });
});
