/** `tfkit qa`: extractive question answering over a context (text or file). */
import { parseArgs } from 'node:util';
import { UsageError, type Command } from '../command.js';
import { intOption, readTextOption } from '../inputs.js';
import { MODEL_OPTIONS, modelOptionsUsage, openPipeline, printResult, score, textArgument } from './common.js';

const usage = `Usage: tfkit qa [--model <source>] (--context <text> | --context-file <path>) [options] <question>

Finds the answer to the question in the context. Long contexts are read in overlapping windows.

Options:
${modelOptionsUsage('default: the embedded tiny encoder trained on who / what place questions about Jane Austen’s novels')}
  --context <text>       The text to search
  --context-file <path>  Read the context from a file (.txt or .txt.gz)
  --top-k <k>            Answers to print (default 1)
  --max-answer-len <n>   Longest answer in tokens (default 15)
  --max-seq-len <n>      Window length in tokens (default 384, capped by the model)
  --doc-stride <n>       Tokens shared by consecutive windows (default 128)
  --allow-no-answer      Print an empty answer when the model finds none
`;

interface Answer {
  score: number;
  start: number;
  end: number;
  answer: string;
}

export const qaCommand: Command = {
  name: ['qa'],
  summary: 'Answer a question from a context (extractive question answering)',
  usage,
  async run(argv, ctx) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        ...MODEL_OPTIONS,
        context: { type: 'string' },
        'context-file': { type: 'string' },
        'top-k': { type: 'string' },
        'max-answer-len': { type: 'string' },
        'max-seq-len': { type: 'string' },
        'doc-stride': { type: 'string' },
        'allow-no-answer': { type: 'boolean', default: false },
      },
      strict: true,
    });
    const question = textArgument(positionals, '<question>');
    if ((values.context === undefined) === (values['context-file'] === undefined)) throw new UsageError('give exactly one of --context and --context-file');
    const options = {
      topK: intOption('top-k', values['top-k'], 1) ?? 1,
      maxAnswerLen: intOption('max-answer-len', values['max-answer-len'], 1),
      maxSeqLen: intOption('max-seq-len', values['max-seq-len'], 1),
      docStride: intOption('doc-stride', values['doc-stride'], 0),
      handleImpossibleAnswer: values['allow-no-answer'],
    };
    const context = values.context ?? (await readTextOption('--context-file', values['context-file'] as string, ctx.io.cwd));
    const pipe = await openPipeline('question-answering', values, ctx);
    try {
      const result = (await pipe.call({ question, context }, options)) as Answer | Answer[];
      const answers = Array.isArray(result) ? result : [result];
      printResult(ctx, values.json, result, () => answers.map((a) => `${score(a.score)}\t${a.start}-${a.end}\t${a.answer || '(no answer)'}`));
      return 0;
    } finally {
      pipe.dispose();
    }
  },
};
