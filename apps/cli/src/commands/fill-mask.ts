/** `tfkit fill-mask`: the most likely tokens for each mask token in a text. */
import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { intOption } from '../inputs.js';
import { MODEL_OPTIONS, modelOptionsUsage, openPipeline, printResult, score, textArgument } from './common.js';

const usage = `Usage: tfkit fill-mask [--model <source>] [options] <text with [MASK]>

Prints the most likely tokens for each mask token ([MASK], <mask>) in the text, with their
probabilities, from a masked language model.

Options:
${modelOptionsUsage('default: the embedded tiny encoder trained by tfkit on public-domain books')}
  --top-k <k>       Candidates per mask (default 5)
`;

interface Candidate {
  score: number;
  token: number;
  tokenStr: string;
  sequence: string;
}

export const fillMaskCommand: Command = {
  name: ['fill-mask'],
  summary: 'Most likely tokens for each mask in a text (masked language model)',
  usage,
  async run(argv, ctx) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...MODEL_OPTIONS, 'top-k': { type: 'string' } }, strict: true });
    const text = textArgument(positionals, '<text with [MASK]>');
    const topK = intOption('top-k', values['top-k'], 1) ?? 5;
    const pipe = await openPipeline('fill-mask', values, ctx);
    try {
      const result = (await pipe.call(text, { topK })) as Candidate[] | Candidate[][];
      const perMask = (Array.isArray(result[0]) ? result : [result]) as Candidate[][];
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
