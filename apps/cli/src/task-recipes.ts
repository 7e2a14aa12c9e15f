/**
 * How `tfkit finetune` and `tfkit eval` handle each task: which class the checkpoint's family
 * loads for it (the registry's task architectures; never a family named here), the collator that
 * makes its batches (@tfkit/finetune's), and its metrics — accuracy/F1 for classification, entity
 * F1 for token classification, exact match/F1 for question answering, ROUGE for summarization and
 * translation, perplexity for causal language modelling.
 */
import * as tf from '@tensorflow/tfjs-core';
import { AutoModel, openSource, pipeline, type HfConfig, type PretrainedModel, type Registry } from '@tfkit/core-tensor';
import {
  classificationMetrics, DataCollatorForCausalLM, DataCollatorForImageClassification, DataCollatorForQuestionAnswering, DataCollatorForSeq2Seq,
  DataCollatorForTokenClassification, DataCollatorWithPadding, Dataset, defaultForward, nerMetrics, perplexityMetrics, postprocessQaPredictions,
  prepareQaTrainFeatures, rougeScores, squadMetrics, Trainer,
  type Collator, type Example, type ForwardFn, type ImageProcessorLike, type MetricsFn, type QaFeature, type QaTokenizerLike,
} from '@tfkit/finetune';
import { generate, type GenerationModel } from '@tfkit/generation';
import type { Module } from '@tfkit/layers';
import { Tokenizer } from '@tfkit/tokenizers';
import { CliError, UsageError, type CliIO } from './command.js';
import { labelSet, type FinetuneTask, type Row } from './task-data.js';
import { simpleProgress } from './training.js';

export type TaskModel = Module & PretrainedModel & { hfConfig?: HfConfig; config?: Record<string, unknown>; loadReport?: { missing?: string[] } };

/** The pipeline task whose architecture a fine-tuning task loads. */
const PIPELINE_TASK: Record<FinetuneTask, string> = {
  'text-classification': 'text-classification',
  'token-classification': 'token-classification',
  'question-answering': 'question-answering',
  summarization: 'summarization',
  translation: 'translation',
  'causal-lm': 'text-generation',
  'image-classification': 'image-classification',
};

/** PEFT's task_type, written into adapter_config.json. */
export const PEFT_TASK_TYPE: Record<FinetuneTask, string | null> = {
  'text-classification': 'SEQ_CLS',
  'token-classification': 'TOKEN_CLS',
  'question-answering': 'QUESTION_ANS',
  summarization: 'SEQ_2_SEQ_LM',
  translation: 'SEQ_2_SEQ_LM',
  'causal-lm': 'CAUSAL_LM',
  'image-classification': null,
};

/** Tasks that train a new head whose classes come from the data. */
const CLASSIFICATION: readonly FinetuneTask[] = ['text-classification', 'token-classification', 'image-classification'];

/** Hugging Face's head attributes, trained in full next to an adapter (PEFT's modules_to_save for these task types). */
const HEAD_MODULES = ['classifier', 'score', 'qa_outputs'];

export interface TaskOptions {
  registry: Registry;
  source: string;
  /** Longest input in tokens (capped by the model's positions). */
  maxLength?: number;
  /** QA: tokens shared by consecutive windows. */
  stride?: number;
  /** Training: the classes of the new head (from the data); evaluation reads the model's. */
  labels?: string[];
  /** Translation with a causal LM: the target language (its task token `<to-xx>`). */
  targetLang?: string;
  /** Generation while evaluating (summarization, translation). */
  maxNewTokens?: number;
  numBeams?: number;
  io: CliIO;
}

function taskArchitecture(registry: Registry, modelType: string, task: FinetuneTask): string {
  const pipelineTask = PIPELINE_TASK[task];
  const entry = registry.model.tryGet(modelType);
  if (!entry) throw new CliError(`model type "${modelType}" is not registered; known: ${registry.model.keys().join(', ')}`);
  const architecture = entry.taskArchitectures?.[pipelineTask] ?? registry.task.tryGet(pipelineTask)?.implementation?.(modelType)?.architecture;
  if (!architecture) {
    const served = Object.keys(entry.taskArchitectures ?? {}).join(', ');
    throw new CliError(`model type "${modelType}" has no architecture for ${task}${served ? `; it has: ${served}` : ''}`);
  }
  return architecture;
}

