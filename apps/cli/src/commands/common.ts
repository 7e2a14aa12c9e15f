/**
 * What the inference commands share: the options every one takes (`--model`, `--json`,
 * `--backend`), loading the task's pipeline through `pipeline()` (the task's embedded model when
 * `--model` is left out), the warning when the checkpoint lacked some weights, and printing text or
 * JSON. Packages are imported when a command runs, never when `tfkit --help` does.
 */
import type { PipelineFor, Registry, RegistryKey } from '@tfkit/core-tensor';
import { UsageError, type CommandContext } from '../command.js';
import { intOption, numberOption, sourceOption } from '../inputs.js';

/** Options every model command takes (node:util parseArgs form). */
export const MODEL_OPTIONS = {
  model: { type: 'string' },
  json: { type: 'boolean', default: false },
  backend: { type: 'string' },
} as const;

/** The help lines for MODEL_OPTIONS; `fallback` says what runs without --model. */
export function modelOptionsUsage(fallback = 'required: no model for this task ships with tfkit'): string {
  return [
    '  --model <source>  Checkpoint directory, URL or hub id (config.json, model.safetensors and',
    `                    tokenizer.json or preprocessor_config.json beside it) (${fallback})`,
    '  --json            Print the result as JSON',
    '  --backend <name>  cpu, wasm, … (default: the fastest available here)',
  ].join('\n');
}

/** Activates `--backend` (or the fastest available one) in the CLI's registry. */
export async function activateBackend(ctx: CommandContext, backend: string | undefined): Promise<Registry> {
  const registry = await ctx.registry();
  const { useBackend } = await import('@tfkit/backends');
  await useBackend(registry, backend);
  return registry;
}

/** A model's load report names the weights its checkpoint lacked; those were initialised anew. */
export function warnNewlyInitialised(model: unknown, source: string, ctx: CommandContext): void {
  const m = model as { loadReport?: { missing?: unknown }; architecture?: unknown } | undefined;
  const missing = Array.isArray(m?.loadReport?.missing) ? (m.loadReport.missing as string[]) : [];
  if (!missing.length) return;
  const shown = missing.length > 6 ? `${missing.slice(0, 6).join(', ')} and ${missing.length - 6} more` : missing.join(', ');
  ctx.io.stderr(
    `warning: some weights of ${typeof m?.architecture === 'string' ? m.architecture : 'the model'} were not in ${source} and are newly initialised: ${shown}. ` +
      'Train the model on a downstream task (tfkit finetune) before trusting its predictions.\n',
  );
}

/**
 * Loads `task`'s pipeline from `--model` (a local path relative to the working directory, else a
 * URL or hub id) or, without it, from the task's embedded model; no embedded model is a usage error.
 */
export async function openPipeline<T extends RegistryKey<'task'>>(
  task: T,
  values: { model?: string; backend?: string },
  ctx: CommandContext,
  extra: { tokenizer?: unknown } = {},
): Promise<PipelineFor<T>> {
  const source = values.model === undefined ? undefined : sourceOption('--model', values.model, ctx.io.cwd);
  const registry = await activateBackend(ctx, values.backend);
  const { pipeline, NoDefaultModelError } = await import('@tfkit/core-tensor');
  try {
    const pipe = await pipeline(task, source, { registry, ...extra });
    warnNewlyInitialised((pipe as { model?: unknown }).model, values.model ?? `tfkit's embedded ${task} model`, ctx);
    return pipe;
  } catch (error) {
    if (error instanceof NoDefaultModelError) throw new UsageError(`no ${task} model ships with tfkit: pass --model <directory, URL or hub id>`);
    throw error;
  }
}

/** The text argument: the positionals joined, required. */
export function textArgument(positionals: string[], what = '<text>'): string {
  const text = positionals.join(' ').trim();
  if (!text) throw new UsageError(`${what} is required`);
  return text;
}

/** Prints `result` as JSON, or the lines `text` makes of it. */
export function printResult<R>(ctx: CommandContext, json: boolean | undefined, result: R, text: (r: R) => string[]): void {
  ctx.io.stdout(json ? `${JSON.stringify(result, null, 2)}\n` : `${text(result).join('\n')}\n`);
}

export const score = (s: number) => s.toFixed(4);

/** A summary of named values: JSON with `--json`, else one `name  value` line each (numbers to 4 significant digits). */
export function printSummary(ctx: CommandContext, json: boolean | undefined, summary: Record<string, unknown>): void {
  const width = Math.max(...Object.keys(summary).map((k) => k.length));
  const show = (v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(4)).toString() : typeof v === 'string' ? v : JSON.stringify(v));
  printResult(ctx, json, summary, (s) => Object.entries(s).map(([k, v]) => `${k.padEnd(width)}  ${show(v)}`));
}

/** Decoding options of the text-to-text commands (summarize, translate). */
export const DECODING_OPTIONS = {
  'max-new-tokens': { type: 'string' },
  'min-new-tokens': { type: 'string' },
  'num-beams': { type: 'string' },
  'no-repeat-ngram-size': { type: 'string' },
  'length-penalty': { type: 'string' },
  sample: { type: 'boolean', default: false },
  seed: { type: 'string' },
} as const;

export const DECODING_USAGE = `  --max-new-tokens <n>        Tokens to generate at most (default: the model's setting)
  --min-new-tokens <n>        Do not end before this many tokens
  --num-beams <b>             Beam search with b beams (default: the model's setting)
  --no-repeat-ngram-size <n>  Never repeat an n-gram
  --length-penalty <x>        Beam search: > 1 favours longer outputs
  --sample                    Sample instead of searching (with --seed for the same text again)
  --seed <s>                  Seed for sampling`;

/** The generate options of DECODING_OPTIONS, only those given (the model's generation config fills the rest). */
export function decodingOptions(values: Record<string, string | boolean | undefined>): Record<string, number | boolean> {
  const s = (k: string) => values[k] as string | undefined;
  const picked: Record<string, number | boolean | undefined> = {
    maxNewTokens: intOption('max-new-tokens', s('max-new-tokens'), 1),
    minNewTokens: intOption('min-new-tokens', s('min-new-tokens'), 0),
    numBeams: intOption('num-beams', s('num-beams'), 1),
    noRepeatNgramSize: intOption('no-repeat-ngram-size', s('no-repeat-ngram-size'), 0),
    lengthPenalty: numberOption('length-penalty', s('length-penalty')),
    seed: intOption('seed', s('seed'), Number.MIN_SAFE_INTEGER),
    ...(values['sample'] ? { doSample: true } : {}),
  };
  return Object.fromEntries(Object.entries(picked).filter(([, v]) => v !== undefined)) as Record<string, number | boolean>;
}
