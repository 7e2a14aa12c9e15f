/**
 * What `tfkit fill-mask`, `classify`, `ner` and `qa` share: the common options, loading a task
 * pipeline from `--model`, and printing either text or `--json`.
 */
import { useBackend } from '@tfkit/backends';
import { loadPipeline, type BertTask, type BERT_TASKS } from '@tfkit/models-bert';
import { UsageError, type CommandContext } from '../command.js';
import { intOption, sourceOption } from '../inputs.js';

/** Options every task command takes (node:util parseArgs form). */
export const TASK_OPTIONS = {
  model: { type: 'string' },
  json: { type: 'boolean', default: false },
  backend: { type: 'string' },
} as const;

export const TASK_OPTIONS_USAGE = `  --model <source>  Checkpoint directory, URL or hub id with config.json, model.safetensors and
                    tokenizer.json (required)
  --json            Print the result as JSON
  --backend <name>  cpu, wasm, … (default: the fastest available)`;

/** Loads `task`'s pipeline from `--model` (a local path relative to the working directory, else a URL or hub id). */
export async function openTaskPipeline<T extends BertTask>(
  task: T,
  values: { model?: string; backend?: string },
  ctx: CommandContext,
): Promise<InstanceType<(typeof BERT_TASKS)[T]['pipeline']>> {
  if (!values.model) throw new UsageError('--model <source> is required');
  const registry = await ctx.registry();
  await useBackend(registry, values.backend);
  return loadPipeline(task, sourceOption('--model', values.model, ctx.io.cwd), { registry });
}

/** The text argument: the positionals joined, required. */
export function textArgument(positionals: string[], what = '<text>'): string {
  const text = positionals.join(' ').trim();
  if (!text) throw new UsageError(`${what} is required`);
  return text;
}

export function parsePositiveInt(name: string, value: string | undefined): number | undefined {
  return intOption(name, value, 1);
}

/** Prints `result` as JSON, or the lines `text` makes of it. */
export function printResult<R>(ctx: CommandContext, json: boolean | undefined, result: R, text: (r: R) => string[]): void {
  ctx.io.stdout(json ? `${JSON.stringify(result, null, 2)}\n` : `${text(result).join('\n')}\n`);
}

export const score = (s: number) => s.toFixed(4);
