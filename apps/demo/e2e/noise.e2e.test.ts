// BART's five noising schemes in the page: each row's token ids are what @tfkit/models-bart's
// function gives in Node for BART's tokenization of the same text with the same seed. And the
// task-prompt GPT-2: the page's `<to-fr>` and `<summarize>` answers are Node's.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { pipeline } from '@tfkit/all';
import { createRegistry, Random } from '@tfkit/core-tensor';
import { registerCpuBackend, registerWasmBackend, useBackend } from '@tfkit/backends';
import { generate } from '@tfkit/generation';
import { GPT2LMHeadModel } from '@tfkit/models-gpt';
import { documentRotation, sentencePermutation, textInfilling, tokenDeletion, tokenMasking } from '@tfkit/models-bart';
import { Tokenizer } from '@tfkit/tokenizers';
import { CHROMIUM_ARGS } from '@tfkit/vitest-config/browser';
import { serveStatic, type StaticServer } from './static-server.js';

const appDir = path.resolve(import.meta.dirname, '..');
const BART = path.resolve(appDir, '../../packages/all/assets/tiny-bart-translation');
const PROMPTS = path.resolve(appDir, '../../packages/all/assets/tiny-gpt2-prompts');
const ARTIFACTS = path.join(import.meta.dirname, 'artifacts');
const TEXT = 'The old ship left the harbour at dawn. The sea was grey and calm! Where would the wind take them? Nobody knew.';
const SEED = 5;

describe("BART's noising schemes in the page (Chromium)", () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const registry = createRegistry();
    registerWasmBackend(registry);
    registerCpuBackend(registry);
    await useBackend(registry, 'wasm', { threads: 1 });
    server = await serveStatic(path.join(appDir, 'dist'));
    browser = await chromium.launch({ executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.setDefaultTimeout(150_000);
    await page.goto(server.url);
    await page.waitForSelector('#backend-status[data-state="ready"]');
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows the five schemes of the user\'s text, each equal to the library\'s in Node', async () => {
    await page.fill('#noise-text', TEXT);
    await page.fill('#noise-seed', String(SEED));
    await page.click('#noise-run');
    await page.waitForSelector('#noise-out[data-state="done"]');
    const rows = await page.$$eval('#noise-out tbody tr', (trs) => trs.map((tr) => ({ scheme: (tr as HTMLElement).dataset['scheme']!, ids: JSON.parse((tr as HTMLElement).dataset['ids']!) as number[], masks: tr.querySelectorAll('li.mask').length })));
    expect(rows.map((r) => r.scheme)).toEqual(['original', 'token masking', 'token deletion', 'text infilling', 'sentence permutation', 'document rotation']);

    const tok = await Tokenizer.fromPretrained(BART);
    const ids = tok.encode(TEXT, { addSpecialTokens: false }).ids;
    const mask = tok.tokenToId('<mask>')!;
    const stops = ['.', '!', '?'].map((t) => tok.tokenToId(t)!);
    const expected: Record<string, number[]> = {
      original: ids,
      'token masking': tokenMasking(ids, { maskTokenId: mask, probability: 0.15, rng: new Random(SEED) }),
      'token deletion': tokenDeletion(ids, { probability: 0.15, rng: new Random(SEED) }),
      'text infilling': textInfilling(ids, { maskTokenId: mask, probability: 0.3, poissonLambda: 3, rng: new Random(SEED) }),
      'sentence permutation': sentencePermutation(ids, { fullStopIds: stops, rng: new Random(SEED) }),
      'document rotation': documentRotation(ids, { rng: new Random(SEED) }),
    };
    for (const r of rows) expect(r.ids, r.scheme).toEqual(expected[r.scheme]);
    // What each scheme does, visibly: masks highlighted, tokens gone, the same tokens reordered.
    const row = (s: string) => rows.find((r) => r.scheme === s)!;
    expect(row('token masking').masks).toBe(Math.round(0.15 * ids.length));
    expect(row('token deletion').ids.length).toBe(ids.length - Math.round(0.15 * ids.length));
    expect(row('text infilling').masks).toBeGreaterThan(0);
    expect([...row('sentence permutation').ids].sort()).toEqual([...ids].sort());
    expect(row('sentence permutation').ids).not.toEqual(ids);
    expect([...row('document rotation').ids].sort()).toEqual([...ids].sort());
    console.log(`noising ${ids.length} tokens, seed ${SEED}: ${rows.map((r) => `${r.scheme} ${r.ids.length} tokens, ${r.masks} masks`).join('; ')}`);

    const section = page.locator('#noise-title').locator('..');
    await page.locator('#noise-title').scrollIntoViewIfNeeded();
    await page.locator('#noise-out').screenshot({ path: path.join(ARTIFACTS, 'bart-noising.png') });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.locator('#noise-out').screenshot({ path: path.join(ARTIFACTS, 'bart-noising-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator('#noise-out').screenshot({ path: path.join(ARTIFACTS, 'bart-noising-phone-390.png') });
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
    expect(await section.count()).toBe(1);
  });

  it('the task-prompt GPT-2 answers <to-fr> and <summarize> as Node does', async () => {
    await page.setViewportSize({ width: 1200, height: 900 });
    // tfkit's prompted translation pipeline first (it starts the wasm backend its own way, before any tensor lives).
    const translate = (await pipeline('translation', PROMPTS, { backend: 'wasm' })) as unknown as { call(t: string, o: object): Promise<{ translationText: string }[]>; dispose(): void };
    const [viaPipeline] = await translate.call('the small garden', { tgtLang: 'fr', doSample: false, maxNewTokens: 40 });
    translate.dispose();
    const model = await GPT2LMHeadModel.fromPretrained(PROMPTS);
    const tok = await Tokenizer.fromPretrained(PROMPTS);
    const cases = [
      { task: 'to-fr', text: 'the small garden' },
      { task: 'summarize', text: 'The rain fell all day. We stayed in the house and read by the fire. In the evening the rain stopped and the sky was clear.' },
    ];
    for (const c of cases) {
      await page.selectOption('#prompt-task', c.task);
      await page.fill('#prompt-text', c.text);
      await page.click('#prompt-run');
      await page.waitForSelector('#prompt-out[data-state="done"]');
      const ids = JSON.parse((await page.getAttribute('#prompt-out', 'data-ids'))!) as number[];
      const prompt = tok.encode(`${c.text} <${c.task}>`).ids;
      expect(prompt).toContain(tok.tokenToId(`<${c.task}>`));
      const out = await generate(model, [prompt], { maxNewTokens: 40, doSample: false });
      const expected = out.sequences[0]!.slice(out.prefixLength);
      expect(ids).toEqual(expected);
      const text = (await page.textContent('#prompt-out'))!;
      if (expected.length > 0 && tok.decode(expected, { skipSpecialTokens: true }).trim()) expect(text).toBe(tok.decode(expected, { skipSpecialTokens: true }).trim());
      expect(await page.textContent('#prompt-prompt')).toBe(`Prompt (${prompt.length} tokens): ${c.text} <${c.task}>`);
      console.log(`<${c.task}> ${JSON.stringify(c.text.slice(0, 40))} → ${JSON.stringify(text)}`);
      // The same answer as tfkit's prompted translation pipeline gives.
      if (c.task === 'to-fr') expect(viaPipeline!.translationText.trim()).toBe(tok.decode(expected, { skipSpecialTokens: true }).trim());
    }
    model.dispose();
    await page.locator('#prompt-title').scrollIntoViewIfNeeded();
    await page.locator('#prompt-out').screenshot({ path: path.join(ARTIFACTS, 'gpt2-prompts.png') });
  });
});
