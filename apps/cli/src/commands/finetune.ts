/**
 * `tfkit finetune`: fine-tunes a checkpoint on a labelled JSONL/CSV file with @tfkit/finetune's
 * Trainer — full fine-tuning or LoRA, with optional layer-wise lr decay, re-initialised top
 * layers and SWA — and writes a checkpoint Hugging Face loads (or a PEFT adapter).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { useBackend } from '@tfkit/backends';
import { AutoModel, type Registry } from '@tfkit/core-tensor';
import {
  AdamW, classificationMetrics, DataCollatorWithPadding, Dataset, groupParameters, layerwiseLrScale, LoraModel, ProgressCallback,
  reinitTopLayers, saveLoraAdapter, SwaCallback, Trainer, type Example, type TrainerCallback,
} from '@tfkit/finetune';
import type { Module } from '@tfkit/layers';
import { Tokenizer } from '@tfkit/tokenizers';
import { CliError, UsageError, type Command } from '../command.js';
import { fileOption, intOption, numberOption, sourceOption, writableDirectory } from '../inputs.js';

const usage = `Usage: tfkit finetune --model <source> --task text-classification --data <train.jsonl|csv> --out <dir> [options]

Fine-tunes a model (a directory, URL or hub id with config.json, model.safetensors and
tokenizer.json) on labelled text: one JSON object per line (or CSV rows) with a "text" field
(and "text_pair" for pairs) and a "label" (class name or id). Prints a progress bar with loss,
learning rate, speed and ETA; evaluates on --eval after each epoch; saves resumable checkpoints.

Options:
  --eval <file>           Labelled evaluation data (accuracy, macro F1)
  --epochs <n>            Epochs (default 3)
  --batch-size <n>        Examples per step (default 16)
  --lr <x>                Peak learning rate (default 5e-5; 1e-3 is typical with --lora)
  --weight-decay <x>      AdamW weight decay, not on biases / LayerNorm (default 0.01)
  --warmup-ratio <x>      Linear warmup fraction (default 0.06)
  --max-length <n>        Truncate inputs to n tokens (default 128)
  --lora <spec>           LoRA instead of full fine-tuning, e.g. r=8,alpha=16,dropout=0.1,targets=query+value
                          (targets separated by "+"; the classifier head always trains)
  --llrd <decay>          Layer-wise learning-rate decay per layer going down (e.g. 0.9)
  --reinit <n>            Re-initialise the top n layers first
  --swa                   Stochastic weight averaging over the last 25% (SWA schedule)
  --resume                Continue from the newest checkpoint in --out
  --seed <n>              Seed for order, dropout and init (default 42)
  --backend <name>        cpu, wasm, … (default: the fastest available)
`;

export interface LabelledData {
  train: Dataset;
  labels: string[];
}

/** Reads JSONL (or CSV by extension). */
export async function readExamples(file: string): Promise<Dataset> {
  return file.endsWith('.csv') || file.endsWith('.tsv') ? (Dataset.fromCsv(file, { delimiter: file.endsWith('.tsv') ? '\t' : ',' }) as Promise<Dataset>) : Dataset.fromJsonl(file);
}

/** Class names in a stable order: numeric ids as numbers, names sorted. */
export function labelSet(...sets: Dataset[]): string[] {
  const values = new Set<string>();
  for (const ds of sets) for (const ex of ds.toArray()) if (ex['label'] !== undefined) values.add(String(ex['label']));
  const all = [...values];
  return all.every((v) => /^\d+$/.test(v)) ? all.sort((a, b) => Number(a) - Number(b)) : all.sort();
}

/** The registered architecture of the checkpoint's family that ends with `suffix`. */
export async function architectureFor(registry: Registry, source: string, suffix: string): Promise<string> {
  const { openSource } = await import('@tfkit/core-tensor');
  const files = await openSource(source);
  const config = await files.readJson<{ model_type?: string }>('config.json');
  const entry = registry.model.get(String(config.model_type));
  const arch = Object.keys(entry.architectures).find((a) => a.endsWith(suffix));
  if (!arch) throw new UsageError(`model type "${config.model_type}" has no *${suffix} architecture registered`);
  return arch;
}

