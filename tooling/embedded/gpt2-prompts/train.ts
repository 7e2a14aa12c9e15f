/**
 * Trains the embedded task-prompt GPT-2 (packages/all/assets/tiny-gpt2-prompts): the Austen
 * tiny-gpt2 with the task tokens `<to-fr>` and `<summarize>` added to its tokenizer and its
 * embeddings resized, fine-tuned with tfkit's Trainer (tfjs-backend-wasm) on prompt/answer pairs in
 * the format the `translation` pipeline for causal LMs uses: `source <to-fr>` → ` target<eos>` and
 * `passage <summarize>` → ` key sentence<eos>` (the prompt left out of the loss). Data: the shared
 * readers of tooling/embedded/data (FreeDict English→French phrase pairs; key sentences of passages
 * of the public-domain corpus). Held-out metrics against copy / lead baselines are computed in the
 * same run. From the repository root:
 *
 *   nice -n 10 node --import ./tooling/embedded/hooks.mjs tooling/embedded/gpt2-prompts/train.ts \
 *     --out packages/all/assets/tiny-gpt2-prompts
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { registerAllBackends, useBackend } from '@tfkit/backends';
import { createRegistry, Random } from '@tfkit/core-tensor';
import { DataCollatorForCausalLM, Dataset, Trainer } from '@tfkit/finetune';
import { generate } from '@tfkit/generation';
import { GPT2LMHeadModel } from '@tfkit/models-gpt';
import { Tokenizer } from '@tfkit/tokenizers';
import { convertToFloat16 } from '../../../apps/cli/src/lm-training.js';
import { loadKeySentenceExamples, loadKeySentenceTrainingSet, loadPhrasePairs } from '../data/index.js';
import { chrF, exactMatchRate, meanRougeL } from '../metrics.js';

const { values: args } = parseArgs({
  options: {
    base: { type: 'string', default: 'packages/all/assets/tiny-gpt2' },
    out: { type: 'string', default: 'packages/all/assets/tiny-gpt2-prompts' },
    epochs: { type: 'string', default: '2' },
    'max-steps': { type: 'string' },
    lr: { type: 'string', default: '1e-3' },
    seed: { type: 'string', default: '0' },
    'eval-limit': { type: 'string' },
    threads: { type: 'string' },
    /**
     * Key-sentence training passages (tooling/embedded/data, `loadKeySentenceTrainingSet`): 'plain' = the task's
     * 2,007 train passages; 'windows' = every run of three sentences of training paragraphs; 'orders' = those
     * windows in each of their six sentence orders.
     */
    'key-sentences': { type: 'string', default: 'plain' },
    /** How many times each epoch goes over the translation pairs (each time in new, seeded batches). */
    'translation-repeats': { type: 'string', default: '1' },
    /** Score the model already in --out on --split, without training (to compare runs on 'valid'). */
    'eval-only': { type: 'boolean', default: false },
    split: { type: 'string', default: 'test' },
  },
});
const seed = Number(args.seed);
const evalSplit = args.split as 'valid' | 'test';
if (evalSplit !== 'valid' && evalSplit !== 'test') throw new Error(`--split must be valid or test, got ${JSON.stringify(args.split)}`);
const keySentences = args['key-sentences'] as 'plain' | 'windows' | 'orders';
if (!['plain', 'windows', 'orders'].includes(keySentences)) throw new Error(`--key-sentences must be plain, windows or orders, got ${JSON.stringify(keySentences)}`);
const translationRepeats = Number(args['translation-repeats']);
if (!Number.isInteger(translationRepeats) || translationRepeats < 1) throw new Error(`--translation-repeats must be a positive integer, got ${JSON.stringify(args['translation-repeats'])}`);
const TRANSLATE = '<to-fr>';
const SUMMARIZE = '<summarize>';
const EOS = 0; // <|endoftext|>
const MAX_POSITIONS = 128;

interface Pair { prompt: string; text: string; task: 'translate' | 'summarize'; reference: string }
/** One Trainer example is a batch of pairs of one task (similar lengths: little padding). */
interface Bucket { pairs: Pair[] }

function buckets(pairs: Pair[], size: number, rng: Random): Bucket[] {
  const shuffled = rng.shuffle([...pairs]);
  const out: Bucket[] = [];
  for (let i = 0; i < shuffled.length; i += size) out.push({ pairs: shuffled.slice(i, i + size) });
  return out;
}

