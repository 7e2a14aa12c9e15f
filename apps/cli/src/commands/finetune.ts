/**
 * `tfkit finetune`: fine-tunes a checkpoint on labelled data for one task with @tfkit/finetune's
 * Trainer — full fine-tuning, LoRA or prefix tuning, with freezing, layer-wise lr decay,
 * re-initialised top layers and SWA — and writes a checkpoint Hugging Face loads (or a PEFT
 * adapter). Per-family defaults (LoRA targets, layer naming, init rules) come from the registry.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Example } from '@tfkit/finetune';
import { CliError, UsageError, type Command } from '../command.js';
import { fileOption, intOption, numberOption, sourceOption, writableDirectory } from '../inputs.js';
import { printSummary, warnNewlyInitialised } from './common.js';
import { FINETUNE_TASKS, TASK_COLUMNS, type FinetuneTask } from '../task-data.js';

const columns = FINETUNE_TASKS.map((t) => `  ${t.padEnd(22)}${TASK_COLUMNS[t]}`).join('\n');

const usage = `Usage: tfkit finetune --model <source> --task <task> --data <train.jsonl|csv|tsv> --out <dir> [options]

Fine-tunes a model (a directory, URL or hub id with config.json, model.safetensors and
tokenizer.json) on labelled data: JSONL (one JSON object per line), CSV or TSV with a header.
Prints a progress bar with loss, learning rate, speed and ETA; evaluates on --eval after each
epoch; saves resumable checkpoints to <out>/checkpoints and the model (or adapter) to <out>.

Tasks and their columns:
${columns}

Options:
  --task <task>           One of the tasks above (default text-classification)
  --eval <file>           Evaluation data: the task's metrics after each epoch and at the end
  --epochs <n>            Epochs (default 3)
  --batch-size <n>        Examples per step (default 16)
  --lr <x>                Peak learning rate (default 5e-5; 1e-3 with --lora, 1e-2 with --prefix)
  --weight-decay <x>      AdamW weight decay, not on biases / LayerNorm (default 0.01)
  --warmup-ratio <x>      Linear warmup fraction (default 0.06)
  --max-length <n>        Truncate inputs to n tokens (default 128; question-answering 384)
  --stride <n>            question-answering: tokens shared by consecutive context windows (default 128)
  --target-lang <xx>      translation with a causal LM: learn "source <to-xx> target" (adds the token)
  --lora <spec>           LoRA instead of full fine-tuning, e.g. r=8,alpha=16,dropout=0.1,targets=query+value
                          (targets separated by "+"; default: the family's, as PEFT; the head trains in full)
  --prefix <spec>         Prefix tuning instead, e.g. tokens=20 or tokens=20,projection=1
  --freeze <spec>         Freeze before training: embeddings, a number n (the bottom n layers) and/or
                          name patterns, comma-separated (e.g. embeddings,4)
  --llrd <decay>          Layer-wise learning-rate decay per layer going down (e.g. 0.9)
  --reinit <n>            Re-initialise the top n layers first
  --class-weights <spec>  Classification tasks: weight each class's loss (PyTorch CrossEntropyLoss(weight=…)):
                          balanced (n / (classes · count) over the training labels), one number per
                          label in label order (sorted, e.g. 0.2,1,1,1,1), or label=weight pairs
                          (e.g. O=0.2; labels not named weigh 1)
  --swa                   Stochastic weight averaging over the last 25% (SWA schedule)
  --resume                Continue from the newest checkpoint in <out>/checkpoints
  --seed <n>              Seed for order, dropout and init (default 42)
  --json                  Print the summary (steps, loss, final metrics, where it was saved) as JSON
  --backend <name>        cpu, wasm, … (default: the fastest available here)
  --threads <n>           wasm: threads to use (default: every core, at most 8)
`;

function parseSpec(flag: string, spec: string, keys: readonly string[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (const part of spec.split(',')) {
    const [k, v] = part.split('=');
    if (!k || v === undefined) throw new UsageError(`${flag}: expected key=value pairs, got "${part}"`);
    o[k.trim()] = v.trim();
  }
  for (const key of Object.keys(o)) if (!keys.includes(key)) throw new UsageError(`${flag}: unknown key "${key}" (${keys.join(', ')})`);
  return o;
}

function parseLora(spec: string): { r: number; loraAlpha: number; loraDropout: number; targetModules?: string[] } {
  const o = parseSpec('--lora', spec, ['r', 'alpha', 'dropout', 'targets']);
  const r = Number(o['r'] ?? 8);
  if (!Number.isInteger(r) || r <= 0) throw new UsageError(`--lora: r must be a positive integer, got "${o['r']}"`);
  const loraAlpha = Number(o['alpha'] ?? 2 * r);
  if (!(Number.isFinite(loraAlpha) && loraAlpha > 0)) throw new UsageError(`--lora: alpha must be a positive number, got "${o['alpha']}"`);
  const loraDropout = Number(o['dropout'] ?? 0);
  if (!(loraDropout >= 0 && loraDropout < 1)) throw new UsageError(`--lora: dropout must be in [0, 1), got "${o['dropout']}"`);
  if (o['targets'] === undefined) return { r, loraAlpha, loraDropout };
  const targetModules = o['targets'].split('+').filter(Boolean);
  if (targetModules.length === 0) throw new UsageError('--lora: targets must name at least one module, e.g. targets=query+value');
  return { r, loraAlpha, loraDropout, targetModules };
}

function parsePrefix(spec: string): { numVirtualTokens: number; prefixProjection: boolean } {
  const o = parseSpec('--prefix', /=/.test(spec) ? spec : `tokens=${spec}`, ['tokens', 'projection']);
  const numVirtualTokens = Number(o['tokens'] ?? 20);
  if (!Number.isInteger(numVirtualTokens) || numVirtualTokens <= 0) throw new UsageError(`--prefix: tokens must be a positive integer, got "${o['tokens']}"`);
  if (o['projection'] !== undefined && !['0', '1'].includes(o['projection'])) throw new UsageError(`--prefix: projection must be 0 or 1, got "${o['projection']}"`);
  return { numVirtualTokens, prefixProjection: o['projection'] === '1' };
}

/** Tasks whose loss is cross-entropy over classes, which --class-weights weights. */
const WEIGHTED_TASKS: readonly FinetuneTask[] = ['text-classification', 'token-classification', 'image-classification'];

