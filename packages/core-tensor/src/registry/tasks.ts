/**
 * Tasks in the registry: one entry per Hugging Face pipeline task (`fill-mask`, `summarization`, …)
 * holding one implementation per model type, so several families serve the same task and a plugin
 * adds a task for its own family, or a head to someone else's, without re-registering the family.
 *
 * One rule for every family: `registerTask(registry, task, modelType, implementation)` adds the
 * (task, model type) pair; registering the same pair twice is a `RegistryError` unless
 * `{ override: true }`. The first registration creates the task's entry.
 *
 * No TensorFlow.js here (this file is part of `@tfkit/core-tensor/lite`).
 */
import { ConfigError, RegistryError } from '../errors.js';
import type { FileSource } from '../io/types.js';
import type { HfConfig, PretrainedModel } from '../model-types.js';
import type { TaskEntries } from './entries.js';
import type { RegisterOptions, Registry, RegistryKey } from './registry.js';

/** What a task implementation's `create` gets: the loaded model and the preprocessor parts (`tokenizer`, `processor`, …). */
export interface TaskParts {
  readonly model: PretrainedModel;
  readonly [part: string]: unknown;
}

/** What `loadPreprocessor` is given. */
export interface PreprocessorContext {
  readonly task: string;
  /** The checkpoint's files (tokenizer.json, preprocessor_config.json, … sit beside config.json). */
  readonly files: FileSource;
  /** The checkpoint's config.json. */
  readonly config: HfConfig;
  /** The registry the pipeline is built from (tokenizer model types are looked up there). */
  readonly registry: Registry;
  /** Parts the caller passed (e.g. `tokenizer`); load only what is missing from them. */
  readonly given: Readonly<Record<string, unknown>>;
}

/** How one model type serves one task. */
export interface TaskImplementation<P = unknown> {
  /**
   * The Hugging Face class a checkpoint is built as for this task (`BertForMaskedLM`). Default: the
   * family's `taskArchitectures[task]`, else the checkpoint's own `architectures[0]`.
   */
  readonly architecture?: string;
  /** Loads what turns raw inputs into model inputs (a tokenizer, an image processor), as named parts. */
  loadPreprocessor?(context: PreprocessorContext): Record<string, unknown> | Promise<Record<string, unknown>>;
  /** Builds the pipeline object, which does the pre- and postprocessing, from the loaded parts. */
  create(parts: TaskParts): P;
}

/**
 * A task's registry entry. Entries made by `registerTask` hold one implementation per model type;
 * an entry registered directly with `registry.task.register` serves every model type through `create`.
 */
export interface TaskEntry<P = unknown> {
  readonly description?: string;
  /** Model types (`config.model_type`) with an implementation; absent means any. */
  readonly modelTypes?: readonly string[];
  /** The model `pipeline(task)` loads when none is given (a directory, URL or hub id). */
  readonly defaultModel?: string;
  /** The implementation for `modelType`, or undefined when this task has none for it. */
  implementation?(modelType: string): TaskImplementation<P> | undefined;
  /** Builds the pipeline from loaded parts: `{ model, tokenizer }`, `{ model, processor }`, … */
  create(parts: Record<string, unknown>): P;
}

/** The pipeline type a task produces, from the entry type declared in `TaskEntries`. */
export type PipelineFor<T extends string> = (T extends keyof TaskEntries ? TaskEntries[T] : TaskEntry) extends TaskEntry<infer P> ? P : unknown;

export interface RegisterTaskOptions extends RegisterOptions {
  /** What the task does (kept from the first registration that gives one). */
  description?: string;
}

/** The entry `registerTask` keeps for a task: its implementations by model type. */
export class TaskImplementations<P = unknown> implements TaskEntry<P> {
  readonly task: string;
  description: string | undefined;
  defaultModel: string | undefined;
  private readonly byType = new Map<string, TaskImplementation<P>>();

  constructor(task: string, description?: string) {
    this.task = task;
    this.description = description;
  }

  get modelTypes(): string[] {
    return [...this.byType.keys()];
  }

  implementation(modelType: string): TaskImplementation<P> | undefined {
    return this.byType.get(modelType);
  }