function parseLora(spec: string): { r: number; loraAlpha: number; loraDropout: number; targetModules: string[] } {
  const o: Record<string, string> = {};
  for (const part of spec.split(',')) {
    const [k, v] = part.split('=');
    if (!k || v === undefined) throw new UsageError(`--lora: expected key=value pairs, got "${part}"`);
    o[k.trim()] = v.trim();
  }
  for (const key of Object.keys(o)) if (!['r', 'alpha', 'dropout', 'targets'].includes(key)) throw new UsageError(`--lora: unknown key "${key}" (r, alpha, dropout, targets)`);
  const r = Number(o['r'] ?? 8);
  if (!Number.isInteger(r) || r <= 0) throw new UsageError(`--lora: r must be a positive integer, got "${o['r']}"`);
  const loraAlpha = Number(o['alpha'] ?? 2 * r);
  if (!(Number.isFinite(loraAlpha) && loraAlpha > 0)) throw new UsageError(`--lora: alpha must be a positive number, got "${o['alpha']}"`);
  const loraDropout = Number(o['dropout'] ?? 0);
  if (!(loraDropout >= 0 && loraDropout < 1)) throw new UsageError(`--lora: dropout must be in [0, 1), got "${o['dropout']}"`);
  const targetModules = (o['targets'] ?? 'query+value').split('+').filter(Boolean);
  if (targetModules.length === 0) throw new UsageError('--lora: targets must name at least one module, e.g. targets=query+value');
  return { r, loraAlpha, loraDropout, targetModules };
}

/**
 * Ends training at the next step boundary once `signal` fires (Ctrl-C). Yields to the event loop
 * after each step so the signal can land between synchronous training steps.
 */
function stopOnSignal(signal: AbortSignal): TrainerCallback {
  return {
    async onStepEnd(state) {
      await new Promise((resolve) => setImmediate(resolve));
      if (signal.aborted) state.shouldStop = true;
    },
  };
}