/** `--class-weights`: 'balanced', numbers in label order, or label=weight pairs (others 1). */
export function parseClassWeights(spec: string, labels: readonly string[]): number[] | 'balanced' {
  const text = spec.trim();
  if (text === 'balanced') return 'balanced';
  const parts = text.split(',').map((p) => p.trim());
  const number = (v: string, what: string) => {
    const n = Number(v);
    if (v === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`--class-weights: ${what} must be a number ≥ 0, got "${v}"`);
    return n;
  };
  const order = labels.length ? ` (${labels.join(', ')})` : '';
  if (parts.every((p) => !p.includes('='))) {
    const weights = parts.map((p, i) => number(p, `weight ${i + 1}`));
    if (weights.length !== labels.length) throw new UsageError(`--class-weights: ${weights.length} weights for ${labels.length} labels${order}: give one per label, in that order, or label=weight pairs`);
    if (weights.every((w) => w === 0)) throw new UsageError('--class-weights: the weights are all 0');
    return weights;
  }
  const weights = labels.map(() => 1);
  for (const part of parts) {
    const at = part.lastIndexOf('=');
    if (at <= 0) throw new UsageError(`--class-weights: expected label=weight pairs, got "${part}"`);
    const name = part.slice(0, at).trim();
    const index = labels.indexOf(name);
    if (index < 0) throw new UsageError(`--class-weights: "${name}" is not one of the labels${order}`);
    weights[index] = number(part.slice(at + 1).trim(), `the weight of ${name}`);
  }
  if (weights.every((w) => w === 0)) throw new UsageError('--class-weights: the weights are all 0');
  return weights;
}

function parseFreeze(spec: string): { embeddings: boolean; bottomLayers: number; patterns: string[] } {
  const out = { embeddings: false, bottomLayers: 0, patterns: [] as string[] };
  for (const part of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
    if (part === 'embeddings') out.embeddings = true;
    else if (/^\d+$/.test(part)) out.bottomLayers = Number(part);
    else out.patterns.push(part);
  }
  if (!out.embeddings && !out.bottomLayers && !out.patterns.length) throw new UsageError('--freeze: give embeddings, a number of bottom layers and/or name patterns');
  return out;
}