  /** Adds the implementation for `modelType`; a second one for the same model type needs `override`. */
  add(modelType: string, implementation: TaskImplementation<P>, options: RegisterOptions = {}): void {
    if (typeof modelType !== 'string' || modelType.length === 0) throw new RegistryError(`registry.task: "${this.task}": the model type must be a non-empty string`);
    if (typeof implementation?.create !== 'function') throw new RegistryError(`registry.task: "${this.task}" for "${modelType}": the implementation needs a create(parts) function`);
    if (this.byType.has(modelType) && !options.override) {
      throw new RegistryError(`registry.task: "${this.task}" already has an implementation for model type "${modelType}"; pass { override: true } to replace it`);
    }
    this.byType.set(modelType, implementation);
  }

  /** The implementation for `modelType`, or an error saying which model types serve the task. */
  require(modelType: string, where = ''): TaskImplementation<P> {
    const found = this.byType.get(modelType);
    if (found) return found;
    const served = this.modelTypes;
    throw new ConfigError(
      `${this.task}: ${where ? `${where}: ` : ''}model type "${modelType}" has no ${this.task} implementation. ` +
        `Served by: ${served.length ? served.join(', ') : '(none)'}. Register its family, or add one with registerTask(registry, "${this.task}", "${modelType}", …)`,
    );
  }

  /** Builds the pipeline with the implementation for `parts.model.modelType`. */
  create(parts: Record<string, unknown>): P {
    const model = parts['model'] as Partial<PretrainedModel> | undefined;
    if (typeof model !== 'object' || model === null || typeof model.modelType !== 'string') {
      throw new ConfigError(`${this.task}: create({ model, … }) needs a loaded model (one with a modelType, as AutoModel builds)`);
    }
    return this.require(model.modelType).create(parts as unknown as TaskParts);
  }
}

function isTable(entry: unknown): entry is TaskImplementations {
  const e = entry as Partial<TaskImplementations> | undefined;
  return typeof e?.add === 'function' && typeof e.implementation === 'function' && typeof e.require === 'function';
}

/** The task's entry as kept by `registerTask`, or a RegistryError. */
function table(registry: Registry, task: string, what: string): TaskImplementations {
  const entry = registry.task.get(task);
  if (!isTable(entry)) throw new RegistryError(`registry.task: "${task}" was registered with registry.task.register, not registerTask; ${what} needs an entry made by registerTask`);
  return entry;
}

/**
 * Registers how `modelType` serves `task`. The task's entry is created on first use. A second
 * implementation for the same (task, model type) is a RegistryError unless `{ override: true }`;
 * other model types are never affected.
 *
 * ```ts
 * registerTask(registry, 'text-classification', 'my-model', {
 *   architecture: 'MyModelForSequenceClassification',
 *   loadPreprocessor: async ({ files, given }) => (given.tokenizer ? {} : { tokenizer: await Tokenizer.fromPretrained(files) }),
 *   create: ({ model, tokenizer }) => new TextClassificationPipeline({ model, tokenizer }),
 * });
 * ```
 */
export function registerTask<T extends RegistryKey<'task'>>(
  registry: Registry,
  task: T,
  modelType: string,
  implementation: TaskImplementation<PipelineFor<T>>,
  options: RegisterTaskOptions = {},
): void {
  let entry = registry.task.tryGet(task) as unknown;
  if (entry !== undefined && !isTable(entry)) {
    if (!options.override) {
      throw new RegistryError(`registry.task: "${task}" is registered as a single entry (registry.task.register); pass { override: true } to replace it with per-model-type implementations`);
    }
    entry = undefined;
  }
  if (entry === undefined) {
    entry = new TaskImplementations<PipelineFor<T>>(task, options.description);
    registry.task.register(task, entry as never, { override: true });
  }
  const tasks = entry as TaskImplementations<PipelineFor<T>>;
  tasks.description ??= options.description;
  tasks.add(modelType, implementation, options);
}

/**
 * Sets the model `pipeline(task)` loads when none is given (a directory, URL or hub id). Replacing
 * another default needs `{ override: true }`.
 */
export function setDefaultModel(registry: Registry, task: RegistryKey<'task'>, source: string, options: RegisterOptions = {}): void {
  const entry = table(registry, task, 'setDefaultModel');
  if (typeof source !== 'string' || !source) throw new RegistryError(`registry.task: "${task}": the default model must be a non-empty source string`);
  if (entry.defaultModel !== undefined && entry.defaultModel !== source && !options.override) {
    throw new RegistryError(`registry.task: "${task}" already has the default model "${entry.defaultModel}"; pass { override: true } to replace it`);
  }
  entry.defaultModel = source;
}
