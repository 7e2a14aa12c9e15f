/**
 * `AutoModel` over the default registry: `AutoModel.fromPretrained('./dir')` needs no options in
 * @tfkit/all. Without `options.registry` it uses `defaultRegistry()` (every family) and, when
 * TensorFlow.js has no backend yet, activates the best available one, as `pipeline()` does.
 */
import { AutoModel as CoreAutoModel, type Checkpoint, type FromPretrainedOptions, type PretrainedModel, type Registry } from '@tfkit/core-tensor';
import { ensureBackend } from './pipeline.js';
import { defaultRegistry } from './register-all.js';

export interface AllFromPretrainedOptions extends Omit<FromPretrainedOptions, 'registry'> {
  /** Default: `defaultRegistry()`, which knows every family. */
  registry?: Registry;
}

async function withRegistry(options: AllFromPretrainedOptions | undefined): Promise<FromPretrainedOptions> {
  if (options !== undefined && (options === null || typeof options !== 'object')) return options as never; // the core's ConfigError says what to pass
  if (options?.registry) return options as FromPretrainedOptions;
  const registry = defaultRegistry();
  await ensureBackend(registry);
  return { ...options, registry };
}

export const AutoModel = {
  /** Loads a model from a directory, URL or hub id; `options.registry` defaults to `defaultRegistry()`. */
  async fromPretrained<M extends PretrainedModel = PretrainedModel>(source: string, options?: AllFromPretrainedOptions): Promise<M> {
    return CoreAutoModel.fromPretrained<M>(source, await withRegistry(options));
  },
  /** Builds a model from an already loaded checkpoint (its tensors stay the caller's). */
  async fromCheckpoint(checkpoint: Checkpoint, options?: AllFromPretrainedOptions): Promise<PretrainedModel> {
    return CoreAutoModel.fromCheckpoint(checkpoint, await withRegistry(options));
  },
};
