/**
 * `tfkit train-lm`: trains a byte-level BPE tokenizer and a small causal language model (a GPT-2
 * unless --model-type names another family with a `causal` pretraining objective) on plain text
 * and writes a Hugging Face–style checkpoint (config.json, generation_config.json,
 * model.safetensors, tokenizer.json) that `tfkit generate --model <dir>` and Hugging Face
 * transformers load.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { HfConfig, ModelEntry, Registry } from '@tfkit/core-tensor';
import type { Tokenizer } from '@tfkit/tokenizers';
import type { CausalLm } from '../lm-training.js';
import { CliError, UsageError, type Command } from '../command.js';
import { intOption, numberOption, readTextOption, sourceOption, writableDirectory } from '../inputs.js';

const usage = `Usage: tfkit train-lm --out <dir> [--corpus <file>]... [--books <id,id>] [options]

Trains a small causal language model from scratch: first a byte-level BPE tokenizer on the text,
then the model, with AdamW, warmup + cosine decay and gradient clipping. Progress and validation
loss are printed; the checkpoint is saved at every evaluation and at the end.

Text:
  --corpus <file>         Plain UTF-8 text (.txt or .txt.gz); repeat for several files
  --books <ids>           Books of tfkit's public-domain corpus (tooling/corpus, in the tfkit
                          repository), comma-separated, e.g. austen-emma,austen-persuasion,austen-sense
Tokenizer:
  --vocab-size <n>        BPE vocabulary size, special tokens included (default 4096)
  --special-tokens <list> Extra special tokens, comma-separated (e.g. "<to-fr>,<to-de>")
  --tokenizer <dir>       Use this tokenizer.json instead of training one
Model:
  --init <dir>            Continue training this checkpoint (and its tokenizer) instead of
                          starting from scratch; the size options below are then ignored
  --model-type <type>     The family (default: the one family registered with a causal
                          pretraining objective)
  --n-layer <n>           Transformer blocks (default 4)
  --n-embd <n>            Width (default 128)
  --n-head <n>            Attention heads (default 4)
  --context <n>           Context length in tokens (default 128)
  --dropout <p>           Dropout everywhere (default 0)
  --set <key=value>       Any other config.json key of a fresh model (repeatable)
Training:
  --steps <n>             Optimizer steps (default 600)
  --batch-size <n>        Sequences per step (default 8)
  --lr <x>                Peak learning rate (default 3e-3)
  --warmup <n>            Warmup steps (default 30)
  --weight-decay <x>      AdamW weight decay on matrices (default 0.1)
  --eval-every <n>        Validate and save every n steps (default 100)
  --seed <n>              Seed for init, batches and dropout (default 0)
  --float16               Store the weights as float16 (half the size)
  --json                  Print the training summary (losses, steps, timings) as JSON
  --backend <name>        cpu, wasm, … (default: the fastest available)
`;

/** The family that trains: --model-type, else the one registered family with a causal pretraining objective. */
function causalFamily(registry: Registry, wanted: string | undefined): { modelType: string; entry: ModelEntry } {
  const offering = registry.model.keys().filter((m) => registry.model.get(m).pretraining?.objectives['causal']);
  const modelType = wanted ?? (offering.length === 1 ? offering[0] : undefined);
  if (modelType === undefined) throw new UsageError(`several families offer causal language modelling (${offering.join(', ')}): choose one with --model-type`);
  if (!offering.includes(modelType)) throw new UsageError(`--model-type ${modelType}: no causal pretraining objective registered for it; known: ${offering.join(', ') || '(none)'}`);
  return { modelType, entry: registry.model.get(modelType) };
}

/** tfkit's public-domain book corpus: part of the tfkit repository (tooling/corpus), not of the published CLI. */
async function corpusBooks(): Promise<{ id: string; text: string }[]> {
  const name = '@tfkit/corpus';
  try {
    const corpus = (await import(/* @vite-ignore */ name)) as { loadBooks(): { id: string; text: string }[] };
    return corpus.loadBooks();
  } catch (error) {
    throw new CliError(`--books needs tfkit's book corpus (${name}), which comes with the tfkit repository, not with the published CLI; pass --corpus <file> instead`, { cause: error });
  }
}

