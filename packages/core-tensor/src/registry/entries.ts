/**
 * What each registry namespace holds. Entry types are deliberately small: a family package refines
 * them for its own keys through declaration merging, e.g.
 *
 * ```ts
 * declare module '@tfkit/core-tensor' {
 *   interface ModelEntries { 'my-model': ModelEntry }
 *   interface TaskEntries { 'my-task': TaskEntry }
 * }
 * ```
 *
 * This file imports TensorFlow.js types only, so `@tfkit/core-tensor/lite` stays free of tfjs.
 */
import type { Checkpoint, FromPretrainedOptions, PretrainedModel } from '../model-types.js';

/** Result of activating a backend. */
export interface BackendActivation {
  /** The TensorFlow.js backend name now active (`cpu`, `wasm`, `webgl`, `webgpu`). */
  backend: string;
  /** Threads used by the backend's kernels (1 when single-threaded). */
  threads: number;
  /** Whether SIMD kernels are in use, where the backend has such a notion. */
  simd?: boolean;
  /** Human-readable notes on what was chosen and why (fallbacks included). */
  notes: string[];
}

export interface BackendEntry {
  /** Higher wins when choosing a default among available backends. */
  readonly priority: number;
  readonly description: string;
  /** Whether this backend can run here at all (cheap; imports nothing heavy). */
  isSupported(): boolean | Promise<boolean>;
  /** Lazily imports the backend package, registers it with tfjs and makes it the active backend. */
  activate(options?: Record<string, unknown>): Promise<BackendActivation>;
}

/** How one architecture (class) of a model family is built from a checkpoint. */
export interface ModelArchitecture<M extends PretrainedModel = PretrainedModel> {
  fromCheckpoint(checkpoint: Checkpoint, options: FromPretrainedOptions): M | Promise<M>;
}

/** A model family, keyed by Hugging Face `model_type`. */
export interface ModelEntry {
  /** Architectures by Hugging Face class name (`BertForMaskedLM`, …). */
  readonly architectures: Readonly<Record<string, ModelArchitecture>>;
  /** Used when `config.architectures` is absent. */
  readonly defaultArchitecture: string;
}

/** A task pipeline factory, keyed by Hugging Face pipeline task name. */
export interface TaskEntry {
  readonly description?: string;
  /** Model types (`config.model_type`) this pipeline supports; empty or absent means any. */
  readonly modelTypes?: readonly string[];
  create(options: Record<string, unknown>): unknown;
}

/** A tokenizer model type, keyed by the tokenizer.json `model.type` (`BPE`, `WordPiece`, …). */
export interface TokenizerEntry {
  fromJSON(json: Record<string, unknown>): unknown;
}

export interface OptimizerEntry {
  create(options: Record<string, unknown>): unknown;
}

export interface SchedulerEntry {
  create(options: Record<string, unknown>): unknown;
}

export interface AdapterEntry {
  readonly description?: string;
  apply(module: unknown, config: Record<string, unknown>): unknown;
}

/* Known keys per namespace, extended by plugins through declaration merging. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface BackendEntries {}
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ModelEntries {}
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface TaskEntries {}
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface TokenizerEntries {}
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface OptimizerEntries {}
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface SchedulerEntries {}
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface AdapterEntries {}

/** Pairs a namespace's known keys with the type every entry must satisfy. */
export interface NamespaceSpec<Known, Base> {
  known: Known;
  base: Base;
}

/**
 * Every namespace of a registry. A plugin can add its own namespace by merging into this
 * interface and reaching it with `registry.ns('name')`.
 */
export interface RegistryNamespaces {
  backend: NamespaceSpec<BackendEntries, BackendEntry>;
  model: NamespaceSpec<ModelEntries, ModelEntry>;
  task: NamespaceSpec<TaskEntries, TaskEntry>;
  tokenizer: NamespaceSpec<TokenizerEntries, TokenizerEntry>;
  optimizer: NamespaceSpec<OptimizerEntries, OptimizerEntry>;
  scheduler: NamespaceSpec<SchedulerEntries, SchedulerEntry>;
  adapter: NamespaceSpec<AdapterEntries, AdapterEntry>;
}
