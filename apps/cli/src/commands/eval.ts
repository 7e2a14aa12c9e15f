/**
 * `tfkit eval`: a task's metrics for a model (optionally with a PEFT adapter, LoRA or prefix) on
 * labelled data: accuracy and F1 (classification), entity F1 (token classification), exact match
 * and F1 (question answering), ROUGE (summarization, translation), perplexity (causal LM).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Module } from '@tfkit/layers';
import { CliError, UsageError, type Command } from '../command.js';
import { fileOption, intOption, sourceOption } from '../inputs.js';
import { printSummary, warnNewlyInitialised } from './common.js';
import { FINETUNE_TASKS, TASK_COLUMNS, type FinetuneTask } from '../task-data.js';

const usage = `Usage: tfkit eval --model <source> --task <task> --data <eval.jsonl|csv|tsv> [--adapter <dir>] [options]

Evaluates a model on labelled data (the columns tfkit finetune reads) and prints the task's
metrics (as JSON with --json), with a progress bar on stderr:
  text-classification, image-classification  eval_loss, eval_accuracy, eval_precision, eval_recall, eval_f1 (macro)
  token-classification                        eval_loss, eval_precision, eval_recall, eval_f1 (entity level, BIO tags)
  question-answering                          eval_loss, eval_exact_match, eval_f1 (SQuAD, 0…1)
  summarization, translation                  eval_loss, eval_rouge1, eval_rouge2, eval_rougeL (F-measures, 0…1)
  causal-lm                                   eval_loss, eval_perplexity

Tasks and their columns:
${FINETUNE_TASKS.map((t) => `  ${t.padEnd(22)}${TASK_COLUMNS[t]}`).join('\n')}

Options:
  --task <task>          One of the tasks above (default text-classification)
  --adapter <dir>        A PEFT adapter (adapter_config.json + adapter_model.safetensors: LoRA or prefix tuning)
  --batch-size <n>       Examples per batch (default 16)
  --max-length <n>       Truncate inputs to n tokens (default 128; question-answering 384)
  --max-new-tokens <n>   summarization, translation: tokens to generate at most (default 64)
  --num-beams <b>        summarization, translation: beam search (default 1, greedy)
  --target-lang <xx>     translation with a causal LM: the <to-xx> task token
  --json                 Print the metrics as JSON
  --backend <name>       cpu, wasm, … (default: the fastest available here)
`;

export const evalCommand: Command = {
  name: ['eval'],
  summary: 'Evaluate a model (or adapter) on labelled data with the task\'s metrics',
  usage,
  async run(argv, ctx) {
    const { values } = parseArgs({
      args: argv,
      options: {
        model: { type: 'string' }, task: { type: 'string', default: 'text-classification' }, data: { type: 'string' }, adapter: { type: 'string' },
        'batch-size': { type: 'string' }, 'max-length': { type: 'string' }, 'max-new-tokens': { type: 'string' }, 'num-beams': { type: 'string' },
        'target-lang': { type: 'string' }, backend: { type: 'string' }, json: { type: 'boolean', default: false },
      },
      strict: true,
    });
    if (!values.model || !values.data) throw new UsageError('--model and --data are required');
    const task = values.task as FinetuneTask;
    if (!FINETUNE_TASKS.includes(task)) throw new UsageError(`--task: expected one of ${FINETUNE_TASKS.join(', ')}, got "${values.task}"`);
    const batchSize = intOption('batch-size', values['batch-size'], 1) ?? 16;
    const maxLength = intOption('max-length', values['max-length'], 2);
    const maxNewTokens = intOption('max-new-tokens', values['max-new-tokens'], 1);
    const numBeams = intOption('num-beams', values['num-beams'], 1);
    const source = sourceOption('--model', values.model, ctx.io.cwd);
    const dataFile = fileOption('--data', values.data, ctx.io.cwd);
    const adapterDir = values.adapter === undefined ? undefined : path.resolve(ctx.io.cwd, values.adapter);
    let peftType: unknown;
    if (adapterDir !== undefined) {
      const configFile = path.join(adapterDir, 'adapter_config.json');
      if (!fs.existsSync(configFile)) throw new CliError(`--adapter ${values.adapter}: no adapter_config.json in ${adapterDir}`);
      peftType = (JSON.parse(fs.readFileSync(configFile, 'utf8')) as { peft_type?: unknown }).peft_type;
      if (peftType !== 'LORA' && peftType !== 'PREFIX_TUNING') throw new CliError(`--adapter ${values.adapter}: peft_type ${JSON.stringify(peftType)} is not supported (LORA, PREFIX_TUNING)`);
    }
    const [{ readRows, taskExamples }, recipes] = await Promise.all([import('../task-data.js'), import('../task-recipes.js')]);
    const data = await taskExamples(task, await readRows('--data', values.data, ctx.io.cwd), `--data ${values.data}`, path.dirname(dataFile));

    const registry = await ctx.registry();
    const [{ useBackend }, ft] = await Promise.all([import('@tfkit/backends'), import('@tfkit/finetune')]);
    await useBackend(registry, values.backend);
    const session = await recipes.TaskSession.open(task, { registry, source, maxLength, targetLang: values['target-lang'], maxNewTokens, numBeams, io: ctx.io });
    try {
      let runner: Module = session.model;
      if (adapterDir === undefined) warnNewlyInitialised(session.model, values.model, ctx);
      else if (peftType === 'LORA') await ft.loadLoraAdapter(session.model, adapterDir);
      else runner = await ft.PrefixTuningModel.load(session.model, adapterDir);
      session.adoptDataLabels(data);
      const metrics = await session.evaluate(data, runner, batchSize);
      printSummary(ctx, values.json, { task, examples: data.length, ...metrics });
      return 0;
    } finally {
      session.dispose();
    }
  },
};
