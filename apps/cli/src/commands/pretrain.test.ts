// `tfkit pretrain`: every registered objective from text files, with a fresh model from flags,
// checkpoints and an exact resume. Tiny models, a few steps: plumbing, not learning.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { AutoModel, createRegistry } from '@tfkit/core-tensor';
import { registerAll } from '@tfkit/all';
import { Tokenizer } from '@tfkit/tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTfkit } from '../testing.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-cli-pretrain-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const tfkit = (...argv: string[]) => runTfkit(argv, tmp);

const DOCUMENTS = [
  'the cat sat on the mat.\nthe dog ran to the park.\na bird sang in the tree.\nthe sun was warm.',
  'paris is the capital of france.\nrome is the capital of italy.\nberlin is the capital of germany.\nmadrid is in spain.',
  'alice read a book in the garden.\nbob played a game.\nthey went home at night.\nthe moon was bright.',
];
const TINY = ['--hidden-size', '16', '--layers', '1', '--heads', '2', '--max-positions', '32', '--max-length', '24', '--batch-size', '4', '--backend', 'cpu'];

beforeAll(async () => {
  const text = DOCUMENTS.join('\n\n');
  fs.writeFileSync(path.join(tmp, 'docs.txt'), text);
  fs.writeFileSync(path.join(tmp, 'docs.txt.gz'), zlib.gzipSync(text));
  await (await Tokenizer.train({ model: 'wordpiece', vocabSize: 150 }, [text.repeat(3)])).savePretrained(path.join(tmp, 'wordpiece'));
  await (await Tokenizer.train({ model: 'bpe', vocabSize: 260, specialTokens: ['<|endoftext|>'] }, [text.repeat(3)])).savePretrained(path.join(tmp, 'bpe'));
  await (await Tokenizer.train({ model: 'bpe', vocabSize: 260, specialTokens: ['<s>', '<pad>', '</s>', '<unk>', '<mask>'] }, [text.repeat(3)])).savePretrained(path.join(tmp, 'bart-bpe'));
});

const registry = registerAll(createRegistry());

