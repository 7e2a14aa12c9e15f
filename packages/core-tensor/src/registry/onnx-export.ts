/**
 * What a model family gives `@tfkit/onnx` to export its models: graph-building functions typed
 * against `OnnxGraphBuilder`, an interface only. The family never imports protobuf or `@tfkit/onnx`;
 * `@tfkit/onnx` implements the builder and writes the files. Types only: no TensorFlow.js is loaded.
 *
 * Values in a graph are named by strings: every builder method takes value names and returns the
 * name of what it adds, so a family writes its forward pass as in its modeling file:
 *
 * ```ts
 * const ids = g.addInput('input_ids', 'int64', ['batch_size', 'sequence_length']);
 * let h = g.embedding(model.embeddings.word_embeddings.weight.value, ids, 'embeddings.word_embeddings');
 * h = g.layerNorm(h, { weight: ln.weight.value, bias: ln.bias.value }, 1e-12, 'embeddings.LayerNorm');
 * g.addOutput('last_hidden_state', h, 'float32', ['batch_size', 'sequence_length', hidden]);
 * ```
 *
 * Besides the types, the helpers below (errors only, no TensorFlow.js) read a family's layers into
 * builder parameters and make the `OnnxExportEntry` of a family exported as one graph.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { ConfigError } from '../errors.js';
import type { HfConfig, PretrainedModel } from '../model-types.js';

/** ONNX element types the builder writes. */
export type OnnxDtype = 'float32' | 'float16' | 'int64' | 'int32' | 'bool';

/**
 * One dimension of an input or output: a size, or the symbolic name of a dynamic axis
 * (`batch_size`, `sequence_length`, `past_sequence_length`, … as Optimum names them).
 */
export type OnnxDim = number | string;

/** Raw tensor data for an initializer that is not a TensorFlow.js tensor. */
export interface OnnxTensorData {
  readonly dtype: OnnxDtype;
  readonly dims: readonly number[];
  /** Row-major values; int64 as numbers (exact up to 2^53) or a BigInt64Array. */
  readonly data: Float32Array | Int32Array | BigInt64Array | Uint8Array | readonly number[];
}

/**
 * A node attribute. A number that is an integer is written as INT, any other number as FLOAT;
 * wrap a number in `{ float }` (or a list in `{ floats }`) to force FLOAT (`{ float: 1 }`).
 * Lists of integers are INTS, strings STRING, lists of strings STRINGS, `{ tensor }` a TENSOR.
 */
export type OnnxAttribute =
  | number
  | string
  | readonly number[]
  | readonly string[]
  | { readonly float: number }
  | { readonly floats: readonly number[] }
  | { readonly tensor: OnnxTensorData };

/** A linear layer's parameters as tfkit keeps them: weight `[in, out]` (MatMul layout), optional bias `[out]`. */
export interface OnnxLinearParams {
  readonly weight: Tensor;
  readonly bias?: Tensor | null | undefined;
}

/** A normalisation's affine parameters `[C]`; null/absent means 1 (weight) and 0 (bias). */
export interface OnnxNormParams {
  readonly weight?: Tensor | null | undefined;
  readonly bias?: Tensor | null | undefined;
}

export interface OnnxAttentionArgs {
  /** `[B, H, T, D]` */
  readonly query: string;
  /** `[B, H, S, D]` */
  readonly key: string;
  /** `[B, H, S, D]` */
  readonly value: string;
  /** Additive float mask broadcastable to `[B, H, T, S]` (0 keep, a large negative value drop), e.g. from `additiveMask`. */
  readonly mask?: string | undefined;
  /** Scores are multiplied by this (default 1/√D, from `headDim`). */
  readonly scale?: number | undefined;
  /** D, the per-head size (needed for the default scale). */
  readonly headDim: number;
  /** Node name prefix. */
  readonly name?: string | undefined;
}

/**
 * Builds one ONNX graph. Every method returns the name of the value it made. Helpers choose ops
 * by `opset` (LayerNormalization from 17, decomposed below; Gelu from 20, decomposed below).
 */
