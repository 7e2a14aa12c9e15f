/**
 * `tfkit tokenizer train`: trains a byte-level BPE (GPT-2 style) or WordPiece (BERT style)
 * tokenizer on text files and saves tokenizer.json + tokenizer_config.json, with a progress bar.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { parseArgs } from 'node:util';
import { createGunzip } from 'node:zlib';
import type { TrainProgress } from '@tfkit/tokenizers';
import { CliError, UsageError, type CliIO, type Command } from '../command.js';
import { intOption, writableDirectory } from '../inputs.js';

const usage = `Usage: tfkit tokenizer train --model bpe|wordpiece --vocab-size <n> --out <dir> <files...>

Trains a tokenizer on text files (read line by line; .gz files are gunzipped) and writes tokenizer.json and
tokenizer_config.json to <dir>; Hugging Face tokenizers and transformers load them.

Options:
  --model <bpe|wordpiece>   Byte-level BPE (never unknown tokens) or WordPiece (lowercased,
                            ## continuation pieces) (required)
  --vocab-size <n>          Vocabulary size, special tokens included (required)
  --out <dir>               Where to save (created if missing) (required)
  --min-frequency <n>       Never merge pairs seen fewer times (default 2)
  --special-tokens <list>   Comma-separated, put first in the vocab (default: <|endoftext|> for
                            BPE; [PAD],[UNK],[CLS],[SEP],[MASK] for WordPiece)
  --lowercase               Lowercase the text (default for WordPiece)
  --no-lowercase            Keep case (default for BPE)
  --add-prefix-space        BPE: treat the first word like the others
  --max-token-length <n>    Longest token, in characters
  --json                    Print what was trained (model, vocabulary size, bytes, seconds, file) as JSON
`;

/**
 * The lines of the files, gunzipped when a name ends in `.gz`. `onBytes` counts the bytes read from
 * disk (compressed ones for .gz), which the progress bar measures against the files' sizes.
 */
async function* lines(files: string[], names: string[], onBytes: (n: number) => void): AsyncGenerator<string> {
  for (const [i, file] of files.entries()) {
    const raw = createReadStream(file);
    raw.on('data', (chunk) => onBytes(chunk.length));
    const gzipped = file.endsWith('.gz');
    const source = gzipped ? raw.pipe(createGunzip()) : raw;
    if (gzipped) raw.on('error', (error) => source.destroy(error));
    const decoder = new StringDecoder('utf8');
    let rest = '';
    try {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        rest += decoder.write(chunk);
        const parts = rest.split(/\r?\n/);
        rest = parts.pop() as string;
        yield* parts;
      }
    } catch (error) {
      if (gzipped && (error as NodeJS.ErrnoException).code?.startsWith('Z_')) throw new CliError(`${names[i]}: not a valid gzip file (${(error as Error).message})`, { cause: error });
      throw error;
    }
    rest += decoder.end();
    if (rest) yield rest;
  }
}

/** A one-line progress bar on a terminal; a few plain lines otherwise. */
function progressPrinter(io: CliIO, totalBytes: number) {
  let lastLine = '';
  let lastPercent = -1;
  let lastPhase = '';
  let bytes = 0;
  const bar = (fraction: number) => {
    const width = 30;
    const full = Math.round(Math.min(1, fraction) * width);
    return `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${(100 * Math.min(1, fraction)).toFixed(0).padStart(3)}%`;
  };
  return {
    bytes(n: number) {
      bytes += n;
    },
    update(p: TrainProgress) {
      const fraction = p.phase === 'count' ? (totalBytes > 0 ? bytes / totalBytes : 1) : p.total ? p.done / p.total : 1;
      const label = p.phase === 'count' ? 'reading ' : 'merging ';
      const detail = p.phase === 'count' ? `${(bytes / 1e6).toFixed(1)}/${(totalBytes / 1e6).toFixed(1)} MB` : `${p.done}/${p.total ?? p.done} merges`;
      const line = `${label} ${bar(fraction)} ${detail}`;
      if (io.isTTY) {
        if (line !== lastLine) io.stderr(`\r${line}`);
        if (p.phase !== lastPhase && lastPhase) io.stderr('\n');
      } else {
        const percent = Math.floor((fraction * 100) / 25) * 25;
        if (p.phase !== lastPhase || percent > lastPercent) io.stderr(`${line}\n`);
        lastPercent = p.phase !== lastPhase ? percent : Math.max(lastPercent, percent);
      }
      lastLine = line;
      lastPhase = p.phase;
    },
    done() {
      if (io.isTTY && lastLine) io.stderr('\n');
    },
  };
}

