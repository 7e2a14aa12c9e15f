import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadCorpus } from '@tfkit/corpus';
import { GPT2LMHeadModel } from '@tfkit/models-gpt';
import { Tokenizer } from '@tfkit/tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTfkit } from '../testing.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-cli-lm-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const tfkit = (...argv: string[]) => runTfkit(argv, tmp);

describe('tfkit train-lm → tfkit generate', () => {
  const out = path.join(tmp, 'lm');
  let train: { code: number; stdout: string; stderr: string };
  beforeAll(async () => {
    fs.writeFileSync(path.join(tmp, 'alice.txt'), loadCorpus({ books: ['carroll-alice'] }).slice(0, 40_000));
    train = await tfkit('train-lm', '--corpus', 'alice.txt', '--out', 'lm', '--vocab-size', '300', '--n-embd', '16', '--n-layer', '1',
      '--n-head', '2', '--context', '16', '--steps', '6', '--eval-every', '3', '--warmup', '2', '--backend', 'cpu', '--float16', '--special-tokens', '<to-fr>');
  });

  it('trains a tokenizer and a tiny GPT-2 on text and saves a loadable float16 checkpoint', () => {
    expect(train.code, train.stderr).toBe(0);
    expect(train.stdout).toMatch(/trained 6 steps .* validation loss \d/);
    for (const f of ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'training_summary.json']) expect(fs.existsSync(path.join(out, f)), f).toBe(true);
    const config = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ model_type: 'gpt2', n_embd: 16, n_layer: 1, vocab_size: 300, n_positions: 16 });
    const header = fs.readFileSync(path.join(out, 'model.safetensors')).subarray(8, 400).toString('latin1');
    expect(header).toContain('"F16"');
  });

  it('generates from the checkpoint: sampling reproducible with a seed, beam search listing scored hypotheses', async () => {
    const a = await tfkit('generate', '--model', 'lm', '--max-new-tokens', '6', '--seed', '3', '--backend', 'cpu', 'Alice was');
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout.startsWith('Alice was')).toBe(true);
    expect(a.stdout.length).toBeGreaterThan('Alice was\n'.length);
    const b = await tfkit('generate', '--model', 'lm', '--max-new-tokens', '6', '--seed', '3', '--backend', 'cpu', 'Alice was');
    expect(b.stdout).toBe(a.stdout);
    const beams = await tfkit('generate', '--model', 'lm', '--max-new-tokens', '4', '--num-beams', '3', '--num-return-sequences', '2', '--backend', 'cpu', 'Alice');
    expect(beams.code, beams.stderr).toBe(0);
    expect(beams.stdout).toMatch(/\[1, score -?\d+\.\d+\] Alice[\s\S]*\[2, score/);
  });

  it('--init continues training a checkpoint with its own tokenizer', async () => {
    const more = await tfkit('train-lm', '--init', 'lm', '--corpus', 'alice.txt', '--out', 'lm-more', '--steps', '2', '--eval-every', '2', '--context', '16', '--backend', 'cpu');
    expect(more.code, more.stderr).toBe(0);
    const config = JSON.parse(fs.readFileSync(path.join(tmp, 'lm-more', 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ n_embd: 16, n_layer: 1, vocab_size: 300 });
    expect(fs.readFileSync(path.join(tmp, 'lm-more', 'tokenizer.json'), 'utf8')).toBe(fs.readFileSync(path.join(out, 'tokenizer.json'), 'utf8'));
  });

  it('task tokens: a special token added to the tokenizer and the embedding matrix works in a plain-text prompt', async () => {
    const tokenizer = await Tokenizer.fromPretrained(out);
    // --special-tokens put <to-fr> into the trained vocabulary; add one more after training.
    expect(tokenizer.encode('I am a student <to-fr>').ids).toContain(tokenizer.tokenToId('<to-fr>'));
    expect(tokenizer.addTokens(['<to-de>'], true)).toBe(1);
    const ids = tokenizer.encode('I am a student <to-de>').ids;
    const toDe = tokenizer.tokenToId('<to-de>') as number;
    expect(ids[ids.length - 1]).toBe(toDe);
    const model = await GPT2LMHeadModel.fromPretrained(out);
    model.resizeTokenEmbeddings(tokenizer.vocabSize);
    expect(model.config.vocabSize).toBe(301);
    const res = await model.generate([ids], { maxNewTokens: 3, doSample: false });
    expect(res.sequences[0]?.slice(0, ids.length)).toEqual(ids);
    const dir = path.join(tmp, 'lm-de');
    await model.savePretrained(dir);
    await tokenizer.savePretrained(dir);
    const reloaded = await GPT2LMHeadModel.fromPretrained(dir);
    expect(reloaded.config.vocabSize).toBe(301);
    model.dispose();
    reloaded.dispose();
  });

  it('reports usage errors with exit code 2', async () => {
    expect((await tfkit('generate')).code).toBe(2);
    expect((await tfkit('generate', '--top-p', '2', 'x')).code).toBe(2);
    expect((await tfkit('train-lm', '--corpus', 'x.txt')).code).toBe(2);
    expect((await tfkit('train-lm', '--out', 'o')).code).toBe(2);
  });
});
