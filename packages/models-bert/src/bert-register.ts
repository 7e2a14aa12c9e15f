/**
 * `registerBert(registry)`: model_type `bert` with every architecture by its Hugging Face class
 * name, the family facts shared code reads (task classes, layer naming, LoRA targets, positions),
 * and BERT's task pipelines under their Hugging Face task names.
 */
import type { ModelArchitecture, ModelEntry, Registry, RegisterOptions } from '@tfkit/core-tensor';
import { bertConfigFromHf } from './bert-config.js';
import { BERT_ARCHITECTURES } from './bert-heads.js';
import { bertOnnxExport } from './bert-onnx.js';
import type { BertPreTrainedModel } from './bert-modeling.js';
import { bertPretraining } from './bert-pretraining-entry.js';
import { buildFromCheckpoint, type BertModelClass } from './bert-weights.js';
import { BERT_TASKS, registerBertPipelines } from './pipelines/index.js';

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
  return {
    architectures,
    defaultArchitecture: 'BertModel',
    taskArchitectures: Object.fromEntries(Object.entries(BERT_TASKS).map(([task, { architecture }]) => [task, architecture])),
    // bert.embeddings.* below bert.encoder.layer.{i}.*; pooler and heads on top.
    layerNaming: { layer: /(?:^|\.)encoder\.layer\.(\d+)\./, embeddings: /(?:^|\.)embeddings\./ },
    // PEFT's default target_modules for BERT.
    loraTargetModules: ['query', 'value'],
    maxPositions: (config) => (typeof config['max_position_embeddings'] === 'number' ? config['max_position_embeddings'] : 512),
    // tfkit pretrain: mlm+nsp (BertForPreTraining) and mlm (BertForMaskedLM).
    pretraining: bertPretraining(),
    // @tfkit/onnx: the graphs of every head; pipelines over an ONNX folder read the config alone.
    onnx: bertOnnxExport,
    readConfig: (config, where) => bertConfigFromHf(config, where),
  };
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