export interface OnnxGraphBuilder {
  /** The opset the graph is written for. */
  readonly opset: number;
  /** A value or node name not used yet in this graph, from a prefix. */
  uniqueName(prefix: string): string;
  /** Declares a graph input; strings in `dims` are dynamic axes (renamed or fixed by the export options). */
  addInput(name: string, dtype: OnnxDtype, dims: readonly OnnxDim[]): string;
  /** Declares a graph output `name` holding `value` (an Identity node is added when the names differ). */
  addOutput(name: string, value: string, dtype: OnnxDtype, dims: readonly OnnxDim[]): void;
  /**
   * A weight as an initializer (its values are read now). The same tensor object added twice is
   * stored once (tied weights), under the first name.
   */
  addInitializer(name: string, tensor: Tensor | OnnxTensorData): string;
  /** A small constant (shapes, axes, scalars) as an initializer; `dims` default `[values.length]`, `[]` for a scalar. */
  constant(values: readonly number[], dtype: OnnxDtype, dims?: readonly number[]): string;
  /**
   * Adds a node of the default domain (or `options.domain`); returns its `outputs` (default 1) value
   * names. `options.name` is a prefix: the node gets it, or it with a suffix when it is taken.
   */
  addNode(
    opType: string,
    inputs: readonly string[],
    attributes?: Readonly<Record<string, OnnxAttribute>>,
    options?: { readonly outputs?: number; readonly name?: string; readonly domain?: string },
  ): string[];
  /** `addNode` for the common case of one output; `name` as `options.name` there. */
  op(opType: string, inputs: readonly string[], attributes?: Readonly<Record<string, OnnxAttribute>>, name?: string): string;

  /** x `[..., in]` · weight `[in, out]` (+ bias): MatMul then Add. Initializers are named `<name>.weight`/`<name>.bias`. */
  linear(x: string, params: OnnxLinearParams, name: string): string;
  /** Layer normalisation over the last axis: LayerNormalization (opset ≥ 17) or its decomposition. */
  layerNorm(x: string, params: OnnxNormParams, eps: number, name: string): string;
  /** GELU: `erf` (exact, BERT/ViT "gelu") or `tanh` (GPT-2 "gelu_new"); Gelu op from opset 20. */
  gelu(x: string, form: 'erf' | 'tanh'): string;
  /** A Hugging Face activation by config name (`gelu`, `gelu_new`, `relu`, `tanh`, `silu`, `quick_gelu`, …). */
  activation(x: string, hfName: string): string;
  /** Softmax along `axis` (default −1). */
  softmax(x: string, axis?: number): string;
  /** Rows of `table` `[N, C]` at integer `ids` `[...]` → `[..., C]` (Gather); the table is named `<name>.weight`. */
  embedding(table: Tensor, ids: string, name: string): string;
  /** `[B, S]` 1/0 mask (any integer or bool type) → additive float `[B, 1, 1, S]`: 0 where 1, float32 min where 0. */
  additiveMask(mask: string): string;
  /** `[B, T, H·D]` → `[B, H, T, D]` */
  splitHeads(x: string, numHeads: number, headDim: number): string;
  /** `[B, H, T, D]` → `[B, T, H·D]` */
  mergeHeads(x: string, numHeads: number, headDim: number): string;
  /** softmax(q·kᵀ·scale + mask)·v: `[B, H, T, D]`. */
  attention(args: OnnxAttentionArgs): string;
  /**
   * An `If` node on a bool `condition` (one element). Each branch builds a subgraph into the builder
   * it is given (which may read this graph's values and weights) and returns its results, one per
   * entry of `outputs` (type and shape, the same in both branches). Returns the If node's outputs.
   */
  ifElse(
    condition: string,
    outputs: readonly { readonly dtype: OnnxDtype; readonly dims: readonly OnnxDim[] }[],
    thenBranch: (branch: OnnxGraphBuilder) => readonly string[],
    elseBranch: (branch: OnnxGraphBuilder) => readonly string[],
  ): string[];
}

/** Export settings a family's graphs see. */
export interface OnnxExportContext {
  readonly opset: number;
  /** Past key/value inputs and present outputs (decoders), as transformers.js and Optimum lay them out. */
  readonly withPast: boolean;
  /** The task the export is for, when the caller named one (`text-generation`, `feature-extraction`, …). */
  readonly task?: string | undefined;
}

