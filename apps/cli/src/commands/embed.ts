/** `tfkit embed`: vectors for texts (feature extraction), pooled per text or one per token. */
import { parseArgs } from 'node:util';
import { UsageError, type Command } from '../command.js';
import { readTextOption } from '../inputs.js';
import { MODEL_OPTIONS, modelOptionsUsage, openPipeline, printResult } from './common.js';

const POOLINGS = ['mean', 'cls', 'none'] as const;
type Pooling = (typeof POOLINGS)[number];

const usage = `Usage: tfkit embed [--model <source>] [options] <text>... | --file <texts.txt>

Prints a vector for each text from the encoder's last hidden state: the mean over its tokens
(default), the first token's ([CLS]), or one vector per token (--pooling none). One line per text,
numbers separated by spaces; --json prints arrays.

Options:
${modelOptionsUsage('default: the embedded tiny encoder trained by tfkit on public-domain books, 128 wide')}
  --file <path>      Read the texts from a file, one per line (.txt or .txt.gz)
  --pooling <p>      mean, cls or none (default mean)
  --normalize        Scale each vector to unit length (for cosine similarity)
  --precision <n>    Decimals in text output (default 6)
`;

export const embedCommand: Command = {
  name: ['embed'],
  summary: 'Vectors for texts (feature extraction), mean- or CLS-pooled',
  usage,
  async run(argv, ctx) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { ...MODEL_OPTIONS, file: { type: 'string' }, pooling: { type: 'string', default: 'mean' }, normalize: { type: 'boolean', default: false }, precision: { type: 'string' } },
      strict: true,
    });
    const pooling = values.pooling as Pooling;
    if (!POOLINGS.includes(pooling)) throw new UsageError(`--pooling: expected one of ${POOLINGS.join(', ')}, got "${values.pooling}"`);
    if (values.normalize && pooling === 'none') throw new UsageError('--normalize needs pooled vectors: use --pooling mean or cls');
    const digits = values.precision === undefined ? 6 : Number(values.precision);
    if (!Number.isInteger(digits) || digits < 0 || digits > 12) throw new UsageError(`--precision must be an integer from 0 to 12, got "${values.precision}"`);
    if (values.file !== undefined && positionals.length) throw new UsageError('give the texts as arguments or with --file, not both');
    const texts = values.file === undefined ? positionals : (await readTextOption('--file', values.file, ctx.io.cwd)).split(/\r?\n/).filter((l) => l.trim() !== '');
    if (!texts.length) throw new UsageError('give at least one text (or --file with one text per line)');
    const pipe = await openPipeline('feature-extraction', values, ctx);
    try {
      const vectors = (await pipe.call(texts, pooling === 'none' ? { pooling } : { pooling, normalize: values.normalize })) as number[][] | number[][][];
      const line = (v: number[]) => v.map((x) => x.toFixed(digits)).join(' ');
      printResult(ctx, values.json, vectors, (vs) =>
        pooling === 'none' ? (vs as number[][][]).flatMap((tokens, i) => [...(texts.length > 1 ? [`text ${i + 1}:`] : []), ...tokens.map(line)]) : (vs as number[][]).map(line),
      );
      return 0;
    } finally {
      pipe.dispose();
    }
  },
};
