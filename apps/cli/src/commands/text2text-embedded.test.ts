// `tfkit translate` and `tfkit summarize` with no --model: the embedded tiny BARTs
// (packages/all/assets/tiny-bart-translation, tiny-bart-summarization), offline, give
// the outputs their model cards list as checked; so do the other embedded translators through `--model`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runTfkit } from '../testing.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-cli-text2text-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const assets = path.resolve(import.meta.dirname, '../../../../packages/all/assets');

/**
 * The first row of the card's "Checked outputs" table (input and greedy output) — with `changed`, the
 * first whose output is not its input (a word copied through would pass with any of the translators).
 */
function firstChecked(name: string, changed = false): { input: string; output: string } {
  const text = fs.readFileSync(path.join(assets, name, 'README.md'), 'utf8');
  const section = text.split(/^## /m).find((s) => s.startsWith('Checked outputs')) ?? '';
  const rows = [...section.matchAll(/^\| `(.+?)` \| `(.*?)` \|$/gm)].map(([, input, output]) => ({ input: input!, output: output! }));
  const row = changed ? rows.find((r) => r.output !== r.input) : rows[0];
  if (!row) throw new Error(`${name}/README.md lists no checked output${changed ? ' that differs from its input' : ''}`);
  return row;
}

describe('tfkit translate / summarize with the embedded models, offline', () => {
  it('translate without --model: English → French with tiny-bart-translation', async () => {
    const { input, output } = firstChecked('tiny-bart-translation', true);
    const run = await runTfkit(['translate', '--json', '--backend', 'cpu', input], tmp);
    expect(run.code, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as { translationText: string }).translationText.trim()).toBe(output);
    const plain = await runTfkit(['translate', '--backend', 'cpu', input], tmp);
    expect(plain.stdout.trim()).toBe(output);
  }, 120_000);

  it.each(['tiny-transformer-translation', 'tiny-gru-translation'])('translate --model <%s>: the other encoder-decoder families serve the task too', async (name) => {
    const { input, output } = firstChecked(name);
    const run = await runTfkit(['translate', '--json', '--backend', 'cpu', '--model', path.join(assets, name), input], tmp);
    expect(run.code, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as { translationText: string }).translationText.trim()).toBe(output);
  }, 120_000);

  it('summarize without --model: the key sentence of a passage with tiny-bart-summarization', async () => {
    const { input, output } = firstChecked('tiny-bart-summarization');
    fs.writeFileSync(path.join(tmp, 'passage.txt'), `${input}\n`);
    const run = await runTfkit(['summarize', '--json', '--backend', 'cpu', '--file', 'passage.txt'], tmp);
    expect(run.code, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as { summaryText: string }).summaryText.trim()).toBe(output);
  }, 120_000);
});
