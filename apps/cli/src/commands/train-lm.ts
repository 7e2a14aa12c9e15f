/**
 * `tfkit train-lm`: trains a byte-level BPE tokenizer and a small GPT-2 on plain text and writes a
 * Hugging Face–style checkpoint (config.json, generation_config.json, model.safetensors,
 * tokenizer.json) that `tfkit generate --model <dir>` and Hugging Face transformers load.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { parseArgs } from 'node:util';
import { useBackend } from '@tfkit/backends';
import { loadBooks } from '@tfkit/corpus';
import { GPT2LMHeadModel } from '@tfkit/models-gpt';
import { Tokenizer } from '@tfkit/tokenizers';
import { UsageError, type Command } from '../command.js';
import { tokenizeDocuments, trainLanguageModel } from '../lm-training.js';

const usage = `Usage: tfkit train-lm --out <dir> [--corpus <file>]... [--books <id,id>] [options]

Trains a GPT-2-style language model from scratch: first a byte-level BPE tokenizer on the text,
then the model, with AdamW, warmup + cosine decay and gradient clipping. Progress and validation
loss are printed; the checkpoint is saved at every evaluation and at the end.

Text:
  --corpus <file>         Plain UTF-8 text (.txt or .txt.gz); repeat for several files
  --books <ids>           Books of tfkit's public-domain corpus (tooling/corpus), comma-separated,
                          e.g. austen-emma,austen-persuasion,austen-sense
Tokenizer:
  --vocab-size <n>        BPE vocabulary size, special tokens included (default 4096)
  --special-tokens <list> Extra special tokens, comma-separated (e.g. "<to-fr>,<to-de>")
  --tokenizer <dir>       Use this tokenizer.json instead of training one
Model:
  --init <dir>            Continue training this GPT-2 checkpoint (and its tokenizer) instead of
                          starting from scratch; the size options below are then ignored
  --n-layer <n>           Transformer blocks (default 4)
  --n-embd <n>            Width (default 128)
  --n-head <n>            Attention heads (default 4)
  --context <n>           Context length in tokens (default 128)
  --dropout <p>           Dropout everywhere (default 0)
Training:
  --steps <n>             Optimizer steps (default 600)
  --batch-size <n>        Sequences per step (default 8)
  --lr <x>                Peak learning rate (default 3e-3)
  --warmup <n>            Warmup steps (default 30)
  --weight-decay <x>      AdamW weight decay on matrices (default 0.1)
  --eval-every <n>        Validate and save every n steps (default 100)
  --seed <n>              Seed for init, batches and dropout (default 0)
  --float16               Store the weights as float16 (half the size)
  --backend <name>        cpu, wasm, … (default: the fastest available)
`;

async function readText(file: string): Promise<string> {
  const bytes = await fs.readFile(file);
  return (file.endsWith('.gz') ? zlib.gunzipSync(bytes) : bytes).toString('utf8');
}

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${name} must be a positive integer, got "${value}"`);
  return n;
}

function nonNegative(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!(n >= 0)) throw new UsageError(`--${name} must be a non-negative number, got "${value}"`);
  return n;
}

export const trainLmCommand: Command = {
  name: ['train-lm'],
  summary: 'Train a tokenizer and a small GPT-2 language model on plain text',
  usage,
  async run(argv, ctx) {
    const { values } = parseArgs({
      args: argv,
      options: {
        out: { type: 'string' },
        corpus: { type: 'string', multiple: true },
        books: { type: 'string' },
        'vocab-size': { type: 'string' },
        'special-tokens': { type: 'string' },
        tokenizer: { type: 'string' },
        init: { type: 'string' },
        'n-layer': { type: 'string' },
        'n-embd': { type: 'string' },
        'n-head': { type: 'string' },
        context: { type: 'string' },
        dropout: { type: 'string' },
        steps: { type: 'string' },
        'batch-size': { type: 'string' },
        lr: { type: 'string' },
        warmup: { type: 'string' },
        'weight-decay': { type: 'string' },
        'eval-every': { type: 'string' },
        seed: { type: 'string' },
        float16: { type: 'boolean', default: false },
        backend: { type: 'string' },
      },
      strict: true,
    });
    if (!values.out) throw new UsageError('--out <dir> is required');
    const out = path.resolve(ctx.io.cwd, values.out);
    const documents: string[] = [];
    for (const file of values.corpus ?? []) documents.push(await readText(path.resolve(ctx.io.cwd, file)));
    if (values.books) {
      const wanted = values.books.split(',').map((s) => s.trim()).filter(Boolean);
      const books = loadBooks();
      for (const id of wanted) {
        const book = books.find((b) => b.id === id);
        if (!book) throw new UsageError(`unknown book "${id}"; known: ${books.map((b) => b.id).join(', ')}`);
        documents.push(book.text);
      }
    }
    if (documents.length === 0) throw new UsageError('give the text with --corpus <file> or --books <ids>');
    const nEmbd = positiveInt('n-embd', values['n-embd'], 128);
    const nHead = positiveInt('n-head', values['n-head'], 4);
    if (nEmbd % nHead !== 0) throw new UsageError(`--n-embd (${nEmbd}) must be a multiple of --n-head (${nHead})`);
    const dropout = nonNegative('dropout', values.dropout, 0);
    if (dropout >= 1) throw new UsageError('--dropout must be below 1');

    const registry = await ctx.registry();
    const activation = await useBackend(registry, values.backend);
    ctx.io.stderr(`backend ${activation.backend} (${activation.threads} thread${activation.threads === 1 ? '' : 's'})\n`);

    const special = ['<|endoftext|>', ...(values['special-tokens']?.split(',').map((s) => s.trim()).filter(Boolean) ?? [])];
    let tokenizer: Tokenizer;
    const init = values.init ? path.resolve(ctx.io.cwd, values.init) : undefined;
    if (values.tokenizer || init) {
      tokenizer = await Tokenizer.fromPretrained(path.resolve(ctx.io.cwd, values.tokenizer ?? (init as string)));
    } else {
      const t0 = performance.now();
      tokenizer = await Tokenizer.train({ model: 'bpe', vocabSize: positiveInt('vocab-size', values['vocab-size'], 4096), specialTokens: special }, documents);
      ctx.io.stderr(`tokenizer: ${tokenizer.vocabSize} tokens, trained in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    }
    const eos = tokenizer.tokenToId('<|endoftext|>');
    if (eos === undefined) throw new UsageError('the tokenizer has no <|endoftext|> token');
    await fs.mkdir(out, { recursive: true });
    await tokenizer.savePretrained(out);
    const ids = tokenizeDocuments(tokenizer, documents, eos);
    const chars = documents.reduce((n, d) => n + d.length, 0);
    ctx.io.stderr(`corpus: ${chars} characters → ${ids.length} tokens\n`);

    const options = {
      nLayer: positiveInt('n-layer', values['n-layer'], 4),
      nEmbd,
      nHead,
      context: positiveInt('context', values.context, 128),
      batchSize: positiveInt('batch-size', values['batch-size'], 8),
      steps: positiveInt('steps', values.steps, 600),
      lr: nonNegative('lr', values.lr, 3e-3),
      warmup: nonNegative('warmup', values.warmup, 30),
      weightDecay: nonNegative('weight-decay', values['weight-decay'], 0.1),
      dropout,
      seed: nonNegative('seed', values.seed, 0),
      evalEvery: positiveInt('eval-every', values['eval-every'], 100),
      float16: values.float16,
      out,
    };
    const initial = init ? await GPT2LMHeadModel.fromPretrained(init) : undefined;
    const result = await trainLanguageModel(tokenizer, ids, options, (line) => ctx.io.stderr(`${line}\n`), initial);
    const summary = { ...result, init: values.init, corpusCharacters: chars, corpusTokens: ids.length, vocabSize: tokenizer.vocabSize, backend: activation.backend, options: { ...options, out: undefined }, argv };
    await fs.writeFile(path.join(out, 'training_summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    ctx.io.stdout(`trained ${result.steps} steps in ${result.seconds.toFixed(0)} s: train loss ${result.trainLoss.toFixed(3)}, validation loss ${result.validLoss.toFixed(3)}; saved to ${out}\n`);
    return 0;
  },
};
