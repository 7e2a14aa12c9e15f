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
 * This file and onnx-export.ts import TensorFlow.js types only, so `@tfkit/core-tensor/lite` stays free of tfjs.
 */
import type { FileSource } from '../io/types.js';
import type { Checkpoint, FromPretrainedOptions, HfConfig, PretrainedModel } from '../model-types.js';
import type { PipelineOptions } from '../pipeline.js';
import type { Random } from '../random.js';
import type { OnnxExportEntry } from './onnx-export.js';
import type { TaskEntry } from './tasks.js';

export type { TaskEntry, TaskImplementation, TaskParts, PreprocessorContext } from './tasks.js';
export type * from './onnx-export.js';
export { onnxLinearOf, onnxEmbeddingOf, onnxNormOf, singleGraphOnnxExport } from './onnx-export.js';

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

/**
 * Where a parameter sits in a family's depth, from its dotted name: used by layer-wise
 * learning-rate decay, freezing the bottom layers and re-initialising the top ones.
 */
export interface LayerNaming {
  /** Matches a name (given with a trailing `.`) inside layer i, capturing i in group 1 (`encoder.layer.3.`). */
  readonly layer: RegExp;
  /** Matches the embedding parameters, which sit below layer 0. */
  readonly embeddings: RegExp;
}

/** How the family's Hugging Face `_init_weights` differs from the common rule (normal(0, std), zero bias, unit norms). */
export interface InitRules {
  /** The config.json key holding the init std (default `initializer_range`; BART's is `init_std`). */
  readonly stdKey?: string;
  /** Linear layers (by module path) whose std is divided by √(2·layers): GPT-2's residual projections. */
  readonly scaledResidual?: RegExp;
}

/** The tokenizer a pretraining objective reads; `@tfkit/tokenizers`' `Tokenizer` fits. */
export interface PretrainingTokenizer {
  encode(text: string, options?: { addSpecialTokens?: boolean }): { ids: number[] };
  tokenToId(token: string): number | undefined;
  readonly vocabSize: number;
  readonly padTokenId?: number | undefined;
  readonly bosTokenId?: number | undefined;
  readonly eosTokenId?: number | undefined;
  readonly unkTokenId?: number | undefined;
  readonly clsTokenId?: number | undefined;
  readonly sepTokenId?: number | undefined;
  readonly maskTokenId?: number | undefined;
}

/** What an objective's data is built from. */
export interface PretrainingContext {
  readonly tokenizer: PretrainingTokenizer;
  /** The model's config.json. */
  readonly config: HfConfig;
  /** Longest example, in tokens (at most the model's positions). */
  readonly maxLength: number;
  /**
   * Every random choice (sentence pairs, masks, noise) draws from it. The caller may set its state
   * before each batch (from the seed and the step), so a resumed run makes the same batches.
   */
  readonly rng: Random;
  /** The objective's settings (`key=value` from the command line), as listed in its `options`. */
  readonly options: Readonly<Record<string, string>>;
}

/** An objective's data: training examples from documents, and a batch of them as the model's inputs. */
export interface PretrainingData<E = unknown> {
  /** Examples from documents, each a list of lines (sentences); in text files blank lines end a document. */
  examples(documents: readonly (readonly string[])[]): E[];
  /** The model's inputs for a batch, as integer arrays by name (`inputIds`, `labels`, `nextSentenceLabel`, …). */
  collate(examples: readonly E[]): Readonly<Record<string, readonly number[] | readonly (readonly number[])[]>>;
}

/** One pretraining objective of a family (`mlm+nsp`, `denoise`, `causal`, …). */
export interface PretrainingObjective {
  readonly description: string;
  /** The class it trains (`BertForPreTraining`). */
  readonly architecture: string;
  /** Its settings and what each means (`mlm_probability`: …). */
  readonly options?: Readonly<Record<string, string>>;
  createData(context: PretrainingContext): PretrainingData;
}

/** How a family is pretrained from scratch: its objectives and a fresh model for one. */
export interface PretrainingEntry {
  readonly objectives: Readonly<Record<string, PretrainingObjective>>;
  /** The config.json keys a fresh model takes from its tokenizer: `vocab_size` and the special token ids. */
  configFromTokenizer(tokenizer: PretrainingTokenizer): HfConfig;
  /** The config.json keys of every dropout probability, so that one setting (`--dropout`) reaches them all. */
  readonly dropoutKeys?: readonly string[];
  /** A model of `architecture` with fresh weights (Hugging Face's init, seeded) from a config.json. */
  createModel(config: HfConfig, options: { architecture: string; seed: number }): PretrainedModel;
}

/**
 * A model family, keyed by Hugging Face `model_type`. Besides how to build it, the entry holds the
 * facts shared code needs (fine-tuning, pipelines, apps), so that code never names a family.
 * Every fact is optional; a generic default applies when it is absent.
 */
export interface ModelEntry {
  /** Architectures by Hugging Face class name (`BertForMaskedLM`, …). */
  readonly architectures: Readonly<Record<string, ModelArchitecture>>;
  /** Used when `config.architectures` is absent. */
  readonly defaultArchitecture: string;
  /** The architecture a checkpoint is loaded as for each task (`fill-mask` → `BertForMaskedLM`), as Hugging Face's AutoModelFor… mappings. */
  readonly taskArchitectures?: Readonly<Record<string, string>>;
  /** Parameter naming by depth (layer-wise LR decay, freezing, re-initialisation). */
  readonly layerNaming?: LayerNaming;
  /** LoRA's default `targetModules`, as PEFT's per-family mapping (`query`, `value` for BERT). */
  readonly loraTargetModules?: readonly string[];
  /** Re-initialisation rules. */
  readonly initRules?: InitRules;
  /** The longest input, in tokens, a model of this config takes; undefined when it has no limit. */
  maxPositions?(config: HfConfig): number | undefined;
  /**
   * Hugging Face's `attribute_map`: the common config names (`hidden_size`, `num_hidden_layers`,
   * `num_attention_heads`, `max_position_embeddings`) → this family's config.json keys where they
   * differ (GPT-2: `n_embd`, `n_layer`, `n_head`, `n_positions`).
   */
  readonly attributeMap?: Readonly<Record<string, string>>;
  /** Pretraining from scratch: objectives, their data, a fresh model. */
  readonly pretraining?: PretrainingEntry;
  /** ONNX export (`@tfkit/onnx`): the family's graphs, written against a builder interface. */
  readonly onnx?: OnnxExportEntry;
  /**
   * The family's parsed config (what its models hold as `config`) from a config.json, without
   * building a model: what a pipeline reads when another runtime (ONNX Runtime) runs the model.
   */
  readConfig?(config: HfConfig, where: string): unknown;
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

/**
 * A runtime other than tfkit's own that serves model folders (ONNX Runtime through `@tfkit/onnx`):
 * `pipeline()` hands it a folder that has no model.safetensors but files it accepts.
 */
export interface ModelRuntimeEntry {
  readonly description: string;
  /** Whether `files` holds a model this runtime runs (cheap: looks for its files). */
  accepts(files: FileSource): Promise<boolean>;
  /** The task's pipeline over `files`, as `pipeline()` returns it. */
  pipeline(task: string, files: FileSource, options: PipelineOptions): Promise<unknown>;
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
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ModelRuntimeEntries {}

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
  /** Runtimes `pipeline()` hands non-tfkit model folders to (reached with `registry.ns('modelRuntime')`). */
  modelRuntime: NamespaceSpec<ModelRuntimeEntries, ModelRuntimeEntry>;
}
