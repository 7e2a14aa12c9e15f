/**
 * `registerGpt2(registry)`: model_type `gpt2` with each architecture by its Hugging Face class name,
 * the family facts shared code reads (task classes, layer naming, LoRA targets, init rules,
 * positions), and the `text-generation` task.
 */
import { registerTask, type ModelArchitecture, type ModelEntry, type Registry, type RegisterOptions, type RegistryKey } from '@tfkit/core-tensor';
import { PromptedTranslationPipeline, TextGenerationPipeline, type GenerationModel, type PromptTokenizer, type TextTokenizer } from '@tfkit/generation';
import { checkTokenizerFitsModel } from '@tfkit/layers';
import { loadTokenizerPart } from '@tfkit/tokenizers';
import { gpt2ConfigFromHf } from './gpt2-config.js';
import { GPT2_ARCHITECTURES } from './gpt2-heads.js';
import type { GPT2PreTrainedModel } from './gpt2-modeling.js';
import { gpt2OnnxExport } from './gpt2-onnx.js';
import { gpt2Pretraining } from './gpt2-pretraining-entry.js';
import { buildGpt2FromCheckpoint, type Gpt2ModelClass } from './gpt2-weights.js';

declare module '@tfkit/core-tensor' {
  interface ModelEntries {
    gpt2: ModelEntry;
  }
}

function gpt2ModelEntry(): ModelEntry {
  const architectures: Record<string, ModelArchitecture> = {};
  for (const [name, cls] of Object.entries(GPT2_ARCHITECTURES) as [string, Gpt2ModelClass<GPT2PreTrainedModel>][]) {
    architectures[name] = { fromCheckpoint: (checkpoint, options) => buildGpt2FromCheckpoint(cls, checkpoint, options) };
  }
  return {
    architectures,
    defaultArchitecture: 'GPT2LMHeadModel',
    taskArchitectures: {
      'text-generation': 'GPT2LMHeadModel',
      'text-classification': 'GPT2ForSequenceClassification',
      'feature-extraction': 'GPT2Model',
    },
    // transformer.wte / wpe below transformer.h.{i}; ln_f and heads on top.
    layerNaming: { layer: /(?:^|\.)h\.(\d+)\./, embeddings: /(?:^|\.)(?:wte|wpe)\./ },
    // PEFT's default target_modules for GPT-2: the fused query/key/value projection.
    loraTargetModules: ['c_attn'],
    // GPT2PreTrainedModel._init_weights scales the residual projections by 1/√(2·n_layer).
    initRules: { scaledResidual: /(?:^|\.)c_proj$/ },
    maxPositions: (config) => (typeof config['n_positions'] === 'number' ? config['n_positions'] : 1024),
    // GPT2Config.attribute_map.
    attributeMap: { hidden_size: 'n_embd', num_hidden_layers: 'n_layer', num_attention_heads: 'n_head', max_position_embeddings: 'n_positions' },
    // tfkit pretrain: causal (GPT2LMHeadModel).
    pretraining: gpt2Pretraining(),
    // @tfkit/onnx exportOnnx: onnx/model.onnx, with past keys/values for GPT2LMHeadModel when asked.
    onnx: gpt2OnnxExport(),
    // Pipelines over an exported folder (registerOnnxRuntime) read the config alone.
    readConfig: (config, where) => gpt2ConfigFromHf(config, where),
  };
}

/** Registers GPT-2 (`gpt2`) and its `text-generation` pipeline in `registry`. */
export function registerGpt2(registry: Registry, options: RegisterOptions = {}): Registry {
  registry.model.register('gpt2', gpt2ModelEntry(), options);
  registerTask(registry, 'text-generation', 'gpt2', {
    loadPreprocessor: loadTokenizerPart,
    create: ({ model, tokenizer }) => {
      // A tokenizer with more ids than the model has embeddings is a TokenizerMismatchError.
      const vocab = (tokenizer as { vocabSize?: unknown }).vocabSize;
      if (typeof vocab === 'number') checkTokenizerFitsModel(vocab, (model as unknown as GPT2PreTrainedModel).config.vocabSize, 'text-generation');
      return new TextGenerationPipeline({ model: model as unknown as GenerationModel, tokenizer: tokenizer as TextTokenizer });
    },
  }, { ...options, description: 'Continues a text prompt with a causal language model' });
  // A GPT-2 trained on `source <to-fr> target` task prompts translates; the languages are its tokenizer's <to-xx> tokens.
  // (Typed by the general task key: the pipeline `translation` declares is the encoder-decoder one, not this.)
  registerTask<RegistryKey<'task'>>(registry, 'translation', 'gpt2', {
    architecture: 'GPT2LMHeadModel',
    loadPreprocessor: loadTokenizerPart,
    create: ({ model, tokenizer }) => {
      const vocab = (tokenizer as { vocabSize?: unknown }).vocabSize;
      if (typeof vocab === 'number') checkTokenizerFitsModel(vocab, (model as unknown as GPT2PreTrainedModel).config.vocabSize, 'translation');
      return new PromptedTranslationPipeline({ model: model as unknown as GenerationModel, tokenizer: tokenizer as PromptTokenizer });
    },
  }, { ...options, description: 'Translates text' });
  return registry;
}
