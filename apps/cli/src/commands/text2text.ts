/**
 * `tfkit summarize` and `tfkit translate`: text in, text out, through the summarization or
 * translation pipeline of whatever model `--model` names — an encoder-decoder, or (translate) a
 * causal language model trained on `source <to-fr> target` task prompts, which takes `--to fr`.
 */
import { parseArgs } from 'node:util';
import { CliError, UsageError, type Command, type CommandContext } from '../command.js';
import { readTextOption } from '../inputs.js';
import { DECODING_OPTIONS, DECODING_USAGE, decodingOptions, MODEL_OPTIONS, modelOptionsUsage, openPipeline, printResult } from './common.js';

type Text2TextTask = 'summarization' | 'translation';

/** What both tasks' pipelines offer the CLI (an encoder-decoder's, or a task-prompt causal LM's with `targetLanguages`). */
interface Text2TextPipe {
  call(texts: string[], options: Record<string, unknown>): Promise<Record<string, string>[][]>;
  readonly targetLanguages?: string[];
  dispose(): void;
}

function usageOf(name: string, what: string, model: string, extra: string): string {
  return `Usage: tfkit ${name} [--model <source>] [options] <text> | --file <path>

${what}

Options:
${modelOptionsUsage(model)}
  --file <path>               Read the text from a file (.txt or .txt.gz)
${extra}${DECODING_USAGE}
`;
}

async function run(task: Text2TextTask, argv: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...MODEL_OPTIONS, ...DECODING_OPTIONS, file: { type: 'string' }, ...(task === 'translation' ? { to: { type: 'string' } } : {}) },
    strict: true,
  });
  if (values.file !== undefined && positionals.length) throw new UsageError('give the text as arguments or with --file, not both');
  const generation = decodingOptions(values);
  const text = values.file === undefined ? positionals.join(' ').trim() : (await readTextOption('--file', values.file, ctx.io.cwd)).trim();
  if (!text) throw new UsageError('give the text (or --file <path>)');
  const to = (values as { to?: string }).to;
  if (to !== undefined && !/^[A-Za-z][\w-]*$/.test(to)) throw new UsageError(`--to: expected a language code such as fr or de, got "${to}"`);
  const pipe = (await openPipeline(task, values, ctx)) as unknown as Text2TextPipe;
  try {
    if (to !== undefined && !pipe.targetLanguages) throw new CliError('this model translates into the one language it was trained for and takes no --to; leave it out');
    const [results] = await pipe.call([text], { ...generation, ...(to !== undefined ? { tgtLang: to } : {}), signal: ctx.signal });
    const key = task === 'summarization' ? 'summaryText' : 'translationText';
    const outputs = (results ?? []).map((r) => r[key] ?? '');
    printResult(ctx, values.json, outputs.length === 1 ? { [key]: outputs[0] } : outputs.map((o) => ({ [key]: o })), () => outputs);
    return 0;
  } finally {
    pipe.dispose();
  }
}

export const summarizeCommand: Command = {
  name: ['summarize'],
  summary: 'Summarize a text with an encoder-decoder model',
  usage: usageOf(
    'summarize',
    'Summarizes the text with a summarization model (an encoder-decoder); decoding\nsettings default to the model\'s own (task_specific_params, generation_config.json).',
    'default: the embedded tiny encoder-decoder trained by tfkit to write the key sentence of a three-sentence passage',
    '',
  ),
  run: (argv, ctx) => run('summarization', argv, ctx),
};

export const translateCommand: Command = {
  name: ['translate'],
  summary: 'Translate a text (encoder-decoder, or a language model with <to-xx> task prompts)',
  usage: usageOf(
    'translate',
    'Translates the text with a translation model: an encoder-decoder, or a causal language model\ntrained on "source <to-fr> target" task prompts, which needs --to (the languages are its\ntokenizer\'s <to-xx> tokens).',
    'default: the embedded tiny encoder-decoder trained by tfkit on English→French dictionary words and short phrases',
    '  --to <lang>                 Target language of a task-prompt model, e.g. fr (optional when it knows one)\n',
  ),
  run: (argv, ctx) => run('translation', argv, ctx),
};
