/**
 * Text-to-text tasks on an encoder-decoder model and a @tfkit/tokenizers `Tokenizer`, as Hugging
 * Face's Text2TextGenerationPipeline and its `summarization` / `translation` variants: encode (right
 * padding, truncated to what the model takes), `generate`, decode without special tokens.
 */
import { ConfigError, pipeline, type FromPretrainedOptions, type HfConfig } from '@tfkit/core-tensor';
import { fromHfGenerationConfig, generate, type GenerateOptions, type GenerationModel } from '@tfkit/generation';
import { checkTokenizerFitsModel } from '@tfkit/layers';
import { Tokenizer } from '@tfkit/tokenizers';

/** The tasks and what they return: `generatedText`, `summaryText` or `translationText`. */
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

/** A model the pipeline can drive: `generate`-able, with a position limit and (optionally) its config.json. */
export interface Text2TextModel extends GenerationModel {
  readonly config: { maxPositionEmbeddings: number; vocabSize: number };
  readonly hfConfig?: HfConfig;
  dispose?(): void;
}

export interface Text2TextPipelineOptions {
  model: Text2TextModel;
  tokenizer: Tokenizer;
}

export interface Text2TextCallOptions extends GenerateOptions {
  /** Cut inputs to what the model takes (default true); false makes an over-long input an error. */
  truncation?: boolean;
}

export class Text2TextGenerationPipeline {
  readonly task: Text2TextTask;
  readonly model: Text2TextModel;
  readonly tokenizer: Tokenizer;

  constructor(task: Text2TextTask, options: Text2TextPipelineOptions) {
    if (!(task in TEXT2TEXT_TASKS)) throw new ConfigError(`text2text pipeline: unknown task "${task}"; known: ${Object.keys(TEXT2TEXT_TASKS).join(', ')}`);
    if (typeof options?.model?.startDecoding !== 'function' || !(options.tokenizer instanceof Tokenizer)) {
      throw new ConfigError(`${task}: create({ model, tokenizer }) needs an encoder-decoder model that can generate and a Tokenizer`);
    }
    checkTokenizerFitsModel(options.tokenizer.vocabSize, options.model.config.vocabSize, task);
    this.task = task;
    this.model = options.model;
    this.tokenizer = options.tokenizer;
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
    if (!texts.length) throw new ConfigError(`${this.task}: no input text`);
    const { truncation = true, ...generateOptions } = options;
    const limits = [this.model.config.maxPositionEmbeddings, this.tokenizer.modelMaxLength].filter((n): n is number => typeof n === 'number' && n > 0);
    const encodings = this.tokenizer.encodeBatch(texts, {
      padding: 'longest', paddingSide: 'right',
      ...(truncation ? { truncation: true, maxLength: Math.min(...limits) } : { truncation: false }),
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

/** The registry's `create` for the three tasks: `{ model, tokenizer }`. */
export function createText2TextPipeline(task: Text2TextTask, options: Record<string, unknown>): Text2TextGenerationPipeline {
  return new Text2TextGenerationPipeline(task, options as unknown as Text2TextPipelineOptions);
}

/**
 * Loads a checkpoint (as BartForConditionalGeneration when it is a BART one) with the tokenizer
 * beside it (tokenizer.json, or vocab.json + merges.txt), and builds the task's pipeline from the
 * registry: the same as `pipeline(task, source, options)`.
 */
export async function loadText2TextPipeline(task: Text2TextTask, source: string, options: Omit<FromPretrainedOptions, 'architecture'>): Promise<Text2TextGenerationPipeline> {
  return (await pipeline(task, source, options)) as Text2TextGenerationPipeline;
}
