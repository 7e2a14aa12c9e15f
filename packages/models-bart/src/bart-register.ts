/**
 * `registerBart(registry)`: model_type `bart` with each architecture by its Hugging Face class name,
 * and the `summarization`, `translation` and `text2text-generation` tasks.
 */
import type { ModelArchitecture, ModelEntry, Registry, RegisterOptions, TaskEntry } from '@tfkit/core-tensor';
import { BART_ARCHITECTURES } from './bart-heads.js';
import type { BartPreTrainedModel } from './bart-modeling.js';
import { createText2TextPipeline, TEXT2TEXT_TASKS } from './bart-pipelines.js';
import { buildBartFromCheckpoint, type BartModelClass } from './bart-weights.js';

declare module '@tfkit/core-tensor' {
  interface ModelEntries {
    bart: ModelEntry;
  }
  interface TaskEntries {
    summarization: TaskEntry;
    translation: TaskEntry;
    'text2text-generation': TaskEntry;
  }
}

function bartModelEntry(): ModelEntry {
  const architectures: Record<string, ModelArchitecture> = {};
  for (const [name, cls] of Object.entries(BART_ARCHITECTURES) as [string, BartModelClass<BartPreTrainedModel>][]) {
    architectures[name] = { fromCheckpoint: (checkpoint, options) => buildBartFromCheckpoint(cls, checkpoint, options) };
  }
  return { architectures, defaultArchitecture: 'BartModel' };
}

/**
 * Registers BART (`bart`: BartModel, BartForConditionalGeneration, BartForSequenceClassification)
 * and its text-to-text tasks in `registry`; a task another family registered already is left as it is.
 */
export function registerBart(registry: Registry, options: RegisterOptions = {}): Registry {
  registry.model.register('bart', bartModelEntry(), options);
  for (const [task, description] of Object.entries(TEXT2TEXT_TASKS)) {
    if (!options.override && registry.task.has(task)) continue;
    registry.task.register(task, { description, modelTypes: ['bart'], create: (opts) => createText2TextPipeline(task as keyof typeof TEXT2TEXT_TASKS, opts) }, options);
  }
  return registry;
}