function padId(tokenizer: Tokenizer): number {
  return tokenizer.padTokenId ?? tokenizer.tokenToId('[PAD]') ?? tokenizer.tokenToId('<pad>') ?? tokenizer.eosTokenId ?? 0;
}

/** A tokenizer that cuts every encoding to `maxLength` tokens (special tokens kept). */
function truncating(tokenizer: Tokenizer, maxLength: number) {
  return { encode: (text: string, options: { textPair?: string } = {}) => tokenizer.encode(text, { ...options, truncation: true, maxLength }) };
}

/** Label names → ids: a class name of `names`, or an id. */
function labelIds(names: readonly string[], where: string): (label: unknown) => number {
  return (label) => {
    const byName = names.indexOf(String(label));
    if (byName >= 0) return byName;
    if (/^\d+$/.test(String(label)) && Number(label) < names.length) return Number(label);
    throw new CliError(`${where}: label ${JSON.stringify(label)} is neither a class of the model (${names.join(', ')}) nor an id`);
  };
}

/** The classes `examples` name, for a new head (token classification: every tag). */
export function dataLabels(task: FinetuneTask, ...sets: Row[][]): string[] | undefined {
  if (!CLASSIFICATION.includes(task)) return undefined;
  const values = sets.flat().flatMap((ex) => (task === 'token-classification' ? (ex['ner_tags'] as unknown[]) : [ex['label']]));
  return labelSet(values);
}

/**
 * A checkpoint loaded for one task, with what makes its batches and scores it. The model is built
 * as the family's class for the task; a new head (classes from the data) when training.
 */
export class TaskSession {
  readonly task: FinetuneTask;
  readonly model: TaskModel;
  readonly tokenizer: Tokenizer | undefined;
  readonly processor: ImageProcessorLike | undefined;
  /** Class names in id order (classification tasks). */
  labels: string[] | undefined;
  readonly maxLength: number;
  /** Translation with a causal LM: the task token put between source and target. */
  readonly taskToken: string | undefined;
  private readonly o: TaskOptions;

  private constructor(task: FinetuneTask, parts: { model: TaskModel; tokenizer?: Tokenizer; processor?: ImageProcessorLike; labels?: string[]; maxLength: number; taskToken?: string }, options: TaskOptions) {
    this.task = task;
    this.model = parts.model;
    this.tokenizer = parts.tokenizer;
    this.processor = parts.processor;
    this.labels = parts.labels;
    this.maxLength = parts.maxLength;
    this.taskToken = parts.taskToken;
    this.o = options;
  }

