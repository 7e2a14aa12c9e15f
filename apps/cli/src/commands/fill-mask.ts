/** `tfkit fill-mask`: the most likely tokens for each [MASK] in a text. */
import { parseArgs } from 'node:util';
import type { FillMaskCandidate } from '@tfkit/models-bert';
import type { Command } from '../command.js';
import { openTaskPipeline, parsePositiveInt, printResult, score, TASK_OPTIONS, TASK_OPTIONS_USAGE, textArgument } from './bert-tasks.js';

const usage = `Usage: tfkit fill-mask --model <source> [options] <text with [MASK]>

Prints the most likely tokens for each mask token in the text, with their probabilities.

Options:
${TASK_OPTIONS_USAGE}
  --top-k <k>       Candidates per mask (default 5)
`;

export const fillMaskCommand: Command = {
  name: ['fill-mask'],
  summary: 'Most likely tokens for each [MASK] in a text (BERT-style masked LM)',
  usage,
  async run(argv, ctx) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...TASK_OPTIONS, 'top-k': { type: 'string' } }, strict: true });
    const text = textArgument(positionals, '<text with [MASK]>');
    const topK = parsePositiveInt('top-k', values['top-k']);
    const pipe = await openTaskPipeline('fill-mask', values, ctx);
    try {
      const result = await pipe.call(text, { topK: topK ?? 5 });
      const perMask = (Array.isArray(result[0]) ? result : [result]) as FillMaskCandidate[][];
      printResult(ctx, values.json, result, () =>
        perMask.flatMap((candidates, m) => [
          ...(perMask.length > 1 ? [`mask ${m + 1}:`] : []),
          ...candidates.map((c) => `${score(c.score)}  ${c.tokenStr.padEnd(14)}  ${c.sequence}`),
        ]),
      );
      return 0;
    } finally {
      pipe.dispose();
    }
  },
};
