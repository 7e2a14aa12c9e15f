import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadCorpus } from '@tfkit/corpus';
import { GPT2LMHeadModel } from '@tfkit/models-gpt';
import { Tokenizer } from '@tfkit/tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Command } from './command.js';
import { main } from './main.js';
import { runTfkit, type CliRun } from './testing.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-cli-errors-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const tfkit = (...argv: string[]) => runTfkit(argv, tmp);

/** The run failed with `code` and said why in exactly one line, with no stack frame. */
function expectOneLine(run: CliRun, code: number, pattern: RegExp): void {
  expect(run.code, run.stderr).toBe(code);
  const lines = run.stderr.replace(/\n$/, '').split('\n');
  expect(lines, run.stderr).toHaveLength(1);
  expect(run.stderr).not.toMatch(/^\s+at /m);
  expect(lines[0]).toMatch(pattern);
}

beforeAll(async () => {
  fs.writeFileSync(path.join(tmp, 'alice.txt'), loadCorpus({ books: ['carroll-alice'] }).slice(0, 20_000));
  fs.writeFileSync(path.join(tmp, 'a-file'), 'not a directory');
  const tokenizer = await Tokenizer.train({ model: 'bpe', vocabSize: 300, specialTokens: ['<|endoftext|>'] }, [fs.readFileSync(path.join(tmp, 'alice.txt'), 'utf8')]);
  // A model with fewer embeddings (20) than its tokenizer has tokens (300).
  const small = new GPT2LMHeadModel({ vocabSize: 20, nPositions: 32, nEmbd: 8, nLayer: 1, nHead: 2 }, { seed: 0 });
  await small.savePretrained(path.join(tmp, 'mismatched'));
  await tokenizer.savePretrained(path.join(tmp, 'mismatched'));
  small.dispose();
  const lm = new GPT2LMHeadModel({ vocabSize: tokenizer.vocabSize, nPositions: 32, nEmbd: 8, nLayer: 1, nHead: 2 }, { seed: 0 });
  for (const dir of ['bad-config', 'unknown-type', 'bad-tokenizer']) {
    await lm.savePretrained(path.join(tmp, dir));
    await tokenizer.savePretrained(path.join(tmp, dir));
  }
  lm.dispose();
  fs.writeFileSync(path.join(tmp, 'bad-config', 'config.json'), '{"model_type": "gpt2", "n_embd": 8,');
  fs.writeFileSync(path.join(tmp, 'unknown-type', 'config.json'), JSON.stringify({ model_type: 'no-such-family', architectures: ['NoSuchModel'] }));
  fs.writeFileSync(path.join(tmp, 'bad-tokenizer', 'tokenizer.json'), '{"version": "1.0", "model": {"type": "BPE", "vocab": {');
});

describe('ordinary mistakes: one line on stderr, exit 1', () => {
  it('a missing --context-file', async () => {
    expectOneLine(await tfkit('qa', '--model', 'mismatched', '--context-file', 'missing.txt', 'where?'), 1, /^tfkit qa: --context-file missing\.txt: no such file \(.*missing\.txt\)$/);
  });

  it('a missing corpus file (train-lm, tokenizer train) and a missing dataset (finetune)', async () => {
    expectOneLine(await tfkit('train-lm', '--corpus', 'missing.txt', '--out', 'lm'), 1, /^tfkit train-lm: --corpus missing\.txt: no such file/);
    expectOneLine(await tfkit('tokenizer', 'train', '--model', 'bpe', '--vocab-size', '300', '--out', 'tok', 'missing.txt'), 1, /^tfkit tokenizer train: missing\.txt: no such file/);
    expectOneLine(await tfkit('finetune', '--model', 'mismatched', '--data', 'missing.jsonl', '--out', 'ft', '--backend', 'cpu'), 1, /^tfkit finetune: --data missing\.jsonl: no such file/);
    expect(fs.existsSync(path.join(tmp, 'lm')) || fs.existsSync(path.join(tmp, 'tok'))).toBe(false);
  });

  it('an unwritable --out (a file in the way), before any work', async () => {
    expectOneLine(await tfkit('train-lm', '--corpus', 'alice.txt', '--out', 'a-file/lm'), 1, /^tfkit train-lm: --out a-file\/lm: cannot write there: .*a-file is a file, not a directory/);
    expectOneLine(await tfkit('tokenizer', 'train', '--model', 'bpe', '--vocab-size', '300', '--out', 'a-file', 'alice.txt'), 1, /^tfkit tokenizer train: --out a-file: cannot write there/);
    expectOneLine(await tfkit('finetune', '--model', 'mismatched', '--data', 'alice.txt', '--out', 'a-file/x', '--backend', 'cpu'), 1, /^tfkit finetune: --out a-file\/x: cannot write there/);
  });

  it('a tokenizer larger than the model', async () => {
    expectOneLine(
      await tfkit('generate', '--model', 'mismatched', '--backend', 'cpu', '--max-new-tokens', '2', 'Alice was beginning'),
      1,
      /^tfkit generate: text-generation: the tokenizer has 300 ids but the model's vocabulary has 20 rows \(vocab_size\)/,
    );
  });

  it('a malformed tokenizer.json', async () => {
    expectOneLine(await tfkit('tokenize', '--tokenizer', 'bad-tokenizer', 'hello'), 1, /^tfkit tokenize: .*tokenizer\.json/);
    expectOneLine(await tfkit('generate', '--model', 'bad-tokenizer', '--backend', 'cpu', 'hello'), 1, /^tfkit generate: .*tokenizer\.json/);
  });

  it('a malformed config.json and an unknown model type', async () => {
    expectOneLine(await tfkit('generate', '--model', 'bad-config', '--backend', 'cpu', 'hello'), 1, /^tfkit generate: .*config\.json.*not valid JSON/);
    expectOneLine(await tfkit('generate', '--model', 'unknown-type', '--backend', 'cpu', 'hello'), 1, /^tfkit generate: .*no-such-family/);
  });

  it('a model directory that does not exist', async () => {
    expectOneLine(await tfkit('generate', '--model', './no-such-dir', 'hello'), 1, /^tfkit generate: --model \.\/no-such-dir: no such file or directory \(.*no-such-dir\)$/);
    expectOneLine(await tfkit('fill-mask', '--model', 'models/no/such', 'the [MASK]'), 1, /^tfkit fill-mask: --model models\/no\/such: no such file or directory/);
    expectOneLine(await tfkit('tokenize', '--tokenizer', '../no-such-dir/', 'hello'), 1, /^tfkit tokenize: --tokenizer \.\.\/no-such-dir\/: no such file or directory/);
  });
});

