/**
 * What the task pipelines share: the model and tokenizer they take, batching encodings into
 * model inputs, and numerically careful softmax/sigmoid on plain arrays.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '@tfkit/core-tensor';
import { checkTokenizerFitsModel } from '@tfkit/layers';
import type { Encoding, Tokenizer } from '@tfkit/tokenizers';
import type { BertConfig } from '../bert-config.js';
import type { BertModelInputs } from '../bert-modeling.js';

/** A model a pipeline can drive: BERT-style inputs, named tensor outputs, a BERT-like config. */
export interface PipelineModel {
  readonly config: Pick<BertConfig, 'id2label' | 'problemType' | 'maxPositionEmbeddings' | 'vocabSize'>;
  forward(inputs: BertModelInputs): object;
  dispose?(): void;
}

export interface PipelineOptions<M extends PipelineModel = PipelineModel> {
  model: M;
  tokenizer: Tokenizer;
}

/** Reads a named output tensor; a clear error when the model lacks that head. */
export function outputTensor(out: object, name: string, task: string): tf.Tensor {
  const t = (out as Record<string, unknown>)[name];
  if (!t || typeof t !== 'object' || !('shape' in t)) {
    throw new ConfigError(`${task}: the model's output has no "${name}"; load the checkpoint with the architecture this task needs`);
  }
  return t as tf.Tensor;
}

/** The longest input the model takes: the tokenizer's model_max_length, capped by the position table. */
export function maxInputLength(options: PipelineOptions, requested?: number): number {
  const limits = [options.model.config.maxPositionEmbeddings, options.tokenizer.modelMaxLength, requested].filter((n): n is number => typeof n === 'number' && n > 0);
  return Math.min(...limits);
}

/** `[batch, seq]` model inputs from encodings of equal length. */
export function batchInputs(encodings: readonly Encoding[]): { inputIds: number[][]; attentionMask: number[][]; tokenTypeIds: number[][] } {
  return {
    inputIds: encodings.map((e) => e.ids),
    attentionMask: encodings.map((e) => e.attentionMask),
    tokenTypeIds: encodings.map((e) => e.typeIds),
  };
}

export function softmax(logits: readonly number[]): number[] {
  const max = Math.max(...logits);
  const exps = logits.map((z) => Math.exp(z - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** Label name of class `i` (`LABEL_i` when the config has none). */
export function labelOf(config: PipelineModel['config'], i: number): string {
  return config.id2label[i] ?? `LABEL_${i}`;
}

/** Holds the model and tokenizer; `dispose()` frees the model's weights. */
export abstract class Pipeline {
  abstract readonly task: string;
  readonly model: PipelineModel;
  readonly tokenizer: Tokenizer;

  /** A tokenizer with more ids than the model has embeddings is a `TokenizerMismatchError`. */
  constructor(options: PipelineOptions) {
    checkTokenizerFitsModel(options.tokenizer.vocabSize, options.model.config.vocabSize, 'pipeline');
    this.model = options.model;
    this.tokenizer = options.tokenizer;
  }

  dispose(): void {
    this.model.dispose?.();
  }
}