export const finetuneCommand: Command = {
  name: ['finetune'],
  summary: 'Fine-tune a model for a task (full, LoRA, prefix; freeze, LLRD, re-init, SWA)',
  usage,
  stopsOnSignal: true,
  async run(argv, ctx) {
    const { values } = parseArgs({
      args: argv,
      options: {
        model: { type: 'string' }, task: { type: 'string', default: 'text-classification' }, data: { type: 'string' }, eval: { type: 'string' },
        out: { type: 'string' }, epochs: { type: 'string' }, 'batch-size': { type: 'string' }, lr: { type: 'string' }, 'weight-decay': { type: 'string' },
        'warmup-ratio': { type: 'string' }, 'max-length': { type: 'string' }, stride: { type: 'string' }, 'target-lang': { type: 'string' },
        lora: { type: 'string' }, prefix: { type: 'string' }, freeze: { type: 'string' }, llrd: { type: 'string' }, reinit: { type: 'string' },
        'class-weights': { type: 'string' },
        swa: { type: 'boolean', default: false }, resume: { type: 'boolean', default: false }, seed: { type: 'string' }, backend: { type: 'string' }, threads: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    });
    if (!values.model || !values.data || !values.out) throw new UsageError('--model, --data and --out are required');
    const task = values.task as FinetuneTask;
    if (!FINETUNE_TASKS.includes(task)) throw new UsageError(`--task: expected one of ${FINETUNE_TASKS.join(', ')}, got "${values.task}"`);
    if (values.lora && values.prefix) throw new UsageError('--lora and --prefix exclude each other');
    const seed = intOption('seed', values.seed, 0) ?? 42;
    const threads = intOption('threads', values.threads, 1);
    const reinit = intOption('reinit', values.reinit, 0);
    const llrd = numberOption('llrd', values.llrd, { above: 0, max: 1 });
    const batchSize = intOption('batch-size', values['batch-size'], 1) ?? 16;
    const epochs = intOption('epochs', values.epochs, 1) ?? 3;
    const maxLength = intOption('max-length', values['max-length'], 2);
    const stride = intOption('stride', values.stride, 0);
    const weightDecay = numberOption('weight-decay', values['weight-decay'], { min: 0 }) ?? 0.01;
    const warmupRatio = numberOption('warmup-ratio', values['warmup-ratio'], { min: 0, max: 1 }) ?? 0.06;
    const loraOptions = values.lora ? parseLora(values.lora) : undefined;
    const prefixOptions = values.prefix ? parsePrefix(values.prefix) : undefined;
    const freeze = values.freeze ? parseFreeze(values.freeze) : undefined;
    const lr = numberOption('lr', values.lr, { above: 0 }) ?? (loraOptions ? 1e-3 : prefixOptions ? 1e-2 : 5e-5);
    if (values['class-weights'] !== undefined && !WEIGHTED_TASKS.includes(task)) {
      throw new UsageError(`--class-weights: weights the classes of ${WEIGHTED_TASKS.join(', ')}, not ${task}`);
    }
    if (prefixOptions && (task === 'summarization' || task === 'translation' || task === 'image-classification')) {
      throw new UsageError(`--prefix: prefix tuning is offered for encoder-only and decoder-only text models, not ${task}`);
    }

    const source = sourceOption('--model', values.model, ctx.io.cwd);
    const out = await writableDirectory('--out', values.out, ctx.io.cwd);
    const dataFile = fileOption('--data', values.data, ctx.io.cwd);
    const evalFile = values.eval ? fileOption('--eval', values.eval, ctx.io.cwd) : undefined;
    const [{ readRows, taskExamples }, recipes, t] = await Promise.all([import('../task-data.js'), import('../task-recipes.js'), import('../training.js')]);
    const train = await taskExamples(task, await readRows('--data', values.data, ctx.io.cwd), `--data ${values.data}`, path.dirname(dataFile));
    const evalSet = evalFile ? await taskExamples(task, await readRows('--eval', values.eval as string, ctx.io.cwd), `--eval ${values.eval}`, path.dirname(evalFile)) : undefined;

    const registry = await ctx.registry();
    const [{ useBackend }, ft] = await Promise.all([import('@tfkit/backends'), import('@tfkit/finetune')]);
    await useBackend(registry, values.backend, threads === undefined ? {} : { threads });
    const labels = recipes.dataLabels(task, train, ...(evalSet ? [evalSet] : []));
    // The data's labels, sorted, are the new head's classes (ids in that order).
    const classWeights = values['class-weights'] !== undefined ? parseClassWeights(values['class-weights'], labels ?? []) : undefined;
    const session = await recipes.TaskSession.open(task, { registry, source, maxLength, stride, labels, targetLang: values['target-lang'], io: ctx.io });
    const model = session.model;
    const disposables: { dispose(): void }[] = [];
    try {
      warnNewlyInitialised(model, values.model, ctx);
      if (reinit) ft.reinitTopLayers(model, { topLayers: reinit, seed, registry });
      if (freeze) ft.freezeLayers(model, { ...freeze, registry });
      const peftTask = recipes.PEFT_TASK_TYPE[task];
      const lora = loraOptions
        ? ft.LoraModel.apply(model, {
            ...loraOptions, targetModules: loraOptions.targetModules ?? ft.defaultLoraTargets(model, registry),
            modulesToSave: session.modulesToSave(), taskType: peftTask, baseModelNameOrPath: values.model, seed,
          })
        : undefined;
      let prefix: InstanceType<typeof ft.PrefixTuningModel> | undefined;
      if (prefixOptions) {
        const entry = registry.model.get(model.modelType);
        const config = model.hfConfig ?? {};
        const numAttentionHeads = Number(t.configValue(entry, config, 'num_attention_heads'));
        const tokenDim = Number(t.configValue(entry, config, 'hidden_size'));
        if (!(numAttentionHeads > 0 && tokenDim > 0)) throw new CliError(`--prefix: the model's config.json gives no hidden_size and num_attention_heads (model type "${model.modelType}")`);
        prefix = new ft.PrefixTuningModel(model, {
          ...prefixOptions, numLayers: ft.countLayers(model, entry.layerNaming), numAttentionHeads, tokenDim,
          modulesToSave: session.modulesToSave(), taskType: peftTask, baseModelNameOrPath: values.model, seed,
        });
      }
      const trained = prefix ?? model;
      const lrScale = llrd !== undefined ? ft.layerwiseLrScale(model, { decay: llrd, registry }) : undefined;
      const optimizer = new ft.AdamW(ft.groupParameters(trained, { lr, weightDecay, lrScale }), { lr });
      disposables.push(optimizer);
      const callbacks = [t.progressBar(ctx.io), t.stopOnSignal(ctx.signal)];
      if (values.swa) callbacks.push(new ft.SwaCallback(model));
      const trainItems = session.items(train);
      const stepsPerEpoch = Math.ceil(trainItems.length / batchSize);
      const trainer = new ft.Trainer<Example>({
        model: trained, trainDataset: ft.Dataset.fromArray(trainItems), evalDataset: evalSet ? ft.Dataset.fromArray(session.items(evalSet)) : undefined,
        collator: await session.collator(), optimizer, epochs, batchSize, seed, scheduler: values.swa ? 'swa' : 'linear', warmupRatio,
        evalEvery: evalSet ? stepsPerEpoch : undefined, saveEvery: stepsPerEpoch, saveTotalLimit: 2, outputDir: path.join(out, 'checkpoints'),
        metrics: session.trainingMetrics, logEvery: Math.max(1, Math.floor(stepsPerEpoch / 4)), callbacks, ...(session.forward ? { forward: session.forward } : {}),
        ...(classWeights ? { classWeights } : {}),
      });
      // Ctrl-C while loading: nothing trained, nothing written.
      if (ctx.signal.aborted) return 0;
      const result = await trainer.train({ resumeFrom: values.resume });
      if (ctx.signal.aborted) {
        // The Trainer stopped at a step boundary and saved a resumable checkpoint; main reports the interruption.
        ctx.io.stderr(`stopped after step ${result.globalStep}; checkpoint in ${path.join(out, 'checkpoints')} (continue with --resume)\n`);
        return 0;
      }
      // Classification is scored by the Trainer (its metrics are the task's); other tasks post-process or generate.
      const final = !evalSet ? {} : session.trainingMetrics && task !== 'causal-lm' ? await trainer.evaluate() : await session.evaluate(evalSet, trained, batchSize);
      if (lora) {
        await ft.saveLoraAdapter(lora, out);
        lora.mergeAndUnload();
        await model.savePretrained(path.join(out, 'merged'));
        await session.savePreprocessor(path.join(out, 'merged'));
      } else if (prefix) {
        await prefix.saveAdapter(out);
        await session.savePreprocessor(out);
      } else {
        await model.savePretrained(out);
        await session.savePreprocessor(out);
      }
      const weights = trainer.classWeights;
      const weighting = weights ? { classWeights: Object.fromEntries((session.labels ?? []).map((l, i) => [l, Number((weights[i] as number).toPrecision(6))])) } : {};
      printSummary(ctx, values.json, { task, steps: result.globalStep, trainingLoss: result.trainingLoss, ...weighting, ...final, saved: out });
      return 0;
    } finally {
      for (const d of disposables) d.dispose();
      session.dispose();
    }
  },
};
