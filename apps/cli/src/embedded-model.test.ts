import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CliIO } from './command.js';
import { embeddedModelDir } from './embedded-model.js';
import { main } from './main.js';

describe('the embedded model (assets/tiny-gpt2)', () => {
  it('is found next to the CLI, stays under 10 MB, and `tfkit generate` continues a prompt offline with corpus words', async () => {
    const dir = embeddedModelDir();
    expect(dir.endsWith(path.join('assets', 'tiny-gpt2'))).toBe(true);
    for (const f of ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'README.md']) expect(fs.existsSync(path.join(dir, f)), f).toBe(true);
    const size = fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
    expect(size).toBeLessThan(10 * 1024 * 1024);

    let stdout = '';
    let stderr = '';
    const io: CliIO = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), isTTY: false, cwd: process.cwd() };
    const code = await main(['generate', '--max-new-tokens', '40', '--seed', '0', '--backend', 'cpu', 'It is a truth universally acknowledged'], io);
    expect(code, stderr).toBe(0);
    expect(stdout.startsWith('It is a truth universally acknowledged')).toBe(true);
    // Words a model trained on Austen uses all the time: most of the continuation is made of them.
    const words = stdout.slice(39).toLowerCase().match(/[a-z]+/g) ?? [];
    expect(words.length).toBeGreaterThanOrEqual(15);
    const common = new Set(['the', 'a', 'and', 'of', 'to', 'in', 'was', 'her', 'she', 'he', 'it', 'that', 'not', 'be', 'his', 'i', 'had', 'as', 'with', 'for', 'you', 'but', 'is', 'at', 'by', 'on', 'have', 'so', 'all', 'been', 'mr', 'mrs', 'miss', 'very', 'which', 'would', 'could', 'no', 'my', 'there', 'were', 'from', 'they', 'him', 'an', 'me', 'this', 'said', 'more', 'any', 'must', 'will', 'what', 'or', 'than', 'such', 'much', 'their', 'every', 'them', 'being']);
    expect(words.filter((w) => common.has(w)).length / words.length).toBeGreaterThan(0.25);
  });
});
