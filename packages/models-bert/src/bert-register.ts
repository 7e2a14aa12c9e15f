/**
 * `registerBert(registry)`: model_type `bert` with every architecture by its Hugging Face class
 * name, and BERT's task pipelines under their Hugging Face task names.
 */
import type { ModelArchitecture, ModelEntry, Registry, RegisterOptions } from '@tfkit/core-tensor';
import { BERT_ARCHITECTURES } from './bert-heads.js';
import type { BertPreTrainedModel } from './bert-modeling.js';
import { buildFromCheckpoint, type BertModelClass } from './bert-weights.js';
import { registerBertPipelines } from './pipelines/index.js';

declare module '@tfkit/core-tensor' {
  interface ModelEntries {
    bert: ModelEntry;
  }
}

function bertModelEntry(): ModelEntry {
  const architectures: Record<string, ModelArchitecture> = {};
  const classes: [string, BertModelClass<BertPreTrainedModel>][] = Object.entries(BERT_ARCHITECTURES);
  for (const [name, cls] of classes) {
    architectures[name] = { fromCheckpoint: (checkpoint, options) => buildFromCheckpoint(cls, checkpoint, options) };
  }
  return { architectures, defaultArchitecture: 'BertModel' };
}

/**
 * Registers BERT's model family (`bert`) and its task pipelines (`fill-mask`,
 * `text-classification`, `token-classification`, `question-answering`, `feature-extraction`).
 */
export function registerBert(registry: Registry, options: RegisterOptions = {}): Registry {
  registry.model.register('bert', bertModelEntry(), options);
  registerBertPipelines(registry, options);
  return registry;
}
