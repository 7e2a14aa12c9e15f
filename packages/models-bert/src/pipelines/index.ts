/**
 * BERT's task pipelines, registered under Hugging Face task names, and `loadPipeline`, which
 * builds one from a checkpoint directory, URL or hub id (model + tokenizer.json).
 */
import {
  AutoModel, ConfigError, loadCheckpoint, type FromPretrainedOptions, type Registry, type RegisterOptions, type TaskEntry,
} from '@tfkit/core-tensor';
import { Tokenizer } from '@tfkit/tokenizers';
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

declare module '@tfkit/core-tensor' {
  interface TaskEntries {
    'fill-mask': TaskEntry;
    'text-classification': TaskEntry;
    'token-classification': TaskEntry;
    'question-answering': TaskEntry;
    'feature-extraction': TaskEntry;
  }
}

function isPipelineOptions(options: Record<string, unknown>): options is Record<string, unknown> & PipelineOptions {
  const model = options['model'] as PipelineModel | undefined;
  return typeof model?.forward === 'function' && typeof model.config === 'object' && options['tokenizer'] instanceof Tokenizer;
}

/** Registers the five BERT task pipelines; `create({ model, tokenizer })` builds one. */
export function registerBertPipelines(registry: Registry, options: RegisterOptions = {}): void {
  for (const [task, { pipeline: Cls, description }] of Object.entries(BERT_TASKS)) {
    registry.task.register(
      task,
      {
        description,
        modelTypes: ['bert'],
        create: (createOptions) => {
          if (!isPipelineOptions(createOptions)) throw new ConfigError(`${task}: create({ model, tokenizer }) needs a loaded model and a Tokenizer`);
          return new Cls(createOptions);
        },
      },
      options,
    );
  }
}

/**
 * Loads a checkpoint as the model class `task` needs (e.g. BertForMaskedLM for fill-mask, whatever
 * the checkpoint was saved as), its `tokenizer.json`, and builds the registered pipeline.
 */
export async function loadPipeline<T extends BertTask>(
  task: T,
  source: string,
  options: Omit<FromPretrainedOptions, 'architecture'>,
): Promise<InstanceType<(typeof BERT_TASKS)[T]['pipeline']>> {
  const entry = options.registry.task.get(task);
  const checkpoint = await loadCheckpoint(source, options);
  try {
    const modelType = checkpoint.config['model_type'];
    const architecture = modelType === 'bert' ? BERT_TASKS[task].architecture : undefined;
    const model = await AutoModel.fromCheckpoint(checkpoint, { ...options, ...(architecture ? { architecture } : {}) });
    try {
      const tokenizer = await Tokenizer.fromPretrained(checkpoint.files);
      return entry.create({ model, tokenizer }) as InstanceType<(typeof BERT_TASKS)[T]['pipeline']>;
    } catch (error) {
      model.dispose();
      throw error;
    }
  } finally {
    for (const t of checkpoint.weights.values()) t.dispose();
  }
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
