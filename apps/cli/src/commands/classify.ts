/** `tfkit classify`: labels of a text (or a text pair) with scores. */
import { parseArgs } from 'node:util';
import { UsageError, type Command } from '../command.js';
import { intOption } from '../inputs.js';
import { MODEL_OPTIONS, modelOptionsUsage, openPipeline, printResult, score, textArgument } from './common.js';

const usage = `Usage: tfkit classify [--model <source>] [options] <text>

Classifies the text with a sequence classification model; labels come from the model's id2label,
scores from softmax (single-label), sigmoid (multi-label) or the raw value (regression).

Options:
${modelOptionsUsage('default: the embedded tiny encoder that tells Austen, Chesterton, Edgeworth and Melville apart')}
  --pair <text>     Second text, for sentence-pair models (entailment, paraphrase)
  --top-k <k>       Labels to print, best first (default 1)
  --all             Print every label
`;

export const classifyCommand: Command = {
  name: ['classify'],
  summary: 'Label a text (or text pair) with a sequence classification model',
  usage,
  async run(argv, ctx) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { ...MODEL_OPTIONS, pair: { type: 'string' }, 'top-k': { type: 'string' }, all: { type: 'boolean', default: false } },
      strict: true,
    });
    const text = textArgument(positionals);
    const topK = intOption('top-k', values['top-k'], 1);
    if (values.all && topK !== undefined) throw new UsageError('--all and --top-k exclude each other');
    const pipe = await openPipeline('text-classification', values, ctx);
    try {
      const input = values.pair === undefined ? text : { text, textPair: values.pair };
      const labels = (await pipe.call(input, { topK: values.all ? null : (topK ?? 1) })) as { label: string; score: number }[];
      printResult(ctx, values.json, labels, (ls) => ls.map((l) => `${score(l.score)}  ${l.label}`));
      return 0;
    } finally {
      pipe.dispose();
    }
  },
};
