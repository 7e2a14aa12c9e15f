/**
 * `pipeline(task, model?, options?)` over the default registry, with a backend chosen for you:
 * the one asked for, else the one TensorFlow.js already runs, else the best available here
 * (wasm in Node.js, webgl in browsers).
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@tfkit/backends';
import { pipeline as corePipeline, type FileSource, type PipelineFor, type PipelineOptions, type Registry, type RegistryKey } from '@tfkit/core-tensor';
import { defaultRegistry } from './register-all.js';

export interface AllPipelineOptions extends Omit<PipelineOptions, 'registry'> {
  /** Default: `defaultRegistry()`, which knows every family and task. */
  registry?: Registry;
}

/** Activates the best available backend when TensorFlow.js has none yet (nothing imported a backend). */
export async function ensureBackend(registry: Registry): Promise<void> {
  if (tf.engine().backendNames().length === 0) await useBackend(registry);
}

/**
 * Loads `model` (a checkpoint directory, URL or hub id; left out, the task's embedded default) for
 * `task` and returns the task's pipeline.
 *
 * ```ts
 * import { pipeline } from '@tfkit/all';
 * const generator = await pipeline('text-generation');
 * const [[{ generatedText }]] = await generator.call('It was a truth', { maxNewTokens: 20 });
 * generator.dispose();
 * ```
 */
export async function pipeline<T extends RegistryKey<'task'>>(task: T, model?: string | FileSource, options: AllPipelineOptions = {}): Promise<PipelineFor<T>> {
  const registry = options.registry ?? defaultRegistry();
  if (options.backend === undefined) await ensureBackend(registry);
  return corePipeline(task, model, { ...options, registry });
}
