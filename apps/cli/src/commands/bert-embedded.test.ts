// `tfkit fill-mask`, `embed`, `classify`, `ner` and `qa` with no --model: the embedded tiny BERT
// family (packages/all/assets/tiny-bert*), offline, gives the outputs its model cards list as checked.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runTfkit } from '../testing.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-cli-bert-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const assets = path.resolve(import.meta.dirname, '../../../../packages/all/assets');

/** The cells of the first row of the card's "Checked outputs" table (backticks removed). */
function checked(name: string): string[] {
  const text = fs.readFileSync(path.join(assets, name, 'README.md'), 'utf8');
  const section = text.split(/^## /m).find((s) => s.startsWith('Checked outputs')) ?? '';
  const row = section.split('\n').find((l) => l.startsWith('| `'));
  if (!row) throw new Error(`${name}/README.md lists no checked output`);
  return row.slice(1, -1).split(' | ').map((c) => c.trim().replace(/^`|`$/g, ''));
}

async function tfkit(...argv: string[]) {
  const run = await runTfkit([...argv, '--backend', 'cpu'], tmp);
  expect(run.code, run.stderr).toBe(0);
  expect(run.stderr).not.toMatch(/newly initialised/);
  return run;
}

describe('tfkit BERT task commands with the embedded models, offline', () => {
  it('fill-mask without --model ranks the card’s held-out word first', async () => {
    const [text, word] = checked('tiny-bert');
    const run = await tfkit('fill-mask', '--json', text!);
    expect((JSON.parse(run.stdout) as { tokenStr: string }[])[0]!.tokenStr).toBe(word);
    expect((await tfkit('fill-mask', text!)).stdout.split('\n')[0]).toContain(word);
  }, 120_000);

  it('embed without --model prints one 128-wide vector', async () => {
    const [, , sentence] = checked('tiny-bert');
    const run = await tfkit('embed', '--json', sentence!);
    const vectors = JSON.parse(run.stdout) as number[] | number[][];
    expect((Array.isArray(vectors[0]) ? (vectors as number[][])[0]! : (vectors as number[])).length).toBe(128);
  }, 120_000);

  it('classify without --model names the author of the card’s held-out passage', async () => {
    const [text, author] = checked('tiny-bert-authors');
    const run = await tfkit('classify', '--json', text!);
    expect((JSON.parse(run.stdout) as { label: string }[])[0]!.label).toBe(author);
  }, 120_000);

  it('ner without --model finds the card’s entities', async () => {
    const [text, expected] = checked('tiny-bert-ner');
    const run = await tfkit('ner', '--json', text!);
    const entities = JSON.parse(run.stdout) as { entityGroup: string; start: number; end: number }[];
    expect(entities.map((e) => `${text!.slice(e.start, e.end)}:${e.entityGroup}`).join(', ')).toBe(expected);
  }, 120_000);

  it('ner labels whole words by default: a name the tokenizer splits (D ##arcy) is one entity', async () => {
    const text = 'Elizabeth walked to Pemberley with Mr. Darcy and Jane.';
    const spans = async (...options: string[]) => {
      const run = await tfkit('ner', '--json', ...options, text);
      expect(run.code, run.stderr).toBe(0);
      return (JSON.parse(run.stdout) as { entityGroup: string; start: number; end: number }[]).map((e) => ({ ...e, text: text.slice(e.start, e.end) }));
    };
    const whole = (e: { start: number; end: number }) => !/\w/.test(text[e.start - 1] ?? ' ') && !/\w/.test(text[e.end] ?? ' ');
    const byDefault = await spans();
    expect(byDefault.map((e) => `${e.text}:${e.entityGroup}`)).toContain('Darcy:PER');
    expect(byDefault.every(whole)).toBe(true);
    expect(await spans('--aggregation', 'first')).toEqual(byDefault);
    // Merging sub-token labels as they come leaves the untrained later pieces out.
    expect((await spans('--aggregation', 'simple')).every(whole)).toBe(false);
  }, 120_000);

  it('qa without --model extracts the card’s answer', async () => {
    const [question, context, answer] = checked('tiny-bert-qa');
    const run = await tfkit('qa', '--json', '--context', context!, question!);
    expect((JSON.parse(run.stdout) as { answer: string }).answer).toBe(answer);
  }, 120_000);
});
