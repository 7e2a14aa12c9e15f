/**
 * Text-to-text tasks on any encoder-decoder model `generate` can drive (BART, the Transformer, the
 * recurrent encoder-decoder), as Hugging Face's Text2TextGenerationPipeline and its `summarization`
 * / `translation` variants: encode (right padding, truncated to what the model takes), `generate`,
 * decode without special tokens. The tokenizer is structurally typed (`@tfkit/tokenizers`'
 * `Tokenizer` fits), so this package needs none; a family registers the tasks with its own limits.
 */
import { checkTokenizerFitsModel, ConfigError, pipeline, type FromPretrainedOptions, type HfConfig, type TaskEntry } from '@tfkit/core-tensor';
import { generate, type GenerateOptions } from './generate.js';
import { fromHfGenerationConfig } from './generation-config.js';
import type { GenerationModel } from './model.js';

/* These tasks produce a Text2TextGenerationPipeline, whichever family serves them. */
declare module '@tfkit/core-tensor' {
  interface TaskEntries {
    summarization: TaskEntry<Text2TextGenerationPipeline>;
    translation: TaskEntry<Text2TextGenerationPipeline>;
    'text2text-generation': TaskEntry<Text2TextGenerationPipeline>;
  }
}

/** The tasks and what they do; results carry `generatedText`, `summaryText` or `translationText`. */
export const TEXT2TEXT_TASKS = {
  'text2text-generation': 'Generates text from text with an encoder-decoder model',
  summarization: 'Summarizes a document with an encoder-decoder model',
  translation: 'Translates text with an encoder-decoder model',
} as const;

export type Text2TextTask = keyof typeof TEXT2TEXT_TASKS;

/** One output text, under the task's name (Hugging Face's `generated_text`, `summary_text`, `translation_text`). */
export interface Text2TextResult {
  generatedText?: string;
  summaryText?: string;
  translationText?: string;
}

const RESULT_KEY = {
  'text2text-generation': 'generatedText',
  summarization: 'summaryText',
  translation: 'translationText',
} as const satisfies Record<Text2TextTask, keyof Text2TextResult>;

/**
 * A model the pipeline can drive: `generate`-able, with (optionally) its config.json and the
 * limits a config names the Hugging Face way (`maxPositionEmbeddings`, `vocabSize`).
 */
export interface Text2TextModel extends GenerationModel {
  readonly config?: { maxPositionEmbeddings?: number; vocabSize?: number };
  readonly hfConfig?: HfConfig;
  dispose?(): void;
}

/** What the pipeline needs of a tokenizer. */
export interface Text2TextTokenizer {
  /** Ids the tokenizer can produce (added tokens included). */
  readonly vocabSize: number;
  readonly modelMaxLength?: number | undefined;
  encodeBatch(
    texts: string[],
    options: { padding: 'longest'; paddingSide: 'right'; truncation: boolean; maxLength?: number },
  ): { ids: number[]; attentionMask: number[] }[];
  decode(ids: number[], options?: { skipSpecialTokens?: boolean }): string;
}

export interface Text2TextPipelineOptions {
  model: Text2TextModel;
  tokenizer: Text2TextTokenizer;
  /** Rows of the encoder's token table (default `model.config.vocabSize`); the tokenizer must not exceed it. */
  inputVocabSize?: number;
  /** Input tokens the encoder takes (default `model.config.maxPositionEmbeddings`; none for a recurrent encoder). */
  maxInputLength?: number;
}

export interface Text2TextCallOptions extends GenerateOptions {
  /** Cut inputs to what the model takes (default true); false makes an over-long input an error. */
  truncation?: boolean;
}

const positive = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n > 0;

export class Text2TextGenerationPipeline {
  readonly task: Text2TextTask;
  readonly model: Text2TextModel;
  readonly tokenizer: Text2TextTokenizer;
  /** The longest input the encoder takes, or undefined when it takes any length. */
  readonly maxInputLength: number | undefined;