  /** Loads `options.source` for `task`; with `labels`, a new head for those classes. */
  static async open(task: FinetuneTask, options: TaskOptions): Promise<TaskSession> {
    const { registry, source } = options;
    const config = await (await openSource(source)).readJson<HfConfig>('config.json');
    const modelType = String(config['model_type']);
    const architecture = taskArchitecture(registry, modelType, task);
    const labels = options.labels;
    const head = labels ? { id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])), label2id: Object.fromEntries(labels.map((l, i) => [l, i])), num_labels: labels.length } : {};
    let model: TaskModel;
    let tokenizer: Tokenizer | undefined;
    let processor: ImageProcessorLike | undefined;
    if (task === 'image-classification') {
      // The image processor beside the checkpoint comes with the task's pipeline.
      const pipe = (await pipeline('image-classification', source, { registry, architecture, strict: false, configOverrides: head })) as unknown as { model: TaskModel; processor: ImageProcessorLike };
      model = pipe.model;
      processor = pipe.processor;
    } else {
      tokenizer = await Tokenizer.fromPretrained(source);
      const overrides: HfConfig = { ...head, ...(task === 'text-classification' && labels ? { pad_token_id: padId(tokenizer) } : {}) };
      model = (await AutoModel.fromPretrained(source, { registry, architecture, strict: false, configOverrides: overrides })) as unknown as TaskModel;
    }
    const positions = registry.model.get(modelType).maxPositions?.(model.hfConfig ?? config);
    const fallback = task === 'question-answering' ? 384 : 128;
    const maxLength = Math.min(options.maxLength ?? fallback, positions ?? Number.POSITIVE_INFINITY);
    const names = labels ?? (CLASSIFICATION.includes(task) ? Object.values((model.config?.['id2label'] as Record<string, string> | undefined) ?? {}) : undefined);
    let taskToken: string | undefined;
    if (task === 'translation' && !isEncoderDecoder(model)) taskToken = addTaskToken(model, tokenizer as Tokenizer, options.targetLang);
    return new TaskSession(task, { model, tokenizer, processor, labels: names, maxLength, taskToken }, options);
  }

  /**
   * Evaluation: when the data's classes are not the model's (a base model evaluated with an
   * adapter keeps the base's LABEL_0 …), reads them as tfkit finetune ordered them: sorted.
   */
  adoptDataLabels(examples: Row[]): void {
    const names = this.labels;
    const data = dataLabels(this.task, examples);
    if (!names || !data) return;
    if (data.every((l) => names.includes(l) || (/^\d+$/.test(l) && Number(l) < names.length))) return;
    this.o.io.stderr(`note: the model's labels (${names.join(', ')}) do not name the data's; using the sorted data labels ${data.join(', ')} as ids 0…${data.length - 1}\n`);
    this.labels = data;
  }

  /** The names of the weights the checkpoint lacked (a new head), for the warning and LoRA's modules_to_save. */
  get newlyInitialised(): string[] {
    return this.model.loadReport?.missing ?? [];
  }

  /** Modules trained in full next to an adapter: the task head. */
  modulesToSave(): string[] {
    const top = new Set(this.model.namedModules().map(([p]) => p));
    return HEAD_MODULES.filter((m) => top.has(m));
  }

  /** The dataset items of examples (question answering: one feature per window of the context). */
  items(examples: Row[]): Example[] {
    if (this.task === 'question-answering') return this.qaFeatures(examples) as unknown as Example[];
    if (this.taskToken !== undefined) return examples.map((ex) => ({ prompt: `${String(ex['source'])} ${this.taskToken}`, text: ` ${String(ex['target'])}` }));
    return examples;
  }

  private qaFeatures(examples: Row[]): QaFeature[] {
    return prepareQaTrainFeatures(this.tokenizer as unknown as QaTokenizerLike, examples, { maxLength: this.maxLength, stride: Math.min(this.o.stride ?? 128, Math.floor(this.maxLength / 2)) });
  }

  /** The collator of the training (and loss) batches. */
  async collator(): Promise<Collator<Example>> {
    const tokenizer = this.tokenizer as Tokenizer;
    const where = 'the data';
    switch (this.task) {
      case 'text-classification':
        return new DataCollatorWithPadding<Example>({ tokenizer, padTokenId: padId(tokenizer), textPairColumn: 'text_pair', maxLength: this.maxLength, labelToId: labelIds(this.labels ?? [], where) }).collate;
      case 'token-classification':
        return new DataCollatorForTokenClassification<Example>({ tokenizer, padTokenId: padId(tokenizer), labelToId: labelIds(this.labels ?? [], where), maxLength: this.maxLength }).collate;
      case 'question-answering':
        return new DataCollatorForQuestionAnswering({ padTokenId: padId(tokenizer) }).collate as unknown as Collator<Example>;
      case 'summarization':
      case 'translation':
        if (this.taskToken === undefined) {
          const config = this.model.config as { padTokenId: number; decoderStartTokenId: number };
          return new DataCollatorForSeq2Seq<Example>({ model: { config }, tokenizer: truncating(tokenizer, this.maxLength) }).collate;
        }
        return new DataCollatorForCausalLM<Example>({ tokenizer, padTokenId: padId(tokenizer), promptColumn: 'prompt', eosTokenId: tokenizer.eosTokenId, maxLength: this.maxLength }).collate;
      case 'causal-lm':
        return new DataCollatorForCausalLM<Example>({ tokenizer, padTokenId: padId(tokenizer), eosTokenId: tokenizer.eosTokenId, maxLength: this.maxLength }).collate;
      case 'image-classification':
        return (await DataCollatorForImageClassification.create<Example>({ processor: this.processor as ImageProcessorLike, labelToId: labelIds(this.labels ?? [], where) })).collate;
    }
  }

  /** Generative tasks score the loss only while training: the logits of every position are never gathered. */
  get forward(): ForwardFn | undefined {
    return ['summarization', 'translation', 'causal-lm', 'question-answering'].includes(this.task) ? (model, batch) => ({ loss: defaultForward(model, batch).loss }) : undefined;
  }

  /** Metrics the Trainer computes from predictions while training. */
  get trainingMetrics(): MetricsFn | undefined {
    if (this.task === 'text-classification' || this.task === 'image-classification') return classificationMetrics();
    if (this.task === 'token-classification') return nerMetrics(this.labels ?? []);
    if (this.task === 'causal-lm') return perplexityMetrics();
    return undefined;
  }

  /**
   * The task's metrics on `examples` (`eval_loss` and the task's own), with a progress bar. `model`
   * is what runs the batches: the session's model, or an adapter wrapped around it.
   */
  async evaluate(examples: Row[], model: Module = this.model, batchSize = 16): Promise<Record<string, number>> {
    const items = this.items(examples);
    const collate = await this.collator();
    const progress = simpleProgress(this.o.io, 'evaluating', items.length);
    let done = 0;
    const counting: Collator<Example> = (batch) => {
      const out = collate(batch);
      done += batch.length;
      progress.tick(done);
      return out;
    };
    // Question answering scores every window's logits itself (its batches have positions, not labels).
    if (this.task === 'question-answering') {
      const metrics = await this.squad(examples, items as unknown as QaFeature[], model, batchSize, progress);
      progress.end();
      return metrics;
    }
    const trainer = new Trainer<Example>({ model, collator: counting, evalBatchSize: batchSize, metrics: this.trainingMetrics, ...(this.forward ? { forward: this.forward } : {}) });
    try {
      const metrics = await trainer.evaluate(Dataset.fromArray(items));
      progress.end();
      if (this.task === 'summarization' || this.task === 'translation') Object.assign(metrics, await this.rouge(examples, batchSize));
      return metrics;
    } finally {
      trainer.optimizer.dispose();
    }
  }

  /**
   * The loss (mean over windows, each batch weighted by its size, as the Trainer's) and exact match
   * and F1 (SQuAD, 0…1) of the answers post-processed from every window's logits.
   */
  private async squad(examples: Row[], features: QaFeature[], model: Module, batchSize: number, progress: { tick(n: number): void }): Promise<Record<string, number>> {
    const collate = new DataCollatorForQuestionAnswering({ padTokenId: padId(this.tokenizer as Tokenizer) }).collate;
    const starts: number[][] = [];
    const ends: number[][] = [];
    let lossSum = 0;
    const wasTraining = model.training;
    model.eval();
    try {
      for (let i = 0; i < features.length; i += batchSize) {
        const chunk = features.slice(i, i + batchSize);
        const batch = collate(chunk);
        try {
          const [s, e, loss] = tf.tidy(() => {
            const out = (model as unknown as { forward(b: object): { startLogits: tf.Tensor; endLogits: tf.Tensor; loss: tf.Tensor } }).forward(batch);
            return [out.startLogits, out.endLogits, out.loss];
          });
          starts.push(...(s.arraySync() as number[][]));
          ends.push(...(e.arraySync() as number[][]));
          lossSum += (loss.dataSync()[0] as number) * chunk.length;
          tf.dispose([s, e, loss]);
        } finally {
          tf.dispose(Object.values(batch));
        }
        progress.tick(Math.min(features.length, i + batchSize));
      }
    } finally {
      model.train(wasTraining);
    }
    const predictions = postprocessQaPredictions(examples, features, starts, ends).map((p) => p.prediction);
    const golds = examples.map((ex) => ((ex['answers'] as { text: string[] }).text.length ? (ex['answers'] as { text: string[] }).text : ['']));
    const { exactMatch, f1 } = squadMetrics(predictions, golds);
    return { eval_loss: lossSum / features.length, eval_exact_match: exactMatch, eval_f1: f1 };
  }

  /** ROUGE-1/2/L (0…1) of generated outputs against the targets. */
  private async rouge(examples: Row[], batchSize: number): Promise<Record<string, number>> {
    const tokenizer = this.tokenizer as Tokenizer;
    const model = this.model as unknown as GenerationModel;
    const outputs: string[] = [];
    const progress = simpleProgress(this.o.io, 'generating', examples.length);
    const wasTraining = this.model.training;
    this.model.eval();
    try {
      for (let i = 0; i < examples.length; i += batchSize) {
        const sources = examples.slice(i, i + batchSize).map((ex) => String(ex['source']));
        const options = { maxNewTokens: this.o.maxNewTokens ?? 64, numBeams: this.o.numBeams ?? 1, doSample: false, registry: this.o.registry };
        if (this.taskToken !== undefined) {
          const prompts = sources.map((s) => tokenizer.encode(`${s} ${this.taskToken}`, { addSpecialTokens: false }).ids.slice(-(this.maxLength - 1)));
          const room = Math.max(1, this.maxLength - Math.max(...prompts.map((p) => p.length)));
          const out = await generate(model, prompts, { ...options, maxNewTokens: Math.min(options.maxNewTokens, room) });
          outputs.push(...out.sequences.map((seq) => tokenizer.decode(seq.slice(out.prefixLength), { skipSpecialTokens: true }).trim()));
        } else {
          const enc = tokenizer.encodeBatch(sources, { padding: 'longest', paddingSide: 'right', truncation: true, maxLength: this.maxLength });
          const out = await generate(model, enc.map((e) => e.ids), { ...options, attentionMask: enc.map((e) => e.attentionMask) });
          outputs.push(...out.sequences.map((seq) => tokenizer.decode(seq, { skipSpecialTokens: true }).trim()));
        }
        progress.tick(outputs.length);
      }
    } finally {
      this.model.train(wasTraining);
      progress.end();
    }
    const { rouge1, rouge2, rougeL } = rougeScores(outputs, examples.map((ex) => String(ex['target'])));
    return { eval_rouge1: rouge1, eval_rouge2: rouge2, eval_rougeL: rougeL };
  }

  /** Saves the tokenizer (or image processor files) beside a model saved to `dir`. */
  async savePreprocessor(dir: string): Promise<void> {
    if (this.tokenizer) await this.tokenizer.savePretrained(dir);
    const files = await openSource(this.o.source);
    for (const name of ['preprocessor_config.json']) {
      if (await files.exists(name)) {
        const fs = await import('node:fs/promises');
        const path = await import('node:path');
        await fs.writeFile(path.join(dir, name), await files.readText(name));
      }
    }
  }

  dispose(): void {
    this.model.dispose();
  }
}

function isEncoderDecoder(model: TaskModel): boolean {
  return typeof model.config?.['decoderStartTokenId'] === 'number';
}

/**
 * Translation with a causal LM learns `source <to-xx> target`: the target language's task token
 * joins the tokenizer (and the embeddings grow) when it is new.
 */
function addTaskToken(model: TaskModel, tokenizer: Tokenizer, targetLang: string | undefined): string {
  if (!targetLang) throw new UsageError('--target-lang is required to train a causal language model to translate (it learns "source <to-xx> target" task prompts)');
  const token = `<to-${targetLang}>`;
  if (tokenizer.tokenToId(token) === undefined) {
    tokenizer.addTokens([token], true);
    const resize = (model as unknown as { resizeTokenEmbeddings?: (n: number) => void }).resizeTokenEmbeddings;
    const vocab = Number(model.config?.['vocabSize']);
    if (tokenizer.vocabSize > vocab) {
      if (typeof resize !== 'function') throw new CliError(`the model cannot grow its embeddings for the new task token ${token}; add it to the tokenizer and the model first`);
      resize.call(model, tokenizer.vocabSize);
    }
  }
  return token;
}