describe('usage errors: one line in the CLI\'s words, exit 2', () => {
  it('an unknown option, a missing value, an unexpected argument', async () => {
    expectOneLine(await tfkit('generate', '--no-such-flag', 'x'), 2, /^tfkit generate: unknown option --no-such-flag \(see tfkit generate --help\)$/);
    expectOneLine(await tfkit('generate', 'x', '--model'), 2, /^tfkit generate: --model needs a value/);
    expectOneLine(await tfkit('qa', '--model', '--json', 'q'), 2, /^tfkit qa: --model needs a value/);
    expectOneLine(await tfkit('info', '--json=yes'), 2, /^tfkit info: --json takes no value/);
    expectOneLine(await tfkit('train-lm', 'stray'), 2, /^tfkit train-lm: unexpected argument "stray": this command takes options only/);
  });

  it('a bad value', async () => {
    expectOneLine(await tfkit('generate', '--top-p', '2', 'x'), 2, /^tfkit generate: --top-p must be a number > 0 and ≤ 1, got "2"/);
    expectOneLine(await tfkit('generate', '--max-new-tokens', 'many', 'x'), 2, /--max-new-tokens must be a non-negative integer, got "many"/);
    expectOneLine(await tfkit('train-lm', '--corpus', 'alice.txt', '--out', 'o', '--steps', '0'), 2, /--steps must be a positive integer, got "0"/);
    expectOneLine(await tfkit('eval', '--model', 'm', '--data', 'd', '--batch-size', 'x'), 2, /--batch-size must be a positive integer/);
    expectOneLine(await tfkit('finetune', '--model', 'm', '--data', 'd', '--out', 'o', '--lora', 'r=4,alpha=-1'), 2, /--lora: alpha must be a positive number/);
    expectOneLine(await tfkit('finetune', '--model', 'm', '--data', 'd', '--out', 'o', '--warmup-ratio', '1.5'), 2, /--warmup-ratio must be a number ≥ 0 and ≤ 1/);
  });

  it('a missing required option, an unknown command', async () => {
    expectOneLine(await tfkit('train-lm', '--corpus', 'alice.txt'), 2, /^tfkit train-lm: --out <dir> is required/);
    expectOneLine(await tfkit('frobnicate'), 2, /^tfkit: unknown command "frobnicate" \(run tfkit --help/);
    expectOneLine(await tfkit('--frobnicate'), 2, /^tfkit: unknown option --frobnicate/);
  });
});

describe('unexpected errors', () => {
  const broken: Command = {
    name: ['broken'],
    summary: 'throws a bug',
    usage: 'Usage: tfkit broken',
    run: async () => {
      const obj = undefined as unknown as { field: { deeper: number } };
      return obj.field.deeper;
    },
  };
  const run = async (argv: string[], debug = false) => {
    let stderr = '';
    const code = await main(argv, { stdout: () => undefined, stderr: (t) => void (stderr += t), isTTY: false, cwd: tmp, debug }, [broken]);
    return { code, stdout: '', stderr };
  };

  it('are one line naming the error, without a stack trace', async () => {
    expectOneLine(await run(['broken']), 1, /^tfkit broken: internal error \(TypeError: Cannot read properties of undefined.*\); this is a bug in tfkit — rerun with --debug/);
  });

  it('print the stack trace with --debug (anywhere before --) or TFKIT_DEBUG', async () => {
    for (const r of [await run(['--debug', 'broken']), await run(['broken', '--debug']), await run(['broken'], true)]) {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^tfkit broken: internal error/);
      expect(r.stderr).toMatch(/\n\s+at /);
    }
  });
});