  constructor(task: Text2TextTask, options: Text2TextPipelineOptions) {
    if (!Object.hasOwn(TEXT2TEXT_TASKS, task)) throw new ConfigError(`text2text pipeline: unknown task "${task}"; known: ${Object.keys(TEXT2TEXT_TASKS).join(', ')}`);
    const tokenizer = options?.tokenizer;
    if (typeof options?.model?.startDecoding !== 'function' || typeof tokenizer?.encodeBatch !== 'function' || typeof tokenizer.decode !== 'function') {
      throw new ConfigError(`${task}: create({ model, tokenizer }) needs an encoder-decoder model that can generate and a Tokenizer`);
    }
    const vocab = options.inputVocabSize ?? options.model.config?.vocabSize;
    if (positive(vocab)) checkTokenizerFitsModel(tokenizer.vocabSize, vocab, task);
    const limits = [options.maxInputLength ?? options.model.config?.maxPositionEmbeddings, tokenizer.modelMaxLength].filter(positive);
    this.task = task;
    this.model = options.model;
    this.tokenizer = tokenizer;
    this.maxInputLength = limits.length ? Math.min(...limits) : undefined;
  }

  /**
   * Generation settings for this task from config.json's `task_specific_params` (bart-large-cnn
   * keeps its beam size and lengths there); call options override them.
   */
  get taskDefaults(): GenerateOptions {
    const params = this.model.hfConfig?.['task_specific_params'] as Record<string, HfConfig> | undefined;
    const own = params?.[this.task];
    return own && typeof own === 'object' ? fromHfGenerationConfig(own) : {};
  }

  /** One list of `numReturnSequences` results per input text. */
  async call(text: string, options?: Text2TextCallOptions): Promise<Text2TextResult[]>;
  async call(texts: string[], options?: Text2TextCallOptions): Promise<Text2TextResult[][]>;
  async call(input: string | string[], options: Text2TextCallOptions = {}): Promise<Text2TextResult[] | Text2TextResult[][]> {
    const texts = typeof input === 'string' ? [input] : input;
    if (!Array.isArray(texts) || !texts.length) throw new ConfigError(`${this.task}: no input text`);
    const { truncation = true, ...generateOptions } = options;
    const max = this.maxInputLength;
    const encodings = this.tokenizer.encodeBatch(texts, {
      padding: 'longest', paddingSide: 'right',
      ...(truncation && max !== undefined ? { truncation: true, maxLength: max } : { truncation: false }),
    });
    const out = await generate(this.model, encodings.map((e) => e.ids), {
      ...this.taskDefaults,
      attentionMask: encodings.map((e) => e.attentionMask),
      tokenizer: this.tokenizer,
      ...generateOptions,
    });
    const key = RESULT_KEY[this.task];
    const perInput = out.sequences.length / texts.length;
    const results = texts.map((_, i) => out.sequences.slice(i * perInput, (i + 1) * perInput).map((ids) => ({
      [key]: this.tokenizer.decode(ids, { skipSpecialTokens: true }),
    })));
    return typeof input === 'string' ? (results[0] as Text2TextResult[]) : results;
  }

  dispose(): void {
    this.model.dispose?.();
  }
}

/**
 * The registry's `create` for the three tasks: `{ model, tokenizer }` and the limits the family
 * reads from its config (`limits(model)`; default: the model's `config.vocabSize` and
 * `config.maxPositionEmbeddings`).
 */
export function createText2TextPipeline(
  task: Text2TextTask,
  parts: Record<string, unknown>,
  limits?: (model: Text2TextModel) => Pick<Text2TextPipelineOptions, 'inputVocabSize' | 'maxInputLength'>,
): Text2TextGenerationPipeline {
  const options = parts as unknown as Text2TextPipelineOptions;
  return new Text2TextGenerationPipeline(task, { ...options, ...(limits && options?.model ? limits(options.model) : {}) });
}

/**
 * Loads an encoder-decoder checkpoint with the tokenizer beside it (tokenizer.json, or vocab.json
 * + merges.txt) and builds the task's pipeline from the registry: the same as
 * `pipeline(task, source, options)`.
 */
export async function loadText2TextPipeline(task: Text2TextTask, source: string, options: Omit<FromPretrainedOptions, 'architecture'>): Promise<Text2TextGenerationPipeline> {
  return (await pipeline(task, source, options)) as Text2TextGenerationPipeline;
}