export const trainLmCommand: Command = {
  name: ['train-lm'],
  summary: 'Train a tokenizer and a small causal language model on plain text',
  usage,
  stopsOnSignal: true,
  async run(argv, ctx) {
    const { values } = parseArgs({
      args: argv,
      options: {
        out: { type: 'string' },
        corpus: { type: 'string', multiple: true },
        books: { type: 'string' },
        'vocab-size': { type: 'string' },
        'special-tokens': { type: 'string' },
        tokenizer: { type: 'string' },
        init: { type: 'string' },
        'model-type': { type: 'string' },
        set: { type: 'string', multiple: true },
        'n-layer': { type: 'string' },
        'n-embd': { type: 'string' },
        'n-head': { type: 'string' },
        context: { type: 'string' },
        dropout: { type: 'string' },
        steps: { type: 'string' },
        'batch-size': { type: 'string' },
        lr: { type: 'string' },
        warmup: { type: 'string' },
        'weight-decay': { type: 'string' },
        'eval-every': { type: 'string' },
        seed: { type: 'string' },
        float16: { type: 'boolean', default: false },
        backend: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    });
    if (!values.out) throw new UsageError('--out <dir> is required');
    if (!values.corpus?.length && !values.books) throw new UsageError('give the text with --corpus <file> or --books <ids>');
    // Every option is checked before the first minute of work.
    const nEmbd = intOption('n-embd', values['n-embd'], 1) ?? 128;
    const nHead = intOption('n-head', values['n-head'], 1) ?? 4;
    if (nEmbd % nHead !== 0) throw new UsageError(`--n-embd (${nEmbd}) must be a multiple of --n-head (${nHead})`);
    const vocabSize = intOption('vocab-size', values['vocab-size'], 1) ?? 4096;
    const nLayer = intOption('n-layer', values['n-layer'], 1) ?? 4;
    const dropout = numberOption('dropout', values.dropout, { min: 0 }) ?? 0;
    const options = {
      context: intOption('context', values.context, 1) ?? 128,
      batchSize: intOption('batch-size', values['batch-size'], 1) ?? 8,
      steps: intOption('steps', values.steps, 1) ?? 600,
      lr: numberOption('lr', values.lr, { above: 0 }) ?? 3e-3,
      warmup: intOption('warmup', values.warmup, 0) ?? 30,
      weightDecay: numberOption('weight-decay', values['weight-decay'], { min: 0 }) ?? 0.1,
      seed: intOption('seed', values.seed, 0) ?? 0,
      evalEvery: intOption('eval-every', values['eval-every'], 1) ?? 100,
      float16: values.float16,
      out: await writableDirectory('--out', values.out, ctx.io.cwd),
      signal: ctx.signal,
    };
    if (dropout >= 1) throw new UsageError(`--dropout must be below 1, got "${values.dropout}"`);
    const out = options.out;
    const init = values.init ? sourceOption('--init', values.init, ctx.io.cwd) : undefined;
    const tokenizerSource = values.tokenizer ? sourceOption('--tokenizer', values.tokenizer, ctx.io.cwd) : init;

    const { parseSettings } = await import('../training.js');
    const settings = parseSettings('--set', values.set);
    const documents: string[] = [];
    for (const file of values.corpus ?? []) documents.push(await readTextOption('--corpus', file, ctx.io.cwd));
    if (values.books) {
      const wanted = values.books.split(',').map((s) => s.trim()).filter(Boolean);
      const books = await corpusBooks();
      for (const id of wanted) {
        const book = books.find((b) => b.id === id);
        if (!book) throw new UsageError(`--books: unknown book "${id}"; known: ${books.map((b) => b.id).join(', ')}`);
        documents.push(book.text);
      }
    }
    if (documents.every((d) => d.trim() === '')) throw new CliError('the corpus is empty: give some text with --corpus <file> or --books <ids>');

    const registry = await ctx.registry();
    const [{ useBackend }, { Tokenizer }, { AutoModel, writeFileAtomic }, { tokenizeDocuments, trainLanguageModel }] = await Promise.all([
      import('@tfkit/backends'), import('@tfkit/tokenizers'), import('@tfkit/core-tensor'), import('../lm-training.js'),
    ]);
    const { modelType, entry } = causalFamily(registry, values['model-type']);
    const activation = await useBackend(registry, values.backend);
    ctx.io.stderr(`backend ${activation.backend} (${activation.threads} thread${activation.threads === 1 ? '' : 's'})\n`);

    const special = ['<|endoftext|>', ...(values['special-tokens']?.split(',').map((s) => s.trim()).filter(Boolean) ?? [])];
    let tokenizer: Tokenizer;
    if (tokenizerSource) {
      tokenizer = await Tokenizer.fromPretrained(tokenizerSource);
    } else {
      const t0 = performance.now();
      tokenizer = await Tokenizer.train({ model: 'bpe', vocabSize, specialTokens: special }, documents);
      ctx.io.stderr(`tokenizer: ${tokenizer.vocabSize} tokens, trained in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    }
    const eos = tokenizer.tokenToId('<|endoftext|>');
    if (eos === undefined) throw new CliError(`the tokenizer${tokenizerSource ? ` from ${tokenizerSource}` : ''} has no <|endoftext|> token, which separates the documents`);
    // Interrupted before training: nothing has been written, nothing is left behind.
    if (ctx.signal.aborted) return 0;
    const ids = tokenizeDocuments(tokenizer, documents, eos);
    const chars = documents.reduce((n, d) => n + d.length, 0);
    ctx.io.stderr(`corpus: ${chars} characters → ${ids.length} tokens\n`);
    if (ctx.signal.aborted) return 0;

    const pretraining = entry.pretraining as NonNullable<ModelEntry['pretraining']>;
    const architecture = (pretraining.objectives['causal'] as { architecture: string }).architecture;
    let config: HfConfig;
    let model: CausalLm;
    if (init) {
      model = (await AutoModel.fromPretrained(init, { registry, architecture })) as unknown as CausalLm;
      config = (model as unknown as { hfConfig?: HfConfig }).hfConfig ?? {};
    } else {
      const key = (name: string) => entry.attributeMap?.[name] ?? name;
      config = {
        ...pretraining.configFromTokenizer(tokenizer), model_type: modelType, architectures: [architecture],
        [key('hidden_size')]: nEmbd, [key('num_hidden_layers')]: nLayer, [key('num_attention_heads')]: nHead, [key('max_position_embeddings')]: options.context,
        ...Object.fromEntries((pretraining.dropoutKeys ?? []).map((k) => [k, dropout])),
        ...settings,
      };
      model = pretraining.createModel(config, { architecture, seed: options.seed }) as unknown as CausalLm;
    }
    const modelVocab = Number(config[entry.attributeMap?.['vocab_size'] ?? 'vocab_size']);
    const limits = { vocabSize: Number.isFinite(modelVocab) ? modelVocab : tokenizer.vocabSize, maxPositions: entry.maxPositions?.(config) };
    const result = await trainLanguageModel(tokenizer, ids, options, (line) => ctx.io.stderr(`${line}\n`), model, limits);
    if (result.steps === 0) return 0; // stopped before the first step: nothing saved
    const summary = {
      ...result, init: values.init, corpusCharacters: chars, corpusTokens: ids.length, vocabSize: tokenizer.vocabSize, backend: activation.backend,
      modelType, options: { ...options, nLayer, nEmbd, nHead, dropout, out: undefined, signal: undefined }, argv,
    };
    await writeFileAtomic(path.join(out, 'training_summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    const losses = `train loss ${result.trainLoss.toFixed(3)}, validation loss ${result.validLoss.toFixed(3)}`;
    if (result.interrupted) ctx.io.stderr(`stopped after ${result.steps} of ${options.steps} steps (${losses}); saved to ${out}\n`);
    else if (values.json) ctx.io.stdout(`${JSON.stringify({ ...summary, saved: out }, null, 2)}\n`);
    else ctx.io.stdout(`trained ${result.steps} steps in ${result.seconds.toFixed(0)} s: ${losses}; saved to ${out}\n`);
    return 0;
  },
};
