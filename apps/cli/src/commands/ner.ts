/** `tfkit ner`: named entities (token classification) with character spans. */
import { parseArgs } from 'node:util';
import { UsageError, type Command } from '../command.js';
import { MODEL_OPTIONS, modelOptionsUsage, openPipeline, printResult, score, textArgument } from './common.js';

const STRATEGIES = ['none', 'simple', 'first', 'average', 'max'] as const;
type Strategy = (typeof STRATEGIES)[number];

const usage = `Usage: tfkit ner [--model <source>] [options] <text>

Labels the tokens of the text with a token classification model and prints the entities with
their [start, end) character spans.

Options:
${modelOptionsUsage('default: the embedded tiny encoder that tags persons and places (PER, LOC) in Austen-like prose')}
  --aggregation <s>  none (every token), simple (merge B-/I- runs), first, average or max
                     (label whole words first); default first: a word takes its first
                     sub-token's label, the one token classifiers are trained on (tfkit
                     finetune, Hugging Face's run_ner), so a name split into pieces stays whole
  --keep-o           Also print tokens labelled O
`;

interface Entity {
  entity?: string;
  entityGroup?: string;
  score: number;
  word: string;
  start: number;
  end: number;
}

export const nerCommand: Command = {
  name: ['ner'],
  summary: 'Named entities of a text (token classification) with character spans',
  usage,
  async run(argv, ctx) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { ...MODEL_OPTIONS, aggregation: { type: 'string', default: 'first' }, 'keep-o': { type: 'boolean', default: false } },
      strict: true,
    });
    const text = textArgument(positionals);
    const strategy = values.aggregation as Strategy;
    if (!STRATEGIES.includes(strategy)) throw new UsageError(`--aggregation: expected one of ${STRATEGIES.join(', ')}, got "${values.aggregation}"`);
    const pipe = await openPipeline('token-classification', values, ctx);
    try {
      const entities = (await pipe.call(text, { aggregationStrategy: strategy, ...(values['keep-o'] ? { ignoreLabels: [] } : {}) })) as Entity[];
      printResult(ctx, values.json, entities, (es) =>
        es.length ? es.map((e) => `${e.entityGroup ?? e.entity}\t${e.start}-${e.end}\t${score(e.score)}\t${e.word}`) : ['(no entities)'],
      );
      return 0;
    } finally {
      pipe.dispose();
    }
  },
};
