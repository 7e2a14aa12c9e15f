/**
 * `registerBart(registry)`: model_type `bart` with each architecture by its Hugging Face class name,
 * the family facts shared code reads (task classes, layer naming, LoRA targets, init rules,
 * positions), and the `summarization`, `translation` and `text2text-generation` tasks.
 */
import { registerTask, type ModelArchitecture, type ModelEntry, type Registry, type RegisterOptions } from '@tfkit/core-tensor';
import { createText2TextPipeline, TEXT2TEXT_TASKS, type Text2TextTask } from '@tfkit/generation';
import { loadTokenizerPart } from '@tfkit/tokenizers';
import { bartConfigFromHf } from './bart-config.js';
import { BART_ARCHITECTURES } from './bart-heads.js';
import type { BartPreTrainedModel } from './bart-modeling.js';
import { bartOnnxExport } from './bart-onnx.js';
import { bartPretraining } from './bart-pretraining-entry.js';
import { buildBartFromCheckpoint, type BartModelClass } from './bart-weights.js';

declare module '@tfkit/core-tensor' {
  interface ModelEntries {
    bart: ModelEntry;
  }
}

function bartModelEntry(): ModelEntry {
  const architectures: Record<string, ModelArchitecture> = {};
  for (const [name, cls] of Object.entries(BART_ARCHITECTURES) as [string, BartModelClass<BartPreTrainedModel>][]) {
    architectures[name] = { fromCheckpoint: (checkpoint, options) => buildBartFromCheckpoint(cls, checkpoint, options) };
  }
  return {
    architectures,
    defaultArchitecture: 'BartModel',
    taskArchitectures: {
      summarization: 'BartForConditionalGeneration',
      translation: 'BartForConditionalGeneration',
      'text2text-generation': 'BartForConditionalGeneration',
      'text-classification': 'BartForSequenceClassification',
      'feature-extraction': 'BartModel',
    },
    // shared / embed_tokens / embed_positions / layernorm_embedding below {encoder,decoder}.layers.{i};
    // the encoder's and the decoder's layer i share a depth.
    layerNaming: { layer: /(?:^|\.)layers\.(\d+)\./, embeddings: /(?:^|\.)(?:shared|embed_tokens|embed_positions|layernorm_embedding)\./ },
    // PEFT's default target_modules for BART.
    loraTargetModules: ['q_proj', 'v_proj'],
    // BartPreTrainedModel._init_weights reads config.init_std.
    initRules: { stdKey: 'init_std' },
    maxPositions: (config) => (typeof config['max_position_embeddings'] === 'number' ? config['max_position_embeddings'] : 1024),
    // BartConfig.attribute_map (and its num_hidden_layers property: the encoder's layers).
    attributeMap: { hidden_size: 'd_model', num_attention_heads: 'encoder_attention_heads', num_hidden_layers: 'encoder_layers' },
    // tfkit pretrain: denoise (BartForConditionalGeneration) with the paper's noising schemes.
    pretraining: bartPretraining(),
    // @tfkit/onnx exportOnnx: encoder_model / decoder_model (+ decoder_with_past_model, decoder_model_merged) for BartForConditionalGeneration.
    onnx: bartOnnxExport(),
    // Pipelines over an exported folder (registerOnnxRuntime) read the config alone.
    readConfig: (config, where) => bartConfigFromHf(config, where),
  };
}

/**
 * Registers BART (`bart`: BartModel, BartForConditionalGeneration, BartForSequenceClassification)
 * and its text-to-text tasks in `registry`; other families' implementations of these tasks stay.
 */
export function registerBart(registry: Registry, options: RegisterOptions = {}): Registry {
  registry.model.register('bart', bartModelEntry(), options);
  for (const [task, description] of Object.entries(TEXT2TEXT_TASKS) as [Text2TextTask, string][]) {
    registerTask(registry, task, 'bart', { loadPreprocessor: loadTokenizerPart, create: (parts) => createText2TextPipeline(task, parts) }, { ...options, description });
  }
  return registry;
}
