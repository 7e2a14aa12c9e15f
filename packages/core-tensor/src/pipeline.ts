/**
 * `pipeline(task, model?, options)`: one front door over the registry, as Hugging Face's and
 * transformers.js's `pipeline()`. The checkpoint's `model_type` picks the task's implementation,
 * which says which class to build (`BertForMaskedLM` for fill-mask, whatever the checkpoint was
 * saved as), loads the preprocessor beside it (tokenizer.json, preprocessor_config.json) and builds
 * the pipeline object. Nothing here names a model family: families register tasks with `registerTask`.
 */
import { AutoModel, checkRegistryOption } from './auto-model.js';
import { ConfigError, NoDefaultModelError } from './errors.js';
import { loadCheckpoint } from './io/checkpoint.js';
import { openSource } from './io/sources.js';
import type { ProgressCallback } from './download-progress.js';
import type { FileSource, SourceOptions } from './io/types.js';
import type { FromPretrainedOptions, PretrainedModel } from './model-types.js';
import type { ModelRuntimeEntry } from './registry/entries.js';
import type { Registry, RegistryKey } from './registry/registry.js';
import type { PipelineFor, TaskEntry } from './registry/tasks.js';

export interface PipelineOptions extends FromPretrainedOptions {
  /** Activates this registered backend (`cpu`, `wasm`, `webgl`, `webgpu`) before the model is built. */
  backend?: string;
  /** Options for the backend's activation (e.g. `{ threads: 'all' }` for wasm). */
  backendOptions?: Record<string, unknown>;
  /** A tokenizer to use instead of the one beside the checkpoint. */
  tokenizer?: unknown;
  /** An image processor to use instead of the one beside the checkpoint. */
  processor?: unknown;
  /**
   * Called as the checkpoint's files are read: `{ file, url, loaded, total, done }` as downloads
   * stream (URLs, hub ids) and per 16 MiB read from a local folder or the cache. Same as `onProgress`.
   */
  progressCallback?: ProgressCallback;
}

/** The parts the caller passed instead of loading them. */
const GIVEN_PARTS = ['tokenizer', 'processor'] as const;

async function activateBackend(options: PipelineOptions): Promise<void> {
  if (options.backend === undefined) return;
  const entry = options.registry.backend.get(options.backend);
  if (!(await entry.isSupported())) throw new ConfigError(`pipeline: backend "${options.backend}" is not supported in this environment`);
  await entry.activate(options.backendOptions);
}

/**
 * A registered model runtime (`registry.ns('modelRuntime')`, e.g. ONNX Runtime from `@tfkit/onnx`)
 * that serves `source`, when it is not a tfkit checkpoint (no model.safetensors) but holds the
 * runtime's files. Nothing is opened when no runtime is registered.
 */
async function otherRuntime(registry: Registry, source: string | FileSource, options: SourceOptions): Promise<{ entry: ModelRuntimeEntry; files: FileSource } | undefined> {
  const runtimes = registry.ns('modelRuntime').entriesList();
  if (!runtimes.length) return undefined;
  const files = await openSource(source, options);
  if ((await files.exists('model.safetensors')) || (await files.exists('model.safetensors.index.json'))) return undefined;
  for (const [, entry] of runtimes) if (await entry.accepts(files)) return { entry, files };
  return undefined;
}

/**
 * Loads `model` (a checkpoint directory, URL, hub id or `FileSource`; left out, the task's default
 * model) for `task` and returns the task's pipeline object, e.g. a fill-mask pipeline whose
 * `call(text)` returns candidates. `pipe.dispose()` frees the model's weights.
 *
 * ```ts
 * const fill = await pipeline('fill-mask', 'org/bert-tiny', { registry });
 * const candidates = await fill.call('Paris is the [MASK] of France.');
 * fill.dispose();
 * ```
 */
export async function pipeline<T extends RegistryKey<'task'>>(task: T, model: string | FileSource | undefined, options: PipelineOptions): Promise<PipelineFor<T>> {
  checkRegistryOption(options, `pipeline("${String(task)}")`);
  const { registry } = options;
  const entry = registry.task.get(task) as unknown as TaskEntry<PipelineFor<T>>;
  const source = model ?? entry.defaultModel;
  if (source === undefined) throw new NoDefaultModelError(task);
  await activateBackend(options);

  const sourceOptions = options.progressCallback ? { ...options, onProgress: options.progressCallback } : options;
  const runtime = await otherRuntime(registry, source, sourceOptions);
  if (runtime) return (await runtime.entry.pipeline(task, runtime.files, options)) as PipelineFor<T>;
  const checkpoint = await loadCheckpoint(source, sourceOptions);
  try {
    const modelType = checkpoint.config['model_type'];
    const implementation = typeof modelType === 'string' && entry.implementation ? entry.implementation(modelType) : undefined;
    if (typeof modelType === 'string' && entry.implementation && !implementation) {
      const served = entry.modelTypes ?? [];
      throw new ConfigError(
        `${task}: ${checkpoint.source} is a "${modelType}" model, which has no ${task} implementation. Served by: ${served.length ? served.join(', ') : '(none)'}. ` +
          `Register its family, or add one with registerTask(registry, "${task}", "${modelType}", …)`,
      );
    }
    const family = typeof modelType === 'string' ? registry.model.tryGet(modelType) : undefined;
    const architecture = options.architecture ?? implementation?.architecture ?? family?.taskArchitectures?.[task];
    const built: PretrainedModel = await AutoModel.fromCheckpoint(checkpoint, { ...options, ...(architecture ? { architecture } : {}) });
    try {
      const given: Record<string, unknown> = {};
      for (const part of GIVEN_PARTS) if (options[part] !== undefined) given[part] = options[part];
      const loaded = implementation?.loadPreprocessor
        ? await implementation.loadPreprocessor({ task, files: checkpoint.files, config: checkpoint.config, registry, given })
        : {};
      const parts = { ...loaded, ...given, model: built };
      return implementation ? implementation.create(parts) : entry.create(parts);
    } catch (error) {
      built.dispose();
      throw error;
    }
  } finally {
    for (const t of checkpoint.weights.values()) t.dispose();
  }
}
