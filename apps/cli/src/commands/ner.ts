/** `tfkit ner`: named entities (token classification) with character spans. */
import { parseArgs } from 'node:util';
import type { AggregationStrategy, EntityGroup, TokenEntity } from '@tfkit/models-bert';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { openTaskPipeline, printResult, score, TASK_OPTIONS, TASK_OPTIONS_USAGE, textArgument } from './bert-tasks.js';

const STRATEGIES: AggregationStrategy[] = ['none', 'simple', 'first', 'average', 'max'];

const usage = `Usage: tfkit ner --model <source> [options] <text>

Labels the tokens of the text with a token classification model and prints the entities with
their [start, end) character spans.

Options:
${TASK_OPTIONS_USAGE}
  --aggregation <s>  none (every token), simple (merge B-/I- runs), first, average or max
                     (label whole words first); default simple
  --keep-o           Also print tokens labelled O
`;

export const nerCommand: Command = {
  name: ['ner'],
  summary: 'Named entities of a text (token classification) with character spans',
  usage,
  async run(argv, ctx) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { ...TASK_OPTIONS, aggregation: { type: 'string', default: 'simple' }, 'keep-o': { type: 'boolean', default: false } },
      strict: true,
    });
    const text = textArgument(positionals);
    const strategy = values.aggregation as AggregationStrategy;
    if (!STRATEGIES.includes(strategy)) throw new UsageError(`--aggregation: expected one of ${STRATEGIES.join(', ')}, got "${values.aggregation}"`);
    const pipe = await openTaskPipeline('token-classification', values, ctx);
    try {
      const entities: (TokenEntity | EntityGroup)[] = await pipe.call(text, { aggregationStrategy: strategy, ...(values['keep-o'] ? { ignoreLabels: [] } : {}) });
      printResult(ctx, values.json, entities, (es) =>
        es.length ? es.map((e) => `${'entityGroup' in e ? e.entityGroup : e.entity}\t${e.start}-${e.end}\t${score(e.score)}\t${e.word}`) : ['(no entities)'],
      );
      return 0;
    } finally {
      pipe.dispose();
    }
  },
};
