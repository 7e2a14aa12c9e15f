// The `tfkit` process itself: exit statuses, a closed stdout (`tfkit generate … | head -1`) and
// Ctrl-C, in real child processes. Nothing here measures time: the deadlines only bound a hung run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadCorpus } from '@tfkit/corpus';
import { GPT2LMHeadModel } from '@tfkit/models-gpt';
import { Tokenizer } from '@tfkit/tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnTfkit } from './testing.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-cli-process-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** No stack frame, no Node.js error dump. */
function expectNoTrace(stderr: string): void {
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toMatch(/EPIPE|node:internal|Node\.js v\d/);
}

beforeAll(async () => {
  fs.writeFileSync(path.join(tmp, 'alice.txt'), loadCorpus({ books: ['carroll-alice'] }).slice(0, 40_000));
  // A tiny GPT-2 with a long position table, so that a generation of thousands of tokens is possible.
  const tokenizer = await Tokenizer.train({ model: 'bpe', vocabSize: 300, specialTokens: ['<|endoftext|>'] }, [fs.readFileSync(path.join(tmp, 'alice.txt'), 'utf8')]);
  const model = new GPT2LMHeadModel({ vocabSize: tokenizer.vocabSize, nPositions: 4096, nEmbd: 8, nLayer: 1, nHead: 2 }, { seed: 0 });
  await model.savePretrained(path.join(tmp, 'lm'));
  await tokenizer.savePretrained(path.join(tmp, 'lm'));
  model.dispose();
});

describe('the tfkit process', { timeout: 240_000 }, () => {
  it('--help loads no tfkit package (they load when a command runs), so it starts about as fast as Node.js', async () => {
    const trace = { TFKIT_TRACE_IMPORTS: '1' };
    const help = spawnTfkit(['--help'], tmp, { env: trace });
    expect(await help.exit).toMatchObject({ code: 0 });
    expect(help.output.stdout).toContain('Usage: tfkit <command>');
    expect(help.output.stderr).toBe('');
    const commandHelp = spawnTfkit(['finetune', '--help'], tmp, { env: trace });
    expect(await commandHelp.exit).toMatchObject({ code: 0 });
    expect(commandHelp.output.stdout).toContain('--lora');
    expect(commandHelp.output.stderr).toBe('');
    // The trace is real: a command that runs loads its packages.
    const tokenize = spawnTfkit(['tokenize', '--tokenizer', 'lm', 'hello'], tmp, { env: trace });
    expect(await tokenize.exit).toMatchObject({ code: 0 });
    expect(tokenize.output.stderr).toMatch(/^import @tfkit\/tokenizers$/m);
  });


  it('exits 1 with one line for a typed error, and 2 for bad usage', async () => {
    const missing = spawnTfkit(['generate', '--model', './no-such-dir', 'hello'], tmp);
    const exit = await missing.exit;
    expect(exit, missing.output.stderr).toMatchObject({ code: 1, killed: false });
    expect(missing.output.stderr).toMatch(/^tfkit generate: --model \.\/no-such-dir: no such file or directory \([^\n]*\)\n$/);
    const usage = spawnTfkit(['generate', '--bogus', 'hello'], tmp);
    expect(await usage.exit).toMatchObject({ code: 2, killed: false });
    expect(usage.output.stderr).toBe('tfkit generate: unknown option --bogus (see tfkit generate --help)\n');
  });

  it('ends quietly with status 0 when the reader of stdout goes away (generate … | head -1)', async () => {
    const run = spawnTfkit(['generate', '--model', 'lm', '--stream', '--max-new-tokens', '3000', '--min-new-tokens', '3000', '--backend', 'cpu', 'Alice was'], tmp, {
      closeStdout: true,
    });
    const exit = await run.exit;
    expect(exit, run.output.stderr).toMatchObject({ code: 0, signal: null, killed: false });
    expect(run.output.stderr).toBe('');
  });

  it('Ctrl-C during generate stops after the current token and exits 130', async () => {
    const prompt = 'Alice was';
    const run = spawnTfkit(['generate', '--model', 'lm', '--stream', '--max-new-tokens', '4000', '--min-new-tokens', '4000', '--backend', 'cpu', prompt], tmp);
    // Wait until tokens are coming, then interrupt.
    await run.waitFor((o) => o.stdout.length > prompt.length + 5);
    run.child.kill('SIGINT');
    const exit = await run.exit;
    expect(exit, run.output.stderr).toMatchObject({ code: 130, signal: null, killed: false });
    expect(run.output.stdout.startsWith(prompt)).toBe(true);
    expect(run.output.stdout.endsWith('\n')).toBe(true); // the line is finished
    expect(run.output.stderr).toBe('tfkit generate: interrupted\n');
    expectNoTrace(run.output.stderr);
  });

  it('Ctrl-C during train-lm stops at a step boundary, saves a loadable checkpoint, leaves no partial file and exits 130', async () => {
    const out = path.join(tmp, 'trained');
    const run = spawnTfkit(
      ['train-lm', '--corpus', 'alice.txt', '--out', 'trained', '--vocab-size', '300', '--n-embd', '16', '--n-layer', '1', '--n-head', '2', '--context', '16', '--batch-size', '2',
        '--steps', '1000000', '--eval-every', '1000000', '--warmup', '2', '--backend', 'cpu'],
      tmp,
    );
    await run.waitFor((o) => /step 10\/1000000/.test(o.stderr));
    expect(fs.existsSync(out)).toBe(false); // nothing is written before the first save
    run.child.kill('SIGINT');
    const exit = await run.exit;
    expect(exit, run.output.stderr).toMatchObject({ code: 130, signal: null, killed: false });
    expectNoTrace(run.output.stderr);
    expect(run.output.stderr).toMatch(/stopped after (\d+) of 1000000 steps .*; saved to .*\ntfkit train-lm: interrupted\n$/);
    const summary = JSON.parse(fs.readFileSync(path.join(out, 'training_summary.json'), 'utf8')) as { steps: number; interrupted: boolean };
    expect(summary.interrupted).toBe(true);
    expect(summary.steps).toBeGreaterThanOrEqual(10);
    expect(summary.steps).toBeLessThan(1_000_000);
    // Complete files only: no temporary or hidden leftovers.
    expect(fs.readdirSync(out).sort()).toEqual(['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'training_summary.json']);
    const model = await GPT2LMHeadModel.fromPretrained(out);
    expect(model.config).toMatchObject({ nEmbd: 16, nLayer: 1, vocabSize: 300 });
    model.dispose();
  });
});