export const tokenizerTrainCommand: Command = {
  name: ['tokenizer', 'train'],
  summary: 'Train a BPE or WordPiece tokenizer on text files',
  usage,
  stopsOnSignal: true,
  async run(argv, ctx) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        model: { type: 'string' },
        'vocab-size': { type: 'string' },
        out: { type: 'string' },
        'min-frequency': { type: 'string' },
        'special-tokens': { type: 'string' },
        lowercase: { type: 'boolean' },
        'no-lowercase': { type: 'boolean' },
        'add-prefix-space': { type: 'boolean', default: false },
        'max-token-length': { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    });
    const model = values.model;
    if (model !== 'bpe' && model !== 'wordpiece') throw new UsageError('--model must be bpe or wordpiece');
    const vocabSize = intOption('vocab-size', values['vocab-size'], 1);
    if (vocabSize === undefined) throw new UsageError('--vocab-size <n> is required');
    if (!values.out) throw new UsageError('--out <dir> is required');
    if (positionals.length === 0) throw new UsageError('give at least one text file to train on');
    if (values.lowercase && values['no-lowercase']) throw new UsageError('--lowercase and --no-lowercase contradict each other');
    const minFrequency = intOption('min-frequency', values['min-frequency'], 0);
    const maxTokenLength = intOption('max-token-length', values['max-token-length'], 1);
    const out = await writableDirectory('--out', values.out, ctx.io.cwd);
    const files = positionals.map((f) => path.resolve(ctx.io.cwd, f));
    let totalBytes = 0;
    for (const [i, f] of files.entries()) {
      const s = await stat(f).catch(() => undefined);
      if (!s) throw new CliError(`${positionals[i]}: no such file (${f})`);
      if (!s.isFile()) throw new CliError(`${positionals[i]}: not a file (${f})`);
      totalBytes += s.size;
    }

    const progress = progressPrinter(ctx.io, totalBytes);
    const t0 = performance.now();
    const { Tokenizer } = await import('@tfkit/tokenizers');
    const tokenizer = await Tokenizer.train(
      {
        model,
        vocabSize,
        minFrequency,
        specialTokens: values['special-tokens']?.split(',').map((s) => s.trim()).filter(Boolean),
        lowercase: values.lowercase ? true : values['no-lowercase'] ? false : undefined,
        addPrefixSpace: values['add-prefix-space'],
        maxTokenLength,
      },
      lines(files, positionals, (n) => progress.bytes(n)),
      { onProgress: (p) => progress.update(p) },
    );
    progress.done();
    // Ctrl-C during training: save nothing (main reports the interruption).
    if (ctx.signal.aborted) return 0;
    await tokenizer.savePretrained(out);
    const seconds = ((performance.now() - t0) / 1000).toFixed(1);
    if (values.json) {
      ctx.io.stdout(`${JSON.stringify({ model, vocabSize: tokenizer.vocabSize, bytes: totalBytes, seconds: Number(seconds), saved: path.join(out, 'tokenizer.json') }, null, 2)}\n`);
      return 0;
    }
    ctx.io.stdout(`trained a ${model === 'bpe' ? 'byte-level BPE' : 'WordPiece'} tokenizer with ${tokenizer.vocabSize} tokens on ${(totalBytes / 1e6).toFixed(2)} MB in ${seconds} s → ${path.join(out, 'tokenizer.json')}\n`);
    return 0;
  },
};
