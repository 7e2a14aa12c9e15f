/**
 * `AutoModel.fromPretrained(source, { registry })`: reads `config.json`, finds the family by
 * `model_type` and the class by `architectures[0]` in the registry, builds the model and loads
 * its weights. A new family needs nothing here, only a `registerX(registry)` call.
 */
import * as tf from '@tensorflow/tfjs-core';
import { CheckpointError, ConfigError, NoBackendError } from './errors.js';
import { loadCheckpoint } from './io/checkpoint.js';
import type { Checkpoint, FromPretrainedOptions, PretrainedModel } from './model-types.js';

/** Picks the architecture for a checkpoint; errors list what the registry knows. */
export function resolveArchitecture(checkpoint: Pick<Checkpoint, 'config' | 'source'>, options: FromPretrainedOptions) {
  const { config, source } = checkpoint;
  const modelType = config['model_type'];
  if (typeof modelType !== 'string' || !modelType) {
    throw new ConfigError(`${source}/config.json: "model_type" is missing or not a string; it names the model family (e.g. "bert", "gpt2")`);
  }
  if (!options.registry.model.has(modelType)) {
    const known = options.registry.model.keys();
    throw new ConfigError(
      `${source}/config.json: model_type "${modelType}" is not registered. Registered: ${known.length ? known.join(', ') : '(none)'}. ` +
        `Install and register its family, e.g. registerBert(registry).`,
    );
  }
  const family = options.registry.model.get(modelType);
  const architectures = config['architectures'];
  const name = options.architecture ?? (Array.isArray(architectures) && typeof architectures[0] === 'string' ? architectures[0] : family.defaultArchitecture);
  // Own keys only: "toString" or "__proto__" from a config must not reach Object.prototype.
  const architecture = typeof name === 'string' && Object.hasOwn(family.architectures, name) ? family.architectures[name] : undefined;
  if (!architecture) {
    throw new ConfigError(
      `${source}/config.json: architecture "${name}" is not provided by model_type "${modelType}". Known: ${Object.keys(family.architectures).join(', ')}`,
    );
  }
  return { modelType, name, architecture };
}

/**
 * Checks what plain JavaScript callers can get wrong before anything is read: the options object
 * and its registry, and that TensorFlow.js has a backend to build the model on.
 */
export function checkModelOptions(options: FromPretrainedOptions | undefined, where: string): FromPretrainedOptions {
  checkRegistryOption(options, where);
  if (Object.keys(tf.engine().registryFactory).length === 0) throw new NoBackendError(where);
  return options as FromPretrainedOptions;
}

/** `options.registry` must be a registry (plain JavaScript callers may leave it out). */
export function checkRegistryOption(options: { registry?: unknown } | undefined, where: string): void {
  const registry = (options as { registry?: { model?: unknown } } | undefined)?.registry;
  if (!options || typeof options !== 'object' || !registry || typeof registry !== 'object' || !registry.model) {
    throw new ConfigError(
      `${where}: options.registry is required: pass { registry } made with createRegistry() and your families' register functions ` +
        `(e.g. registerBert(registry)), or use @tfkit/all, whose pipeline() and defaultRegistry() register everything`,
    );
  }
}

export const AutoModel = {
  /**
   * Loads a model from a directory, URL or hub id. The checkpoint's tensors are disposed once the
   * model holds its weights. `options.registry` is required here (a `ConfigError` says so when
   * left out); `AutoModel` from @tfkit/all defaults it to the registry that knows every family.
   */
  async fromPretrained<M extends PretrainedModel = PretrainedModel>(source: string, options?: FromPretrainedOptions): Promise<M> {
    options = checkModelOptions(options, 'AutoModel.fromPretrained');
    const checkpoint = await loadCheckpoint(source, options);
    try {
      return (await AutoModel.fromCheckpoint(checkpoint, options)) as M;
    } finally {
      for (const t of checkpoint.weights.values()) t.dispose();
    }
  },

  /** Builds a model from an already loaded checkpoint (its tensors stay the caller's). */
  async fromCheckpoint(checkpoint: Checkpoint, options?: FromPretrainedOptions): Promise<PretrainedModel> {
    options = checkModelOptions(options, 'AutoModel.fromCheckpoint');
    const config = options.configOverrides ? { ...checkpoint.config, ...options.configOverrides } : checkpoint.config;
    const ckpt: Checkpoint = config === checkpoint.config ? checkpoint : { ...checkpoint, config };
    const { architecture, name } = resolveArchitecture(ckpt, options);
    try {
      return await architecture.fromCheckpoint(ckpt, options);
    } catch (error) {
      if (error instanceof Error && 'code' in error) throw error;
      throw new CheckpointError(`${checkpoint.source}: building ${name} failed: ${(error as Error).message}`, { cause: error });
    }
  },
};
