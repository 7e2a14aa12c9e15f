/**
 * `registerGpt2(registry)`: model_type `gpt2` with each architecture by its Hugging Face class name,
 * and the `text-generation` task.
 */
import type { ModelArchitecture, ModelEntry, Registry, RegisterOptions, TaskEntry } from '@tfkit/core-tensor';
import { TextGenerationPipeline, type TextGenerationPipelineOptions } from '@tfkit/generation';
import { GPT2_ARCHITECTURES } from './gpt2-heads.js';
import type { GPT2PreTrainedModel } from './gpt2-modeling.js';
import { buildGpt2FromCheckpoint, type Gpt2ModelClass } from './gpt2-weights.js';

declare module '@tfkit/core-tensor' {
  interface ModelEntries {
    gpt2: ModelEntry;
  }
  interface TaskEntries {
    'text-generation': TaskEntry;
  }
}

function gpt2ModelEntry(): ModelEntry {
  const architectures: Record<string, ModelArchitecture> = {};
  for (const [name, cls] of Object.entries(GPT2_ARCHITECTURES) as [string, Gpt2ModelClass<GPT2PreTrainedModel>][]) {
    architectures[name] = { fromCheckpoint: (checkpoint, options) => buildGpt2FromCheckpoint(cls, checkpoint, options) };
  }
  return { architectures, defaultArchitecture: 'GPT2LMHeadModel' };
}

/** Registers GPT-2 (`gpt2`) and the `text-generation` task in `registry`. */
export function registerGpt2(registry: Registry, options: RegisterOptions = {}): Registry {
  registry.model.register('gpt2', gpt2ModelEntry(), options);
  if (options.override || !registry.task.has('text-generation')) {
    registry.task.register('text-generation', {
      description: 'Continues a text prompt with a causal language model',
      modelTypes: ['gpt2'],
      create: (opts) => new TextGenerationPipeline(opts as unknown as TextGenerationPipelineOptions),
    }, options);
  }
  return registry;
}
