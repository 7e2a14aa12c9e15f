/**
 * BERT's task pipelines, registered per (task, model type) with `registerTask`, and
 * `loadPipeline`, which builds one from a checkpoint directory, URL or hub id (model +
 * tokenizer.json) through `pipeline()`.
 */
import {
  ConfigError, pipeline, registerTask, type FromPretrainedOptions, type Registry, type RegisterOptions, type TaskEntry, type TaskImplementation, type TaskParts,
} from '@tfkit/core-tensor';
import { loadTokenizerPart, Tokenizer } from '@tfkit/tokenizers';
import type { PipelineModel, PipelineOptions } from './common.js';
import { FeatureExtractionPipeline } from './feature-extraction.js';
import { FillMaskPipeline } from './fill-mask.js';
import { QuestionAnsweringPipeline } from './question-answering.js';
import { TextClassificationPipeline } from './text-classification.js';
import { TokenClassificationPipeline } from './token-classification.js';

/** Pipeline class, and the BERT class a checkpoint is loaded as, per task (Hugging Face's AutoModelFor… choice). */
export const BERT_TASKS = {
  'fill-mask': { pipeline: FillMaskPipeline, architecture: 'BertForMaskedLM', description: 'Most likely tokens for each [MASK], with scores' },
  'text-classification': { pipeline: TextClassificationPipeline, architecture: 'BertForSequenceClassification', description: 'Labels of a text (or text pair) with scores' },
  'token-classification': { pipeline: TokenClassificationPipeline, architecture: 'BertForTokenClassification', description: 'Named entities / token labels with character spans' },
  'question-answering': { pipeline: QuestionAnsweringPipeline, architecture: 'BertForQuestionAnswering', description: 'Answer span of a context, with sliding windows' },
  'feature-extraction': { pipeline: FeatureExtractionPipeline, architecture: 'BertModel', description: 'Hidden states, mean- or CLS-pooled embeddings' },
} as const;

export type BertTask = keyof typeof BERT_TASKS;
export type BertPipeline = InstanceType<(typeof BERT_TASKS)[BertTask]['pipeline']>;

/* These tasks produce these pipeline classes, whichever family serves them. */
declare module '@tfkit/core-tensor' {
  interface TaskEntries {
    'fill-mask': TaskEntry<FillMaskPipeline>;
    'text-classification': TaskEntry<TextClassificationPipeline>;
    'token-classification': TaskEntry<TokenClassificationPipeline>;
    'question-answering': TaskEntry<QuestionAnsweringPipeline>;
    'feature-extraction': TaskEntry<FeatureExtractionPipeline>;
  }
}

function pipelineOptions(task: string, parts: TaskParts): PipelineOptions {
  const model = parts.model as unknown as PipelineModel;
  if (typeof model?.forward !== 'function' || typeof model.config !== 'object' || !(parts['tokenizer'] instanceof Tokenizer)) {
    throw new ConfigError(`${task}: create({ model, tokenizer }) needs a loaded model and a Tokenizer`);
  }
  return { model, tokenizer: parts['tokenizer'] };
}

/**
 * Registers BERT's five task pipelines for model type `bert`; `create({ model, tokenizer })` builds
 * one. The class each task loads comes from the family's `taskArchitectures` (BERT_TASKS).
 */
export function registerBertPipelines(registry: Registry, options: RegisterOptions = {}): void {
  const impl = <P>(task: BertTask, make: (o: PipelineOptions) => P): TaskImplementation<P> => ({
    loadPreprocessor: loadTokenizerPart,
    create: (parts) => make(pipelineOptions(task, parts)),
  });
  const described = (task: BertTask) => ({ ...options, description: BERT_TASKS[task].description });
  registerTask(registry, 'fill-mask', 'bert', impl('fill-mask', (o) => new FillMaskPipeline(o)), described('fill-mask'));
  registerTask(registry, 'text-classification', 'bert', impl('text-classification', (o) => new TextClassificationPipeline(o)), described('text-classification'));
  registerTask(registry, 'token-classification', 'bert', impl('token-classification', (o) => new TokenClassificationPipeline(o)), described('token-classification'));
  registerTask(registry, 'question-answering', 'bert', impl('question-answering', (o) => new QuestionAnsweringPipeline(o)), described('question-answering'));
  registerTask(registry, 'feature-extraction', 'bert', impl('feature-extraction', (o) => new FeatureExtractionPipeline(o)), described('feature-extraction'));
}

/**
 * Loads a checkpoint as the model class `task` needs (e.g. BertForMaskedLM for fill-mask, whatever
 * the checkpoint was saved as), its `tokenizer.json`, and builds the registered pipeline: the same
 * as `pipeline(task, source, options)`.
 */
export async function loadPipeline<T extends BertTask>(
  task: T,
  source: string,
  options: Omit<FromPretrainedOptions, 'architecture'>,
): Promise<InstanceType<(typeof BERT_TASKS)[T]['pipeline']>> {
  return (await pipeline(task, source, options)) as InstanceType<(typeof BERT_TASKS)[T]['pipeline']>;
}

export { FillMaskPipeline, type FillMaskCandidate, type FillMaskOptions, type FillMaskResult } from './fill-mask.js';
export {
  TextClassificationPipeline, classifierFunction,
  type ClassificationInput, type ClassifierFunction, type LabelScore, type TextClassificationOptions,
} from './text-classification.js';
export {
  TokenClassificationPipeline, type AggregationStrategy, type EntityGroup, type TokenClassificationOptions, type TokenEntity,
} from './token-classification.js';
export {
  QuestionAnsweringPipeline, type QuestionAnsweringAnswer, type QuestionAnsweringInput, type QuestionAnsweringOptions,
} from './question-answering.js';
export { FeatureExtractionPipeline, type FeatureExtractionOptions, type Pooling } from './feature-extraction.js';
export { Pipeline, type PipelineModel, type PipelineOptions } from './common.js';