describe('tfkit pretrain', { timeout: 120_000 }, () => {
  it.each([
    // objective, tokenizer, extra flags, the class trained
    ['mlm+nsp', 'wordpiece', ['--set', 'intermediate_size=32'], 'BertForPreTraining'],
    ['mlm', 'wordpiece', ['--model-type', 'bert', '--set', 'intermediate_size=32', '--objective-options', 'mlm_probability=0.3'], 'BertForMaskedLM'],
    ['denoise', 'bart-bpe', ['--set', 'encoder_ffn_dim=32,decoder_ffn_dim=32,decoder_layers=1,decoder_attention_heads=2', '--objective-options', 'infill=0.3,rotate=1'], 'BartForConditionalGeneration'],
    ['causal', 'bpe', ['--dropout', '0'], 'GPT2LMHeadModel'],
  ] as const)('--objective %s trains a fresh model from text files and saves a checkpoint that loads', async (objective, tokenizer, extra, architecture) => {
    const out = `out-${objective}`;
    const run = await tfkit('pretrain', '--json', '--objective', objective, '--tokenizer', tokenizer, '--out', out, '--epochs', '2', ...TINY, ...extra, 'docs.txt.gz');
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as { objective: string; architecture: string; steps: number; trainingLoss: number; examples: number };
    expect(summary).toMatchObject({ objective, architecture });
    expect(summary.steps).toBe(2 * Math.ceil(summary.examples / 4));
    expect(Number.isFinite(summary.trainingLoss)).toBe(true);
    expect(run.stderr).toMatch(new RegExp(`\\d+ documents → ${summary.examples} examples .*${architecture} \\(${objective.replace('+', '\\+')}\\)`));
    expect(run.stderr).toMatch(/\[[#-]+\]\s+\d+\/\d+\s+loss \d/); // the progress bar
    const config = JSON.parse(fs.readFileSync(path.join(tmp, out, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config['architectures']).toEqual([architecture]);
    if (objective === 'causal') expect(config).toMatchObject({ resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0, n_embd: 16, n_layer: 1, n_head: 2, n_positions: 32 });
    const model = await AutoModel.fromPretrained(path.join(tmp, out), { registry });
    expect(model.architecture).toBe(architecture);
    model.dispose();
    expect(fs.existsSync(path.join(tmp, out, 'tokenizer.json'))).toBe(true);
  });

  it('Ctrl-C stops at a step boundary with a checkpoint; --resume ends with the same weights as an uninterrupted run', async () => {
    const args = (out: string) => ['pretrain', '--json', '--objective', 'mlm+nsp', '--tokenizer', 'wordpiece', '--out', out, '--epochs', '3', ...TINY, '--batch-size', '2', '--save-every', '2', '--set', 'intermediate_size=32', 'docs.txt'];
    const whole = await tfkit(...args('whole'));
    expect(whole.code, whole.stderr).toBe(0);
    const ctrlC = new AbortController();
    const stopped = await runTfkit(args('resumed'), tmp, { signal: ctrlC.signal, onStderr: (t) => void (/ 10\/15 /.test(t) && ctrlC.abort('SIGINT')) });
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(stopped.stderr).toMatch(/stopped after step 10; checkpoint in .*checkpoints \(continue with --resume\)\ntfkit pretrain: interrupted\n$/);
    expect(fs.existsSync(path.join(tmp, 'resumed', 'model.safetensors'))).toBe(false);
    const resumed = await tfkit(...args('resumed'), '--resume');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect((JSON.parse(resumed.stdout) as { steps: number }).steps).toBe((JSON.parse(whole.stdout) as { steps: number }).steps);
    // Masks and sentence pairs come from the seed and the step: the resumed run saw the same batches.
    expect(fs.readFileSync(path.join(tmp, 'resumed', 'model.safetensors')).equals(fs.readFileSync(path.join(tmp, 'whole', 'model.safetensors')))).toBe(true);
  });

  it('continues pretraining a checkpoint with --model (its tokenizer)', async () => {
    const run = await tfkit('pretrain', '--json', '--objective', 'causal', '--model', 'out-causal', '--out', 'more-causal', '--max-steps', '1', '--batch-size', '2', '--max-length', '16', '--backend', 'cpu', 'docs.txt');
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ steps: 1, modelType: 'gpt2' });
    expect(JSON.parse(fs.readFileSync(path.join(tmp, 'more-causal', 'config.json'), 'utf8'))).toMatchObject({ n_embd: 16, n_layer: 1 });
  });

  it('usage errors exit 2 in one line', async () => {
    const line = (r: { code: number; stderr: string }) => [r.code, r.stderr.trim().split('\n').length];
    expect(line(await tfkit('pretrain', '--json', '--out', 'x', 'docs.txt'))).toEqual([2, 1]);
    const wrong = await tfkit('pretrain', '--json', '--objective', 'causal', '--model-type', 'bert', '--tokenizer', 'wordpiece', '--out', 'x', '--backend', 'cpu', 'docs.txt');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/^tfkit pretrain: --objective causal: model type "bert" offers mlm\+nsp, mlm \(see tfkit pretrain --help\)\n$/);
    const unknown = await tfkit('pretrain', '--json', '--objective', 'contrastive', '--tokenizer', 'wordpiece', '--out', 'x', '--backend', 'cpu', 'docs.txt');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--objective contrastive: no registered family offers it; known: .*mlm\+nsp \(bert\).*denoise \(bart\)/);
    expect(line(await tfkit('pretrain', '--json', '--objective', 'mlm', '--out', 'x', 'docs.txt'))).toEqual([2, 1]); // no tokenizer for a fresh model
    const threads = await tfkit('pretrain', '--json', '--objective', 'mlm', '--tokenizer', 'wordpiece', '--out', 'x', '--threads', '0', '--backend', 'wasm', 'docs.txt');
    expect(threads.code).toBe(2);
    expect(threads.stderr).toMatch(/^tfkit pretrain: --threads must be a positive integer, got "0"/);
    const bad = await tfkit('pretrain', '--json', '--objective', 'denoise', '--tokenizer', 'bart-bpe', '--out', 'x', '--objective-options', 'shuffle=1', ...TINY, 'docs.txt');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^tfkit pretrain: BART denoising: unknown option shuffle/);
  });
});
