/**
 * Tiny models for the package's tests: a bag-of-embeddings classifier with named layers
 * (`embeddings`, `encoder.layer.N`, `classifier`), built from @tfkit/layers only.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@tfkit/core-tensor';
import { Dropout, Embedding, LayerNorm, Linear, Module, ModuleList } from '@tfkit/layers';
import type { Batch } from '../data/collator.js';
import { Dataset } from '../data/dataset.js';

export class ToyLayer extends Module {
  dense: Linear;
  LayerNorm: LayerNorm;
  dropout: Dropout;
  constructor(dim: number, rng: Random, dropout: number) {
    super();
    this.dense = new Linear(dim, dim, { rng, initStd: 0.2 });
    this.LayerNorm = new LayerNorm(dim);
    this.dropout = new Dropout(dropout);
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.LayerNorm.forward(tf.add(x, this.dropout.forward(tf.tanh(this.dense.forward(x))))));
  }
}

export class ToyEncoder extends Module {
  layer: ModuleList<ToyLayer>;
  constructor(dim: number, layers: number, rng: Random, dropout: number) {
    super();
    this.layer = new ModuleList(Array.from({ length: layers }, () => new ToyLayer(dim, rng, dropout)));
  }
}

/** inputIds `[B, T]` (0 = padding) → mean of embeddings → layers → `classifier` logits `[B, C]`. */
export class ToyClassifier extends Module {
  embeddings: Embedding;
  encoder: ToyEncoder;
  classifier: Linear;

  constructor(options: { vocab?: number; dim?: number; layers?: number; classes?: number; seed?: number; dropout?: number } = {}) {
    super();
    const rng = new Random(options.seed ?? 0);
    const dim = options.dim ?? 8;
    this.embeddings = new Embedding(options.vocab ?? 12, dim, { rng, initStd: 0.5 });
    this.encoder = new ToyEncoder(dim, options.layers ?? 2, rng, options.dropout ?? 0);
    this.classifier = new Linear(dim, options.classes ?? 2, { rng, initStd: 0.2 });
  }

  forward(batch: Batch): { logits: tf.Tensor } {
    return tf.tidy(() => {
      const ids = batch['inputIds'] as tf.Tensor;
      const mask = tf.expandDims(tf.cast(tf.notEqual(ids, 0), 'float32'), 2);
      const emb = tf.mul(this.embeddings.forward(ids), mask);
      let h = tf.div(tf.sum(emb, 1), tf.maximum(tf.sum(mask, 1), 1));
      for (const layer of this.encoder.layer) h = layer.forward(h);
      return { logits: this.classifier.forward(h) };
    });
  }
}

export interface ToyExample {
  ids: number[];
  label: number;
  [key: string]: unknown;
}

/** Label 1 when the sequence contains token 3 (random tokens 5..11 otherwise); learnable by a bag-of-embeddings model. */
export function toyDataset(n: number, seed = 1): Dataset<ToyExample> {
  const rng = new Random(seed);
  const items: ToyExample[] = [];
  for (let i = 0; i < n; i++) {
    const len = 2 + rng.int(5);
    const ids = Array.from({ length: len }, () => 5 + rng.int(7));
    const label = rng.int(2);
    if (label === 1) ids[rng.int(len)] = 3;
    items.push({ ids, label });
  }
  return Dataset.fromArray(items);
}

/** Pads `ids` with 0 and stacks labels. */
export function toyCollator(examples: ToyExample[]): Batch {
  const len = Math.max(...examples.map((e) => e.ids.length));
  const data = new Int32Array(examples.length * len);
  examples.forEach((e, i) => data.set(e.ids, i * len));
  return { inputIds: tf.tensor2d(data, [examples.length, len], 'int32'), labels: tf.tensor1d(examples.map((e) => e.label), 'int32') };
}
