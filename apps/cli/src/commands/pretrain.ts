/**
 * `tfkit pretrain`: pretrains a model from text files with one of its family's objectives
 * (masked language modelling with next sentence prediction, denoising, causal language
 * modelling, …). The objectives, the data they make and a fresh model come from the family's
 * registry entry (`pretraining`), so a family registered by a plugin is pretrained the same way.
 * Training runs on @tfkit/finetune's Trainer: progress bar, checkpoints, exact resume.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { HfConfig, ModelEntry, PretrainedModel, PretrainingObjective, Registry } from '@tfkit/core-tensor';
import type { Module } from '@tfkit/layers';
import { CliError, UsageError, type Command } from '../command.js';
import { intOption, numberOption, sourceOption, writableDirectory } from '../inputs.js';
import { printSummary } from './common.js';

const usage = `Usage: tfkit pretrain --objective <name> --out <dir> (--model-type <type> | --config <config.json> | --model <source>)
                      [--tokenizer <source>] [options] <text files...>

Pretrains a model on plain text (.txt or .txt.gz; a blank line ends a document, the other lines
are its sentences) with one of its family's objectives, and saves a Hugging Face checkpoint
(config.json, model.safetensors, tokenizer.json) to --out. A progress bar shows loss, learning
rate and speed; resumable checkpoints go to <out>/checkpoints (continue with --resume).

Objectives (run tfkit info for what is registered):
  mlm+nsp   masked language modelling + next sentence prediction (encoders)
  mlm       masked language modelling alone (encoders)
  denoise   restore noised documents: text infilling, sentence permutation, token masking,
            token deletion, document rotation (encoder-decoders)
  causal    next-token prediction (decoders)

Model:
  --model-type <type>        A fresh model of this family (default: the family that offers the
                             objective, when only one does)
  --config <config.json>     A fresh model from this config.json (its model_type picks the family)
  --model <source>           Continue pretraining this checkpoint (and its tokenizer)
  --hidden-size <n>          Fresh model: width
  --layers <n>               Fresh model: layers (of an encoder-decoder: the encoder's; set
                             decoder_layers with --set)
  --heads <n>                Fresh model: attention heads
  --max-positions <n>        Fresh model: position table size
  --dropout <p>              Fresh model: every dropout probability of the family (default: the family's)
  --set <key=value>          Fresh model: any config.json key (repeatable; values read as JSON)
  --tokenizer <source>       Tokenizer directory (tokenizer train makes one); required for a fresh model
Objective:
  --objective-options <k=v,...>  Settings of the objective (e.g. mlm_probability=0.2;
                             denoise: mask, delete, infill, lambda, permute, rotate)
  --max-length <n>           Longest example in tokens (default min(128, the model's positions))
Training:
  --epochs <n>               Passes over the examples (default 1)
  --max-steps <n>            Stop after this many steps instead
  --batch-size <n>           Examples per step (default 8)
  --lr <x>                   Peak learning rate (default 5e-4)
  --warmup-ratio <x>         Linear warmup fraction (default 0.06)
  --weight-decay <x>         AdamW weight decay, not on biases / norms (default 0.01)
  --save-every <n>           Save a resumable checkpoint every n steps (default: each epoch)
  --resume                   Continue from the newest checkpoint in <out>/checkpoints
  --seed <n>                 Seed of init, order, masks and noise (default 42)
  --json                     Print the summary (steps, loss, where it was saved) as JSON
  --backend <name>           cpu, wasm, … (default: the fastest available here)
  --threads <n>              wasm: threads to use (default: every core, at most 8)
`;

/** The family (model type) that offers `objective`, or a usage error saying which to choose. */
function familyFor(registry: Registry, objective: string, modelType: string | undefined): string {
  if (modelType !== undefined) return modelType;
  const offering = registry.model.keys().filter((m) => registry.model.get(m).pretraining?.objectives[objective]);
  if (offering.length === 1) return offering[0] as string;
  const all = registry.model.keys().flatMap((m) => Object.keys(registry.model.get(m).pretraining?.objectives ?? {}).map((o) => `${o} (${m})`));
  if (offering.length === 0) throw new UsageError(`--objective ${objective}: no registered family offers it; known: ${all.join(', ') || '(none)'}`);
  throw new UsageError(`--objective ${objective} is offered by ${offering.join(', ')}: choose one with --model-type`);
}

function objectiveOf(entry: ModelEntry, modelType: string, objective: string): PretrainingObjective {
  const found = entry.pretraining?.objectives[objective];
  if (!found) {
    const known = Object.keys(entry.pretraining?.objectives ?? {});
    throw new UsageError(`--objective ${objective}: model type "${modelType}" ${known.length ? `offers ${known.join(', ')}` : 'has no pretraining objectives registered'}`);
  }
  return found;
}

