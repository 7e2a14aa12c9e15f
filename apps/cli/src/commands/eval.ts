/**
 * `tfkit eval`: accuracy and F1 of a text-classification model (optionally with a PEFT LoRA
 * adapter) on a labelled JSONL/CSV file.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { useBackend } from '@tfkit/backends';
import { AutoModel } from '@tfkit/core-tensor';
import { classificationMetrics, DataCollatorWithPadding, loadLoraAdapter, Trainer, type Example } from '@tfkit/finetune';
import type { Module } from '@tfkit/layers';
import { Tokenizer } from '@tfkit/tokenizers';
import { CliError, UsageError, type Command } from '../command.js';
import { fileOption, intOption, sourceOption } from '../inputs.js';
import { architectureFor, labelSet, readExamples } from './finetune.js';

const usage = `Usage: tfkit eval --model <source> --data <eval.jsonl|csv> [--adapter <dir>] [options]

Evaluates a text-classification model on labelled data ("text", optional "text_pair", "label" as
a class name from the model's id2label or an id) and prints loss, accuracy and macro
precision / recall / F1 as JSON.

Options:
  --adapter <dir>      A LoRA adapter (adapter_config.json + adapter_model.safetensors) to apply
  --batch-size <n>     Examples per batch (default 32)
  --max-length <n>     Truncate inputs to n tokens (default 128)
  --backend <name>     cpu, wasm, … (default: the fastest available)
`;

export const evalCommand: Command = {
  name: ['eval'],
  summary: 'Evaluate a text-classification model (or LoRA adapter) on labelled data',
  usage,
  async run(argv, ctx) {
    const { values } = parseArgs({
      args: argv,
      options: { model: { type: 'string' }, data: { type: 'string' }, adapter: { type: 'string' }, 'batch-size': { type: 'string' }, 'max-length': { type: 'string' }, backend: { type: 'string' } },
      strict: true,
    });
    if (!values.model || !values.data) throw new UsageError('--model and --data are required');
    const batchSize = intOption('batch-size', values['batch-size'], 1) ?? 32;
    const maxLength = intOption('max-length', values['max-length'], 1) ?? 128;
    const registry = await ctx.registry();
    await useBackend(registry, values.backend);
    const source = sourceOption('--model', values.model, ctx.io.cwd);
    const data = await readExamples(fileOption('--data', values.data, ctx.io.cwd));
    const tokenizer = await Tokenizer.fromPretrained(source);
    const architecture = await architectureFor(registry, source, 'ForSequenceClassification');
    const model = (await AutoModel.fromPretrained(source, { registry, architecture })) as unknown as Module & { dispose(): void; hfConfig?: Record<string, unknown> };
    if (values.adapter) await loadLoraAdapter(model, path.resolve(ctx.io.cwd, values.adapter));
    const config = (model as unknown as { config?: { id2label?: Record<string, string> } }).config;
    let names = Object.values(config?.id2label ?? {});
    const dataLabels = labelSet(data);
    if (!dataLabels.every((l) => names.includes(l) || /^\d+$/.test(l))) {
      // A base model with an adapter keeps the base's label names; use the order tfkit finetune gives classes.
      ctx.io.stderr(`note: the model's labels (${names.join(', ')}) do not name the data's; using the sorted data labels ${dataLabels.join(', ')} as ids 0…${dataLabels.length - 1}\n`);
      names = dataLabels;
    }
    const toId = (label: unknown) => {
      const byName = names.indexOf(String(label));
      if (byName >= 0) return byName;
      if (/^\d+$/.test(String(label))) return Number(label);
      throw new CliError(`--data ${values.data}: label ${JSON.stringify(label)} is neither a class of the model (${names.join(', ')}) nor an id`);
    };
    const padTokenId = tokenizer.tokenToId('[PAD]') ?? tokenizer.tokenToId('<pad>') ?? 0;
    const collator = new DataCollatorWithPadding<Example>({ tokenizer, padTokenId, textPairColumn: 'text_pair', maxLength, labelToId: toId }).collate;
    const trainer = new Trainer<Example>({ model, collator, evalBatchSize: batchSize, metrics: classificationMetrics() });
    const metrics = await trainer.evaluate(data);
    ctx.io.stdout(`${JSON.stringify({ examples: data.length, ...metrics }, null, 2)}\n`);
    model.dispose();
    return 0;
  },
};