/** One ONNX file of an export. */
export interface OnnxGraphSpec {
  /** Path inside the export folder, e.g. `onnx/model.onnx`, `onnx/decoder_with_past_model.onnx`. */
  readonly file: string;
  /** Graph name written into the model. */
  readonly name?: string;
  /** Adds the inputs, nodes and outputs. */
  build(graph: OnnxGraphBuilder): void;
}

/** A family's ONNX export: on `ModelEntry.onnx`. */
export interface OnnxExportEntry {
  /** Lowest opset its graphs are written for (default 14). */
  readonly minOpset?: number;
  /** The graphs of `model` (which the caller keeps ownership of), or a ConfigError when the architecture has no export. */
  graphs(model: PretrainedModel, context: OnnxExportContext): readonly OnnxGraphSpec[];
  /** The `config.json` written beside the graphs, as `savePretrained` writes it. */
  hfConfig(model: PretrainedModel): HfConfig;
}

/** A parameter as tfkit layers hold it (`.value` is the tensor). */
interface ParamLike {
  readonly value?: Tensor | undefined;
}

const UNMERGED = 'call mergeAndUnload() on the LoRA model before exporting';

/**
 * A Linear layer's parameters (weight `[in, out]`, optional bias) at `path`; a module that is not a
 * plain Linear (a LoRA adapter left unmerged) is a ConfigError that says to merge it first.
 */
export function onnxLinearOf(module: unknown, path: string): OnnxLinearParams {
  const m = module as { weight?: ParamLike | null; bias?: ParamLike | null } | null;
  const weight = m?.weight?.value;
  if (!weight || weight.rank !== 2) {
    throw new ConfigError(`ONNX export: ${path} is not a plain Linear layer (an adapter that is not merged?); ${UNMERGED}`);
  }
  return { weight, bias: m?.bias?.value ?? null };
}

/** An Embedding's table `[N, C]` at `path`; a module that is not a plain Embedding is a ConfigError as in `onnxLinearOf`. */
export function onnxEmbeddingOf(module: unknown, path: string): Tensor {
  const weight = (module as { weight?: ParamLike | null } | null)?.weight?.value;
  if (!weight || weight.rank !== 2) {
    throw new ConfigError(`ONNX export: ${path} is not a plain Embedding (an adapter that is not merged?); ${UNMERGED}`);
  }
  return weight;
}

/** A LayerNorm's affine parameters (null where the layer has none). */
export function onnxNormOf(module: { readonly weight: ParamLike | null; readonly bias: ParamLike | null }): OnnxNormParams {
  return { weight: module.weight?.value ?? null, bias: module.bias?.value ?? null };
}

/** What a family exported as one graph, `onnx/model.onnx`, says about itself to `singleGraphOnnxExport`. */
export interface SingleGraphOnnxFamily<M extends PretrainedModel> {
  /** The family's name in errors (`BERT`, `ViT`). */
  readonly family: string;
  /** The family's base class: any other model given to the export is a ConfigError. */
  readonly modelClass: abstract new (...args: never[]) => M;
  /** Lowest opset the graph is written for (default 14). */
  readonly minOpset?: number;
  /** Adds the model's inputs, nodes and outputs (a ConfigError for an architecture with no export). */
  build(graph: OnnxGraphBuilder, model: M): void;
  /** The `config.json` written beside the graph. */
  hfConfig(model: M): HfConfig;
}

/** `ModelEntry.onnx` of a family whose every export is one graph, `onnx/model.onnx`, named after the architecture. */
export function singleGraphOnnxExport<M extends PretrainedModel>(family: SingleGraphOnnxFamily<M>): OnnxExportEntry {
  const own = (model: PretrainedModel): M => {
    if (!(model instanceof family.modelClass)) throw new ConfigError(`ONNX export: a ${model.architecture} is not a tfkit ${family.family} model`);
    return model;
  };
  return {
    minOpset: family.minOpset ?? 14,
    graphs(model) {
      const m = own(model);
      return [{ file: 'onnx/model.onnx', name: m.architecture, build: (g) => family.build(g, m) }];
    },
    hfConfig(model) {
      return family.hfConfig(own(model));
    },
  };
}
