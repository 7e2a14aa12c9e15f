/**
 * Types shared by every model family: what a checkpoint is, what `fromPretrained` takes, and what a
 * pretrained model offers. Types only: importing this file loads no TensorFlow.js.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { Registry } from './registry/registry.js';
import type { FileSource, SourceOptions } from './io/types.js';

/** Hugging Face `config.json`, as parsed JSON. */
export type HfConfig = Record<string, unknown>;

/** Named tensors, in file order. */
export type TensorMap = Map<string, Tensor>;

export interface Checkpoint {
  /** Where the checkpoint came from (a path, URL or hub id), for error messages. */
  readonly source: string;
  readonly config: HfConfig;
  readonly generationConfig: HfConfig | undefined;
  /** The weights, by Hugging Face state-dict name. Whoever loads a checkpoint disposes them. */
  readonly weights: TensorMap;
  /** The safetensors `__metadata__` (merged across shards). */
  readonly metadata: Record<string, string>;
  /** The source the checkpoint was read from, to read further files (tokenizer.json, …). */
  readonly files: FileSource;
}

export interface FromPretrainedOptions extends SourceOptions {
  /** The registry that knows the model families. */
  registry: Registry;
  /** Architecture (class) name to build instead of `config.architectures[0]`. */
  architecture?: string;
  /** Keys merged over the checkpoint's `config.json` before the model is built. */
  configOverrides?: HfConfig;
  /** Fail on missing or unexpected weights (default true). */
  strict?: boolean;
}

export interface SavePretrainedOptions {
  /** Extra `__metadata__` entries for model.safetensors. */
  metadata?: Record<string, string>;
  /**
   * How float weights are stored (default `float32`): `float16`, or `int8` — tfkit's own
   * per-channel int8 format (about a quarter of float32; each matrix's channel axis is the one
   * that quantizes with the smaller error), which tfkit loads back as float32.
   */
  dtype?: 'float32' | 'float16' | 'int8';
}

/** What every model built by `AutoModel` offers. */
export interface PretrainedModel {
  /** Hugging Face `model_type`. */
  readonly modelType: string;
  /** The Hugging Face class name this model corresponds to. */
  readonly architecture: string;
  /** Writes config.json + model.safetensors that Hugging Face transformers loads. */
  savePretrained(dir: string, options?: SavePretrainedOptions): Promise<void>;
  dispose(): void;
}