async function main(): Promise<void> {
  const registry = createRegistry();
  registerAllBackends(registry);
  const backend = await useBackend(registry, 'wasm', args.threads ? { threads: Number(args.threads) } : {});
  console.log(`backend ${backend.backend}, ${backend.threads} thread(s)`);

  const tokenizer = await Tokenizer.fromPretrained(args.base);
  const baseVocab = tokenizer.vocabSize;
  tokenizer.addTokens([TRANSLATE, SUMMARIZE], true);
  const model = await GPT2LMHeadModel.fromPretrained(args.base);
  model.resizeTokenEmbeddings(tokenizer.vocabSize, { seed });
  console.log(`vocabulary ${baseVocab} → ${tokenizer.vocabSize}: ${TRANSLATE} = ${tokenizer.tokenToId(TRANSLATE)}, ${SUMMARIZE} = ${tokenizer.tokenToId(SUMMARIZE)}`);

  const fits = (p: Pair) => tokenizer.encode(p.prompt).ids.length + tokenizer.encode(p.text).ids.length + 1 <= MAX_POSITIONS;
  const translation = (split: 'train' | 'valid' | 'test'): Pair[] => loadPhrasePairs({ split }).map((p) => ({ prompt: `${p.source} ${TRANSLATE}`, text: ` ${p.target}`, task: 'translate' as const, reference: p.target, source: p.source }));
  const summaries = (split: 'train' | 'valid' | 'test') => loadKeySentenceExamples({ split }).map((e) => ({
    pair: { prompt: `${e.source} ${SUMMARIZE}`, text: ` ${e.target}`, task: 'summarize' as const, reference: e.target } satisfies Pair,
    example: e,
  }));
  const trTrain = translation('train');
  const trTest = translation(evalSplit);
  const suTrainAll = keySentences === 'plain' ? summaries('train') : loadKeySentenceTrainingSet({ windows: true, orders: keySentences === 'orders' }).map((e) => ({
    pair: { prompt: `${e.source} ${SUMMARIZE}`, text: ` ${e.target}`, task: 'summarize' as const, reference: e.target } satisfies Pair,
    example: e,
  }));
  const suTestAll = summaries(evalSplit);
  const suTrain = suTrainAll.filter((s) => fits(s.pair)).map((s) => s.pair);
  // Test passages that do not fit the 128 positions with their answer are left out, for the model and the baselines alike.
  const suTest = suTestAll.filter((s) => fits(s.pair));
  console.log(`translation: ${trTrain.length} train, ${trTest.length} test; key sentence: ${suTrain.length}/${suTrainAll.length} train and ${suTest.length}/${suTestAll.length} test fit ${MAX_POSITIONS} positions`);

  let trained: { data: number; steps: number; seconds: number; loss: number; logHistory: unknown } | undefined;
  if (!args['eval-only']) {
    const rng = new Random(seed);
    const data: Bucket[] = [];
    for (let r = 0; r < translationRepeats; r++) data.push(...buckets(trTrain, 32, rng));
    data.push(...buckets(suTrain, 8, rng));
    const collator = new DataCollatorForCausalLM({ tokenizer, padTokenId: EOS, eosTokenId: EOS, promptColumn: 'prompt', textColumn: 'text', maxLength: MAX_POSITIONS });
    const trainer = new Trainer<Bucket>({
      model,
      trainDataset: Dataset.fromArray(data),
      collator: (batch) => collator.collate((batch[0] as Bucket).pairs as never),
      batchSize: 1,
      learningRate: Number(args.lr),
      weightDecay: 0.01,
      scheduler: 'cosine',
      warmupRatio: 0.03,
      epochs: Number(args.epochs),
      ...(args['max-steps'] ? { maxSteps: Number(args['max-steps']) } : {}),
      logEvery: 25,
      seed,
      callbacks: [{ onLog: (_state, entry) => { console.log(JSON.stringify(entry)); } }],
    });
    const started = performance.now();
    const result = await trainer.train();
    const seconds = (performance.now() - started) / 1000;
    console.log(`trained: ${result.globalStep} steps in ${seconds.toFixed(0)} s, mean loss ${result.trainingLoss.toFixed(3)}`);

    fs.mkdirSync(args.out, { recursive: true });
    await model.savePretrained(args.out);
    await tokenizer.savePretrained(args.out);
    await convertToFloat16(args.out);
    trained = { data: data.length, steps: result.globalStep, seconds, loss: result.trainingLoss, logHistory: result.logHistory };
  }
  model.dispose();

  // Evaluate what ships: the float16 checkpoint, loaded back, greedy decoding.
  const shipped = await GPT2LMHeadModel.fromPretrained(args.out);
  const shippedTokenizer = await Tokenizer.fromPretrained(args.out);
  const limit = args['eval-limit'] ? Number(args['eval-limit']) : Infinity;
  const complete = async (prompts: string[], maxNewTokens: number): Promise<string[]> => {
    const out: string[] = [];
    for (let i = 0; i < prompts.length; i += 32) {
      const ids = prompts.slice(i, i + 32).map((p) => shippedTokenizer.encode(p).ids);
      const longest = Math.max(...ids.map((r) => r.length));
      const gen = await generate(shipped, ids, { maxNewTokens: Math.min(maxNewTokens, MAX_POSITIONS - longest), doSample: false, padTokenId: EOS, eosTokenId: EOS });
      out.push(...gen.sequences.map((s) => shippedTokenizer.decode(s.slice(gen.prefixLength), { skipSpecialTokens: true }).trim()));
    }
    return out;
  };
  const trEval = trTest.slice(0, limit);
  const trHyp = await complete(trEval.map((p) => p.prompt), 16);
  const trRef = trEval.map((p) => p.reference);
  const trCopy = trEval.map((p) => (p as Pair & { source: string }).source);
  const suEval = suTest.slice(0, limit);
  const suHyp = await complete(suEval.map((s) => s.pair.prompt), 64);
  const suRef = suEval.map((s) => s.example.target);
  const suLead = suEval.map((s) => s.example.lead);
  const suCopy = suEval.map((s) => s.example.source);
  shipped.dispose();

  const metrics = {
    translation: {
      test: trEval.length,
      model: { exactMatch: exactMatchRate(trHyp, trRef), chrF: chrF(trHyp, trRef) },
      copyBaseline: { exactMatch: exactMatchRate(trCopy, trRef), chrF: chrF(trCopy, trRef) },
      samples: trEval.slice(0, 12).map((p, i) => ({ source: (p as Pair & { source: string }).source, reference: p.reference, output: trHyp[i] })),
    },
    keySentence: {
      test: suEval.length,
      model: { exactMatch: exactMatchRate(suHyp, suRef), rougeL: meanRougeL(suHyp, suRef) },
      leadBaseline: { exactMatch: exactMatchRate(suLead, suRef), rougeL: meanRougeL(suLead, suRef) },
      copyBaseline: { exactMatch: exactMatchRate(suCopy, suRef), rougeL: meanRougeL(suCopy, suRef) },
      samples: suEval.slice(0, 3).map((s, i) => ({ passage: s.example.source, reference: s.example.target, output: suHyp[i] })),
    },
  };
  console.log(JSON.stringify({ split: evalSplit, ...metrics }, null, 2));
  // The run's summary keeps test metrics under `metrics` and validation metrics under `validation`; a
  // later `--eval-only` run adds its split's to the summary of the folder it scored.
  const metricsKey = evalSplit === 'test' ? 'metrics' : 'validation';
  const summaryFile = path.join(args.out, 'training_summary.json');
  if (!trained) {
    if (fs.existsSync(summaryFile)) {
      const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8')) as Record<string, unknown>;
      fs.writeFileSync(summaryFile, `${JSON.stringify({ ...summary, [metricsKey]: metrics }, null, 2)}\n`);
    }
    return;
  }
  const summary = {
    command: process.argv.slice(2).join(' '),
    base: args.base,
    addedTokens: { [TRANSLATE]: tokenizer.tokenToId(TRANSLATE), [SUMMARIZE]: tokenizer.tokenToId(SUMMARIZE) },
    data: { translationTrain: trTrain.length, translationRepeats, keySentences, keySentenceTrain: suTrain.length, buckets: trained.data, bucketSizes: { translate: 32, summarize: 8 } },
    training: { epochs: Number(args.epochs), steps: trained.steps, learningRate: Number(args.lr), weightDecay: 0.01, scheduler: 'cosine', warmupRatio: 0.03, seed, seconds: Math.round(trained.seconds), trainingLoss: trained.loss },
    [metricsKey]: metrics,
    logHistory: trained.logHistory,
  };
  fs.writeFileSync(summaryFile, `${JSON.stringify(summary, null, 2)}\n`);
}

await main();
