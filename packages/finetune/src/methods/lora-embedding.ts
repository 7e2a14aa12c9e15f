/**
 * LoRA on an `Embedding`, following PEFT's `lora.Embedding`: y = base(ids) + (α/r) · (A^T[ids]) · B^T
 * with A `[r, numEmbeddings]` = 0 and B `[embeddingDim, r]` ~ N(0, 1), so training starts from the
 * base model. PEFT names the weights `lora_embedding_A.<adapter>` / `lora_embedding_B.<adapter>`
 * (parameters, not modules) and applies no dropout to embeddings.
 *
 * Stored transposed — A^T `[numEmbeddings, r]` is looked up like an embedding table and B^T
 * `[r, embeddingDim]` is a plain 2-D matMul — and saved in PEFT's orientation.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Random } from '@tfkit/core-tensor';
import { embeddingLookup, linear } from '@tfkit/core-tensor';
import type { Embedding } from '@tfkit/layers';
import { Module, Parameter } from '@tfkit/layers';
import { FinetuneError } from '../errors.js';
import { LoraLayerBase, type LoraLayerConfig } from './lora-layer.js';

/** A string-keyed container of parameters (PyTorch `nn.ParameterDict`): parameters are named by key. */
export class ParameterDict extends Module {
  private readonly items = new Map<string, Parameter>();

  override ownParameters(): [string, Parameter][] {
    return [...this.items];
  }

  get(key: string): Parameter | undefined {
    return this.items.get(key);
  }

  set(key: string, p: Parameter): void {
    if (!key || key.includes('.')) throw new FinetuneError(`ParameterDict keys must be non-empty and contain no ".", got "${key}"`);
    this.items.set(key, p);
  }

  delete(key: string): boolean {
    this.items.get(key)?.dispose();
    return this.items.delete(key);
  }

  keys(): string[] {
    return [...this.items.keys()];
  }
}

export class LoraEmbedding extends LoraLayerBase<Embedding> {
  lora_embedding_A = new ParameterDict();
  lora_embedding_B = new ParameterDict();

  /** The base table, so code that reads `embedding.weight` (a tied LM head) keeps working. */
  get weight(): Parameter {
    return this.base_layer.weight;
  }

  /** Adds adapter `name`: A = 0, B ~ N(0, 1) (PEFT's init for embeddings). */
  addAdapter(name: string, config: LoraLayerConfig, rng: Random): void {
    this.register(name, config);
    const { numEmbeddings, embeddingDim } = this.base_layer;
    const b = new Float32Array(config.r * embeddingDim);
    for (let i = 0; i < b.length; i++) b[i] = rng.normal(0, 1);
    this.lora_embedding_A.set(name, Parameter.adopt(tf.zeros([numEmbeddings, config.r]), { layout: 'transposed' }));
    this.lora_embedding_B.set(name, Parameter.adopt(tf.tensor2d(b, [config.r, embeddingDim]), { layout: 'transposed' }));
  }

  adapterNames(): string[] {
    return this.lora_embedding_A.keys();
  }

  /** A^T `[numEmbeddings, r]` and B^T `[r, embeddingDim]` of an adapter (owned by the layer). */
  weights(name: string): { A: Parameter; B: Parameter } {
    const a = this.lora_embedding_A.get(name);
    const b = this.lora_embedding_B.get(name);
    if (!a || !b) throw new FinetuneError(`LoRA: no adapter "${name}" on this layer (have: ${this.adapterNames().join(', ') || 'none'})`);
    return { A: a, B: b };
  }

  protected adapterOutput(name: string, ids: tf.Tensor, scale: number): tf.Tensor {
    const { A, B } = this.weights(name);
    // PEFT looks A up with the base layer's padding_idx, so the padding row of A gets no gradient.
    const lookup = embeddingLookup(A.value, ids, { paddingIdx: this.base_layer.paddingIdx });
    const rows = tf.reshape(lookup, [-1, A.value.shape[1] as number]);
    return tf.reshape(linear(rows, tf.mul(B.value, scale)), [...ids.shape, this.base_layer.embeddingDim]);
  }

  protected removeWeights(name: string): void {
    this.lora_embedding_A.delete(name);
    this.lora_embedding_B.delete(name);
  }
}
