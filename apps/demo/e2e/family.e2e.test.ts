// The "Every family" view in Chromium: each task (fill-mask, NER, QA, translation with beam search,
// image classification of a shipped example) run once in the page's worker must give the answer
// @tfkit/all's pipeline() gives in Node for the same input and options (compared as the string
// family-answer.ts builds from either result). Screenshots go to e2e/artifacts/.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { pipeline } from '@tfkit/all';
import * as tf from '@tensorflow/tfjs-core';
import { decodeImage } from '@tfkit/core-tensor';
import { generate } from '@tfkit/generation';
import { CHROMIUM_ARGS } from '@tfkit/vitest-config/browser';
import { FAMILY_OPTIONS, FAMILY_TASKS, familyAnswer, type FamilyResults, type FamilyTask } from '../src/family-answer.js';
import { serveStatic, type StaticServer } from './static-server.js';

const appDir = path.resolve(import.meta.dirname, '..');
const ASSETS = path.resolve(appDir, '../../packages/all/assets');
const ARTIFACTS = path.join(import.meta.dirname, 'artifacts');

interface Case {
  task: FamilyTask;
  text: string;
  context?: string;
  numBeams?: number;
  example?: string;
}

const CASES: Case[] = [
  { task: 'fill-mask', text: 'Emma was very [MASK] to see him.' },
  { task: 'ner', text: '"No," replied Anne, in a low, feeling voice. Mr. Knightley walked to Hartfield.' },
  { task: 'qa', text: 'Such a heart--such a who?', context: 'Such an end of the doleful disappointment of five weeks back! Such a heart--such a Harriet! Now there would be pleasure in her returning.' },
  { task: 'translate', text: 'The house is small.', numBeams: 4 },
  { task: 'summarize', text: 'Emma was very happy. Mr. Knightley walked to Hartfield in the rain. He found her in the garden.', numBeams: 4 },
  { task: 'classify', text: '', example: 'trouser.png' },
];

/** What @tfkit/all's pipeline() answers in Node on wasm for `c`, with the embedded model the page uses for the task. */
async function nodeAnswer(c: Case): Promise<string> {
  const pipe = (await pipeline(FAMILY_TASKS[c.task].pipeline, path.join(ASSETS, FAMILY_TASKS[c.task].model), { backend: 'wasm' })) as unknown as { call(input: unknown, options?: object): Promise<unknown>; dispose(): void };
  try {
    let result: unknown;
    if (c.task === 'qa') result = await pipe.call({ question: c.text, context: c.context }, FAMILY_OPTIONS.qa);
    else if (c.task === 'translate') result = await pipe.call(c.text, { ...FAMILY_OPTIONS.translate, numBeams: c.numBeams });
    else if (c.task === 'summarize') result = await pipe.call(c.text, { ...FAMILY_OPTIONS.summarize, numBeams: c.numBeams });
    else if (c.task === 'classify') result = await pipe.call(await decodeImage(fs.readFileSync(path.join(ASSETS, 'tiny-vit-fashion/examples', c.example!))), FAMILY_OPTIONS.classify);
    else result = await pipe.call(c.text, FAMILY_OPTIONS[c.task]);
    return familyAnswer(c.task, result as FamilyResults[typeof c.task]);
  } finally {
    pipe.dispose();
  }
}

