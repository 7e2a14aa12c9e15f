import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { runTfkit } from './testing.js';

const tfkit = (...argv: string[]) => runTfkit(argv, os.tmpdir());

describe('tfkit dispatch', () => {
  it('prints help and exits 2 without a command, 0 with --help', async () => {
    const bare = await tfkit();
    expect(bare.code).toBe(2);
    expect(bare.stdout).toContain('Usage: tfkit <command>');
    for (const name of ['info', 'generate', 'tokenize', 'tokenizer train', 'fill-mask', 'finetune']) expect(bare.stdout).toContain(name);
    expect((await tfkit('--help')).code).toBe(0);
  });

  it('rejects an unknown command and unknown options with exit code 2', async () => {
    const unknown = await tfkit('frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('tfkit: unknown command "frobnicate" (run tfkit --help for the list of commands)\n');
    const badFlag = await tfkit('info', '--no-such-flag');
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toBe('tfkit info: unknown option --no-such-flag (see tfkit info --help)\n');
  });

  it('shows a command\'s own help', async () => {
    const help = await tfkit('info', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--json');
  });

  it('every task command with an embedded default says so: --model optional, never "required"', async () => {
    for (const name of ['fill-mask', 'classify', 'ner', 'qa', 'embed', 'summarize', 'translate', 'classify-image']) {
      const help = await tfkit(name, '--help');
      expect(help.code, name).toBe(0);
      expect(help.stdout, name).toMatch(/^Usage: tfkit \S+ \[--model <source>\]/);
      expect(help.stdout, name).toMatch(/\(default: the embedded tiny /);
      expect(help.stdout, name).not.toMatch(/required/);
    }
  });
});

describe('tfkit info', () => {
  it('reports versions, the active backend and every registered family as JSON', async () => {
    const run = await tfkit('info', '--json', '--backend', 'cpu');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.tfjsCore).toMatch(/^4\./);
    expect(report.backends.registered).toEqual(expect.arrayContaining(['cpu', 'wasm', 'webgl', 'webgpu']));
    expect(report.backends.available).toContain('wasm');
    expect(report.backends.active.backend).toBe('cpu');
    expect(report.models).toEqual(expect.arrayContaining(['bert', 'gpt2']));
    expect(report.tasks).toEqual(expect.arrayContaining(['fill-mask', 'text-generation', 'question-answering']));
    expect(report.tokenizers).toEqual(expect.arrayContaining(['BPE', 'WordPiece']));
    expect(report.optimizers).toContain('adamw');
    expect(report.adapters).toContain('lora');
  });

  it('prints a readable summary', async () => {
    const run = await tfkit('info', '--backend', 'cpu');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/active\s+cpu, 1 thread/);
  });
});