export const pretrainCommand: Command = {
  name: ['pretrain'],
  summary: 'Pretrain a model on text files (mlm+nsp, mlm, denoise, causal), with checkpoints and resume',
  usage,
  stopsOnSignal: true,
  async run(argv, ctx) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        objective: { type: 'string' }, out: { type: 'string' }, 'model-type': { type: 'string' }, config: { type: 'string' }, model: { type: 'string' },
        'hidden-size': { type: 'string' }, layers: { type: 'string' }, heads: { type: 'string' }, 'max-positions': { type: 'string' }, dropout: { type: 'string' }, set: { type: 'string', multiple: true },
        tokenizer: { type: 'string' }, 'objective-options': { type: 'string', multiple: true }, 'max-length': { type: 'string' },
        epochs: { type: 'string' }, 'max-steps': { type: 'string' }, 'batch-size': { type: 'string' }, lr: { type: 'string' }, 'warmup-ratio': { type: 'string' },
        'weight-decay': { type: 'string' }, 'save-every': { type: 'string' }, resume: { type: 'boolean', default: false }, seed: { type: 'string' }, backend: { type: 'string' }, threads: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    });
    if (!values.objective) throw new UsageError('--objective <name> is required (mlm+nsp, mlm, denoise, causal, …)');
    if (!values.out) throw new UsageError('--out <dir> is required');
    if (!positionals.length) throw new UsageError('give the text files to pretrain on');
    const sources = [values.model, values.config, values['model-type']].filter((v) => v !== undefined).length;
    if (values.model !== undefined && sources > 1) throw new UsageError('--model continues a checkpoint: leave out --config and --model-type');
    const sizes = { hidden_size: intOption('hidden-size', values['hidden-size'], 1), num_hidden_layers: intOption('layers', values.layers, 1), num_attention_heads: intOption('heads', values.heads, 1), max_position_embeddings: intOption('max-positions', values['max-positions'], 1) };
    const dropout = numberOption('dropout', values.dropout, { min: 0, max: 0.99 });
    const threads = intOption('threads', values.threads, 1);
    const o = {
      epochs: intOption('epochs', values.epochs, 1) ?? 1,
      maxSteps: intOption('max-steps', values['max-steps'], 1),
      batchSize: intOption('batch-size', values['batch-size'], 1) ?? 8,
      lr: numberOption('lr', values.lr, { above: 0 }) ?? 5e-4,
      warmupRatio: numberOption('warmup-ratio', values['warmup-ratio'], { min: 0, max: 1 }) ?? 0.06,
      weightDecay: numberOption('weight-decay', values['weight-decay'], { min: 0 }) ?? 0.01,
      saveEvery: intOption('save-every', values['save-every'], 1),
      seed: intOption('seed', values.seed, 0) ?? 42,
      maxLength: intOption('max-length', values['max-length'], 4),
    };
    const t = await import('../training.js');
    const settings = t.parseSettings('--set', values.set);
    const objectiveOptions = t.parseSettings('--objective-options', values['objective-options']);
    const out = await writableDirectory('--out', values.out, ctx.io.cwd);
    const modelSource = values.model === undefined ? undefined : sourceOption('--model', values.model, ctx.io.cwd);
    const fileConfig = values.config === undefined ? undefined : await t.readConfigFile(values.config, ctx.io.cwd);
    const tokenizerSource = values.tokenizer !== undefined ? sourceOption('--tokenizer', values.tokenizer, ctx.io.cwd) : modelSource;
    if (tokenizerSource === undefined) throw new UsageError('--tokenizer <source> is required for a fresh model (train one with tfkit tokenizer train)');
    const documents = await t.readDocuments(positionals, ctx.io.cwd);
    if (!documents.length) throw new CliError('the text files hold no text');

    const registry = await ctx.registry();
    const [{ useBackend }, core, { Tokenizer }, ft] = await Promise.all([import('@tfkit/backends'), import('@tfkit/core-tensor'), import('@tfkit/tokenizers'), import('@tfkit/finetune')]);
    const activation = await useBackend(registry, values.backend, threads === undefined ? {} : { threads });
    const tokenizer = await Tokenizer.fromPretrained(tokenizerSource);
    let config: HfConfig;
    let modelType: string;
    if (modelSource !== undefined) {
      config = (await (await core.openSource(modelSource)).readJson<HfConfig>('config.json')) ?? {};
      modelType = String(config['model_type']);
    } else {
      const typeInFile = fileConfig?.['model_type'];
      if (values['model-type'] !== undefined && typeInFile !== undefined && typeInFile !== values['model-type']) {
        throw new UsageError(`--model-type ${values['model-type']} contradicts --config's model_type "${String(typeInFile)}"`);
      }
      modelType = familyFor(registry, values.objective, values['model-type'] ?? (typeInFile as string | undefined));
      config = {};
    }
    const entry = t.familyOf(registry, modelType);
    const objective = objectiveOf(entry, modelType, values.objective);
    const pretraining = entry.pretraining as NonNullable<ModelEntry['pretraining']>;
    if (modelSource === undefined) {
      const flags = Object.fromEntries(Object.entries(sizes).flatMap(([k, v]) => (v === undefined ? [] : [[t.configKey(entry, k), v]])));
      const dropouts = dropout === undefined ? {} : Object.fromEntries((pretraining.dropoutKeys ?? []).map((k) => [k, dropout]));
      config = { ...pretraining.configFromTokenizer(tokenizer), ...fileConfig, ...flags, ...dropouts, ...settings, model_type: modelType, architectures: [objective.architecture] };
    }
    const vocab = Number(t.configValue(entry, config, 'vocab_size'));
    if (Number.isFinite(vocab) && vocab < tokenizer.vocabSize) throw new UsageError(`the tokenizer has ${tokenizer.vocabSize} tokens but the model's vocab_size is ${vocab}; raise vocab_size (--set vocab_size=${tokenizer.vocabSize})`);
    const positions = entry.maxPositions?.(config);
    const maxLength = o.maxLength ?? Math.min(128, positions ?? 128);
    if (positions !== undefined && maxLength > positions) throw new UsageError(`--max-length ${maxLength} exceeds the model's ${positions} positions`);

    const rng = new core.Random(o.seed);
    const data = objective.createData({ tokenizer, config, maxLength, rng, options: Object.fromEntries(Object.entries(objectiveOptions).map(([k, v]) => [k, String(v)])) });
    const examples = data.examples(documents);
    if (!examples.length) throw new CliError(`the text makes no ${values.objective} examples (documents: ${documents.length}); give more text${values.objective.includes('nsp') ? ', with several lines per document and blank lines between documents' : ''}`);
    ctx.io.stderr(`backend ${activation.backend}; ${documents.length} documents → ${examples.length} examples of at most ${maxLength} tokens; ${objective.architecture} (${values.objective})\n`);
    if (ctx.signal.aborted) return 0;

    const model = (modelSource !== undefined
      ? await core.AutoModel.fromPretrained(modelSource, { registry, architecture: objective.architecture, strict: false })
      : pretraining.createModel(config, { architecture: objective.architecture, seed: o.seed })) as unknown as Module & PretrainedModel;
    // Each batch's random choices (masks, noise) come from the seed and the step: a resumed run makes the same batches.
    const running: { trainer?: { state: { globalStep: number } } } = {};
    let lastStep = -1;
    let micro = 0;
    const collator = (batch: unknown[]) => {
      const step = running.trainer?.state.globalStep ?? 0;
      micro = step === lastStep ? micro + 1 : 0;
      lastStep = step;
      rng.setState(new core.Random(o.seed * 1_000_003 + step * 131 + micro).getState());
      return t.toBatch(data.collate(batch));
    };
    const dataset = ft.Dataset.fromArray(examples);
    const stepsPerEpoch = Math.ceil(examples.length / o.batchSize);
    const optimizer = new ft.AdamW(ft.groupParameters(model, { lr: o.lr, weightDecay: o.weightDecay }), { lr: o.lr });
    const trainer = new ft.Trainer<unknown>({
      model, trainDataset: dataset, collator, optimizer, epochs: o.epochs, maxSteps: o.maxSteps, batchSize: o.batchSize, seed: o.seed,
      scheduler: 'linear', warmupRatio: o.warmupRatio, saveEvery: o.saveEvery ?? stepsPerEpoch, saveTotalLimit: 2, outputDir: path.join(out, 'checkpoints'),
      logEvery: Math.max(1, Math.floor(stepsPerEpoch / 4)), callbacks: [t.progressBar(ctx.io), t.stopOnSignal(ctx.signal)],
    });
    running.trainer = trainer;
    try {
      const result = await trainer.train({ resumeFrom: values.resume });
      if (ctx.signal.aborted) {
        ctx.io.stderr(`stopped after step ${result.globalStep}; checkpoint in ${path.join(out, 'checkpoints')} (continue with --resume)\n`);
        return 0;
      }
      await model.savePretrained(out, { metadata: { trained_by: `tfkit pretrain --objective ${values.objective}` } });
      await tokenizer.savePretrained(out);
      printSummary(ctx, values.json, { objective: values.objective, modelType, architecture: objective.architecture, steps: result.globalStep, trainingLoss: result.trainingLoss, examples: examples.length, saved: out });
      return 0;
    } finally {
      optimizer.dispose();
      model.dispose();
    }
  },
};