describe('the "Every family" view in Chromium', () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  const expected = new Map<FamilyTask, string>();

  beforeAll(async () => {
    for (const c of CASES) expected.set(c.task, await nodeAnswer(c));
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    server = await serveStatic(path.join(appDir, 'dist'));
    browser = await chromium.launch({ executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.setDefaultTimeout(150_000);
    page.on('pageerror', (error) => errors.push(`page: ${error.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
    });
    await page.goto(server.url);
    await page.waitForSelector('#backend-status[data-state="ready"]');
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it.each(CASES.map((c) => [c.task, c] as const))('%s gives the answer Node gives', async (task, c) => {
    await page.selectOption('#fam-task', task);
    if (c.task !== 'classify') await page.fill('#fam-text', c.text);
    if (c.context !== undefined) await page.fill('#fam-context', c.context);
    if (c.numBeams !== undefined) await page.selectOption('#fam-beams', String(c.numBeams));
    if (c.example !== undefined) await page.selectOption('#fam-example', c.example);
    await page.waitForSelector('#fam-run:not([disabled])');
    await page.click('#fam-run');
    await page.waitForSelector('#fam-output[data-state="done"], #fam-output[data-state="error"]');
    const status = await page.textContent('#fam-status');
    expect(await page.getAttribute('#fam-output', 'data-state'), status ?? '').toBe('done');
    const answer = await page.getAttribute('#fam-output', 'data-answer');
    expect(answer).toBe(expected.get(task));
    if (task !== 'ner') expect(answer, 'the task answers something').not.toBe(''); // NER may find no entity
    // The model card link names the task's model.
    expect(await page.textContent('#fam-card')).toBe(FAMILY_TASKS[task].model);
    if (task === 'ner' || task === 'qa') expect(await page.locator('#fam-output mark').count()).toBe(answer ? answer.split(' | ').length : 0);
    // The first run loaded the task's model, and said so.
    expect(status).toMatch(new RegExp(`^${FAMILY_TASKS[task].pipeline} on wasm in \\d+ ms \\(model loaded for this run\\)\\.$`));
    await page.locator('#fam-title').locator('..').screenshot({ path: path.join(ARTIFACTS, `family-${task}.png`) });
    expect(errors).toEqual([]);
  });

  it('classifies an uploaded image like Node does, and fits a 390-px-wide phone', async () => {
    const file = path.join(ASSETS, 'tiny-vit-fashion/examples', 'ankle-boot.png');
    await page.selectOption('#fam-task', 'classify');
    await page.setInputFiles('#fam-upload', file);
    await page.waitForFunction(() => document.querySelector<HTMLImageElement>('#fam-preview')?.src.startsWith('blob:'));
    await page.click('#fam-run');
    await page.waitForSelector('#fam-output[data-state="done"]');
    expect(await page.getAttribute('#fam-output', 'data-answer')).toBe(await nodeAnswer({ task: 'classify', text: '', example: 'ankle-boot.png' }));
    expect(await page.textContent('#fam-status')).not.toContain('model loaded'); // the second run reuses the pipeline
    await page.setViewportSize({ width: 390, height: 844 });
    const panel = page.locator('#fam-title').locator('..');
    const box = await panel.boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(390);
    for (const control of ['#fam-task', '#fam-example', '#fam-upload']) {
      const c = await page.locator(control).boundingBox();
      expect(c!.x + c!.width, `${control} stays inside the panel`).toBeLessThanOrEqual(box!.x + box!.width);
    }
    await panel.screenshot({ path: path.join(ARTIFACTS, 'family-phone-390.png') });
    expect(errors).toEqual([]);
  });

  it('classifies a drawing like Node does (the canvas\'s PNG bytes through the same pipeline)', async () => {
    await page.selectOption('#fam-task', 'classify');
    await page.click('#fam-draw-clear');
    const box = (await page.locator('#fam-draw').boundingBox())!;
    // A filled block with two sleeves: strokes across the canvas, light on dark.
    const strokes: [number, number, number, number][] = [];
    for (let y = 0.25; y <= 0.9; y += 0.08) strokes.push([0.3, y, 0.7, y]);
    strokes.push([0.1, 0.25, 0.3, 0.45], [0.9, 0.25, 0.7, 0.45]);
    for (const [x0, y0, x1, y1] of strokes) {
      await page.mouse.move(box.x + x0 * box.width, box.y + y0 * box.height);
      await page.mouse.down();
      await page.mouse.move(box.x + x1 * box.width, box.y + y1 * box.height, { steps: 8 });
      await page.mouse.up();
    }
    await page.waitForSelector('#fam-preview[data-source="drawing"]', { state: 'attached' });
    const src = (await page.getAttribute('#fam-preview', 'src'))!;
    expect(src.startsWith('data:image/png;base64,')).toBe(true);
    await page.click('#fam-run');
    await page.waitForSelector('#fam-output[data-state="done"]');
    const answer = await page.getAttribute('#fam-output', 'data-answer');
    const png = Buffer.from(src.slice('data:image/png;base64,'.length), 'base64');
    const pipe = (await pipeline('image-classification', undefined, { backend: 'wasm' })) as unknown as { call(input: unknown, options?: object): Promise<unknown>; dispose(): void };
    try {
      const want = familyAnswer('classify', (await pipe.call(await decodeImage(png), FAMILY_OPTIONS.classify)) as FamilyResults['classify']);
      console.log(`drawing (${png.length} bytes of PNG): page ${answer}; node ${want}`);
      expect(answer).toBe(want);
    } finally {
      pipe.dispose();
    }
    await page.locator('#fam-title').locator('..').screenshot({ path: path.join(ARTIFACTS, 'family-draw.png') });
    await page.click('#fam-draw-clear');
  });

  it('ViT: the patch grid and the attention of [CLS] over the patches, per layer and head, equal Node\'s', async () => {
    await page.setViewportSize({ width: 1100, height: 900 });
    const example = 'trouser.png';
    await page.selectOption('#fam-task', 'classify');
    await page.setInputFiles('#fam-upload', []);
    await page.selectOption('#fam-example', example);
    await page.click('#fam-run');
    await page.waitForSelector('#fam-output[data-state="done"] .vit-attn');
    const side = Number(await page.getAttribute('.vit-attn', 'data-side'));
    const maps = JSON.parse((await page.getAttribute('.vit-attn', 'data-maps'))!) as number[][][];
    expect(await page.locator('.vit-grid span').count()).toBe(side * side);

    // Node: the same pipeline's processor and model, with the attentions out.
    const pipe = (await pipeline('image-classification', undefined, { backend: 'wasm' })) as unknown as {
      model: { config: { imageSize: number; patchSize: number }; forward(i: { pixelValues: tf.Tensor; outputAttentions: boolean }): { logits: tf.Tensor; attentions?: tf.Tensor[] } };
      processor: { preprocess(images: unknown[]): tf.Tensor };
      dispose(): void;
    };
    const pixelValues = pipe.processor.preprocess([await decodeImage(fs.readFileSync(path.join(ASSETS, 'tiny-vit-fashion/examples', example)))]);
    const out = pipe.model.forward({ pixelValues, outputAttentions: true });
    const attentions = await Promise.all(out.attentions!.map((a) => a.array() as Promise<number[][][][]>));
    expect(side).toBe(pipe.model.config.imageSize / pipe.model.config.patchSize);
    tf.dispose([pixelValues, out as unknown as tf.TensorContainer]);
    pipe.dispose();
    expect(maps).toHaveLength(attentions.length);
    let diff = 0;
    attentions.forEach((layer, l) => layer[0]!.forEach((head, h) => head[0]!.slice(1).forEach((v, i) => (diff = Math.max(diff, Math.abs(v - maps[l]![h]![i]!))))));
    console.log(`ViT [CLS] attention: ${maps.length} layers × ${maps[0]!.length} heads over ${side} × ${side} patches; max |node − page| = ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-4);

    // Per layer and head: the overlay follows the choice.
    const weights = () => page.$$eval('.vit-grid span', (cells) => cells.map((c) => Number((c as HTMLElement).style.getPropertyValue('--w'))));
    const first = await weights();
    const top = maps[0]![0]!.indexOf(Math.max(...maps[0]![0]!));
    expect(first[top]).toBe(1);
    const last = maps.length - 1;
    await page.selectOption('#vit-layer', String(last));
    await page.selectOption('#vit-head', String(maps[last]!.length - 1));
    expect(await page.getAttribute('.vit-attn', 'data-layer')).toBe(String(last));
    const m = maps[last]![maps[last]!.length - 1]!;
    const max = Math.max(...m);
    expect(await weights()).toEqual(m.map((v) => Number((v / max).toFixed(3))));
    await page.locator('.vit-attn').screenshot({ path: path.join(ARTIFACTS, 'vit-attention.png') });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.locator('.vit-attn').screenshot({ path: path.join(ARTIFACTS, 'vit-attention-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });
    expect(errors).toEqual([]);
  });

  it('translation: the cross-attention map (target × source tokens, per layer and head) equals Node\'s', async () => {
    const text = 'The house is small.';
    await page.selectOption('#fam-task', 'translate');
    await page.fill('#fam-text', text);
    await page.selectOption('#fam-beams', '4');
    await page.click('#fam-run');
    await page.waitForSelector('#fam-output[data-state="done"] .cross-attn');
    const maps = JSON.parse((await page.getAttribute('.cross-attn', 'data-maps'))!) as number[][][];
    const source = JSON.parse((await page.getAttribute('.cross-attn', 'data-source'))!) as string[];
    const target = JSON.parse((await page.getAttribute('.cross-attn', 'data-target'))!) as string[];

    // Node: the translation pipeline's model and tokenizer, the same generation, one pass with the attentions out.
    const pipe = (await pipeline('translation', path.join(ASSETS, FAMILY_TASKS.translate.model), { backend: 'wasm' })) as unknown as {
      model: Parameters<typeof generate>[0] & { forward(i: { inputIds: tf.Tensor; decoderInputIds: tf.Tensor; outputAttentions: boolean }): { crossAttentions?: tf.Tensor[] } };
      tokenizer: { encode(t: string): { ids: number[] }; idToToken(i: number): string | undefined; decode(ids: number[], o?: object): string };
      call(t: string, o: object): Promise<{ translationText: string }[]>;
      dispose(): void;
    };
    const ids = pipe.tokenizer.encode(text).ids;
    const out = await generate(pipe.model, [ids], { ...FAMILY_OPTIONS.translate, numBeams: 4 });
    const seq = out.sequences[0]!;
    // The rows are the tokens of the translation the page shows.
    const [shown] = await pipe.call(text, { ...FAMILY_OPTIONS.translate, numBeams: 4 });
    expect(pipe.tokenizer.decode(seq, { skipSpecialTokens: true }).trim()).toBe(shown!.translationText.trim());
    expect(source).toEqual(ids.map((i) => pipe.tokenizer.idToToken(i)));
    expect(target).toEqual(seq.slice(1).map((i) => pipe.tokenizer.idToToken(i)));
    const inputIds = tf.tensor2d([ids], [1, ids.length], 'int32');
    const decoderInputIds = tf.tensor2d([seq.slice(0, -1)], [1, seq.length - 1], 'int32');
    const fwd = pipe.model.forward({ inputIds, decoderInputIds, outputAttentions: true });
    const cross = await Promise.all(fwd.crossAttentions!.map((a) => a.array() as Promise<number[][][][]>));
    tf.dispose([inputIds, decoderInputIds, fwd as unknown as tf.TensorContainer]);
    pipe.dispose();
    expect(maps).toHaveLength(cross.length);
    let diff = 0;
    cross.forEach((layer, l) => layer[0]!.forEach((head, h) => head.forEach((row, i) => row.forEach((v, j) => (diff = Math.max(diff, Math.abs(v - maps[l]![h]![i * source.length + j]!)))))));
    console.log(`cross-attention: ${maps.length} layers × ${maps[0]!.length} heads, ${target.length} target × ${source.length} source tokens; max |node − page| = ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-4);
    // Each row is a distribution over the source.
    for (const row of cross[0]![0]![0]!) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    expect(await page.locator('.cross-attn tbody tr').count()).toBe(target.length);
    expect(await page.locator('.cross-attn tbody tr:first-child td').count()).toBe(source.length);
    await page.selectOption('#cross-layer', String(maps.length - 1));
    expect(await page.getAttribute('.cross-attn', 'data-layer')).toBe(String(maps.length - 1));
    const firstCell = Number(await page.locator('.cross-attn tbody tr:first-child td').first().evaluate((td) => (td as HTMLElement).style.getPropertyValue('--w')));
    expect(firstCell).toBeCloseTo(maps[maps.length - 1]![0]![0]!, 3);
    await page.locator('.cross-attn').screenshot({ path: path.join(ARTIFACTS, 'cross-attention.png') });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.locator('.cross-attn').screenshot({ path: path.join(ARTIFACTS, 'cross-attention-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });
    expect(errors).toEqual([]);
  });
});
