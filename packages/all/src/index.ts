/**
 * @tfkit/all — tfkit with batteries included: one install, one import. `pipeline()` runs every
 * task of every family over a default registry that knows every family, task, backend, tokenizer
 * model, optimizer, schedule and adapter; the packages themselves are re-exported by name.
 * Importing registers nothing and allocates nothing: the default registry is made on first use.
 */
export { pipeline, type AllPipelineOptions } from './pipeline.js';
export { registerAll, defaultRegistry, embeddedModelUrl, DEFAULT_MODELS } from './register-all.js';
export { AutoModel, type AllFromPretrainedOptions } from './auto-model.js';

// The core: registry, checkpoints, errors, `registerTask` (its own `pipeline` and `AutoModel` are the ones above).
export {
  createRegistry, registerTask, setDefaultModel, settings, configure, loadCheckpoint, saveCheckpoint, openSource, Random,
  TfkitError, RegistryError, ConfigError, CheckpointError, ShapeError, NoDefaultModelError,
  type Registry, type RegisterOptions, type PipelineFor, type PipelineOptions, type TaskEntry, type TaskImplementation, type ModelEntry, type FileSource,
} from '@tfkit/core-tensor';
export { Tokenizer } from '@tfkit/tokenizers';
export { useBackend, availableBackends } from '@tfkit/backends';
export { generate, generateStream } from '@tfkit/generation';

// Every package, by name.
export * as core from '@tfkit/core-tensor';
export * as backends from '@tfkit/backends';
export * as tokenizers from '@tfkit/tokenizers';
export * as layers from '@tfkit/layers';
export * as generation from '@tfkit/generation';
export * as finetune from '@tfkit/finetune';
export * as bert from '@tfkit/models-bert';
export * as gpt2 from '@tfkit/models-gpt';
export * as bart from '@tfkit/models-bart';
export * as vit from '@tfkit/models-vit';
export * as seq2seq from '@tfkit/models-seq2seq';