export const finetuneCommand: Command = {
  name: ['finetune'],
  summary: 'Fine-tune a model on labelled text (full, LoRA, LLRD, re-init, SWA)',
  usage,
  stopsOnSignal: true,
  async run(argv, ctx) {
    const { values } = parseArgs({
      args: argv,
      options: {
        model: { type: 'string' }, task: { type: 'string', default: 'text-classification' }, data: { type: 'string' }, eval: { type: 'string' },
        out: { type: 'string' }, epochs: { type: 'string' }, 'batch-size': { type: 'string' }, lr: { type: 'string' }, 'weight-decay': { type: 'string' },
        'warmup-ratio': { type: 'string' }, 'max-length': { type: 'string' }, lora: { type: 'string' }, llrd: { type: 'string' }, reinit: { type: 'string' },
        swa: { type: 'boolean', default: false }, resume: { type: 'boolean', default: false }, seed: { type: 'string' }, backend: { type: 'string' },
      },
      strict: true,
    });
    if (!values.model || !values.data || !values.out) throw new UsageError('--model, --data and --out are required');
    if (values.task !== 'text-classification') throw new UsageError(`--task: only text-classification is supported, got "${values.task}"`);
    const seed = intOption('seed', values.seed, 0) ?? 42;
    const reinit = intOption('reinit', values.reinit, 0);
    const llrd = numberOption('llrd', values.llrd, { above: 0, max: 1 });
    const batchSize = intOption('batch-size', values['batch-size'], 1) ?? 16;
    const epochs = intOption('epochs', values.epochs, 1) ?? 3;
    const maxLength = intOption('max-length', values['max-length'], 1) ?? 128;
    const weightDecay = numberOption('weight-decay', values['weight-decay'], { min: 0 }) ?? 0.01;
    const warmupRatio = numberOption('warmup-ratio', values['warmup-ratio'], { min: 0, max: 1 }) ?? 0.06;
    const loraOptions = values.lora ? parseLora(values.lora) : undefined;
    const lr = numberOption('lr', values.lr, { above: 0 }) ?? (loraOptions ? 1e-3 : 5e-5);
    const registry = await ctx.registry();
    await useBackend(registry, values.backend);
    const source = sourceOption('--model', values.model, ctx.io.cwd);
    const out = await writableDirectory('--out', values.out, ctx.io.cwd);
    const train = await readExamples(fileOption('--data', values.data, ctx.io.cwd));
    const evalSet = values.eval ? await readExamples(fileOption('--eval', values.eval, ctx.io.cwd)) : undefined;
    if (train.length === 0) throw new CliError(`--data ${values.data}: no examples`);
    const labels = labelSet(train, ...(evalSet ? [evalSet] : []));
    const tokenizer = await Tokenizer.fromPretrained(source);
    const padId = tokenizer.tokenToId('[PAD]') ?? tokenizer.tokenToId('<pad>') ?? 0;
    const architecture = await architectureFor(registry, source, 'ForSequenceClassification');
    const id2label = Object.fromEntries(labels.map((l, i) => [String(i), l]));
    const model = (await AutoModel.fromPretrained(source, {
      registry, architecture, strict: false,
      configOverrides: { id2label, label2id: Object.fromEntries(labels.map((l, i) => [l, i])), pad_token_id: padId },
    })) as unknown as Module & { savePretrained(dir: string): Promise<void>; dispose(): void };
    if (reinit) reinitTopLayers(model, { topLayers: reinit, seed });
    const lora = loraOptions ? LoraModel.apply(model, { ...loraOptions, modulesToSave: ['classifier', 'score'].filter((n) => model.namedModules().some(([p]) => p === n)), taskType: 'SEQ_CLS', baseModelNameOrPath: values.model }) : undefined;
    const lrScale = llrd !== undefined ? layerwiseLrScale(model, { decay: llrd }) : undefined;
    const optimizer = new AdamW(groupParameters(model, { lr, weightDecay, lrScale }), { lr });
    const callbacks: TrainerCallback[] = [new ProgressCallback({ write: (t) => ctx.io.stderr(t), isTTY: ctx.io.isTTY }), stopOnSignal(ctx.signal)];
    if (values.swa) callbacks.push(new SwaCallback(model));
    const toId = (l: unknown) => labels.indexOf(String(l));
    const collator = new DataCollatorWithPadding<Example>({ tokenizer, padTokenId: padId, textPairColumn: 'text_pair', maxLength, labelToId: toId }).collate;
    const stepsPerEpoch = Math.ceil(train.length / batchSize);
    const trainer = new Trainer<Example>({
      model, trainDataset: train, evalDataset: evalSet, collator, optimizer, epochs, batchSize, seed,
      scheduler: values.swa ? 'swa' : 'linear', warmupRatio,
      evalEvery: evalSet ? stepsPerEpoch : undefined, saveEvery: stepsPerEpoch, saveTotalLimit: 2, outputDir: path.join(out, 'checkpoints'),
      metrics: classificationMetrics(), logEvery: Math.max(1, Math.floor(stepsPerEpoch / 4)), callbacks,
    });
    if (ctx.signal.aborted) {
      // Ctrl-C while loading: nothing trained, nothing written.
      optimizer.dispose();
      model.dispose();
      return 0;
    }
    const result = await trainer.train({ resumeFrom: values.resume });
    if (ctx.signal.aborted) {
      // The Trainer stopped at a step boundary and saved a resumable checkpoint; main reports the interruption.
      ctx.io.stderr(`stopped after step ${result.globalStep}; checkpoint in ${path.join(out, 'checkpoints')} (continue with --resume)\n`);
      optimizer.dispose();
      model.dispose();
      return 0;
    }
    const final = evalSet ? await trainer.evaluate() : {};
    if (lora) {
      await saveLoraAdapter(lora, out);
      lora.mergeAndUnload();
      await model.savePretrained(path.join(out, 'merged'));
      await tokenizer.savePretrained(path.join(out, 'merged'));
    } else {
      await model.savePretrained(out);
      await tokenizer.savePretrained(out);
    }
    ctx.io.stdout(`${JSON.stringify({ steps: result.globalStep, trainingLoss: result.trainingLoss, ...final, saved: out }, null, 2)}\n`);
    optimizer.dispose();
    model.dispose();
    return 0;
  },
};
