/**
 * A one-layer self-attention classifier for tests that accepts `pastKeyValues` and an attention
 * mask over past + input, the interface prefix tuning needs (as tfkit's GPT-2 and BERT take it).
 */
import * as tf from '@tensorflow/tfjs-core';
import { paddingMask, Random, scaledDotProductAttention } from '@tfkit/core-tensor';
import { Embedding, Linear, Module, ModuleList } from '@tfkit/layers';
import type { LayerKeyValue } from '../methods/prefix-tuning.js';

export class ToyAttentionLayer extends Module {
  query: Linear;
  key: Linear;
  value: Linear;
  readonly heads: number;
  constructor(dim: number, heads: number, rng: Random) {
    super();
    this.heads = heads;
    this.query = new Linear(dim, dim, { rng, initStd: 0.3 });
    this.key = new Linear(dim, dim, { rng, initStd: 0.3 });
    this.value = new Linear(dim, dim, { rng, initStd: 0.3 });
  }
  private split(x: tf.Tensor, b: number, t: number): tf.Tensor4D {
    const d = (x.shape[2] as number) / this.heads;
    return tf.transpose(tf.reshape(x, [b, t, this.heads, d]), [0, 2, 1, 3]) as tf.Tensor4D;
  }
  forward(x: tf.Tensor, mask: tf.Tensor, past?: LayerKeyValue): tf.Tensor {
    return tf.tidy(() => {
      const [b, t, c] = x.shape as [number, number, number];
      const q = this.split(this.query.forward(x), b, t);
      let k = this.split(this.key.forward(x), b, t);
      let v = this.split(this.value.forward(x), b, t);
      if (past) {
        k = tf.concat([past.key, k], 2);
        v = tf.concat([past.value, v], 2);
      }
      const { output } = scaledDotProductAttention(q, k, v, mask);
      return tf.add(x, tf.reshape(tf.transpose(output, [0, 2, 1, 3]), [b, t, c]));
    });
  }
}

export class ToyAttentionClassifier extends Module {
  embeddings: Embedding;
  layer: ModuleList<ToyAttentionLayer>;
  classifier: Linear;
  constructor(options: { vocab?: number; dim?: number; heads?: number; layers?: number; classes?: number; seed?: number } = {}) {
    super();
    const rng = new Random(options.seed ?? 0);
    const dim = options.dim ?? 8;
    this.embeddings = new Embedding(options.vocab ?? 12, dim, { rng, initStd: 0.5 });
    this.layer = new ModuleList(Array.from({ length: options.layers ?? 2 }, () => new ToyAttentionLayer(dim, options.heads ?? 2, rng)));
    this.classifier = new Linear(dim, options.classes ?? 2, { rng, initStd: 0.3 });
  }

  /** Mean of the last layer over real (non-prefix, non-padding) tokens → logits. */
  forward(inputs: { inputIds?: tf.Tensor; attentionMask?: tf.Tensor; pastKeyValues?: LayerKeyValue[] }): { logits: tf.Tensor } {
    return tf.tidy(() => {
      const ids = inputs['inputIds'] as tf.Tensor;
      const [b, t] = ids.shape as [number, number];
      const full = inputs['attentionMask'] ? tf.cast(inputs['attentionMask'], 'float32') : tf.ones([b, t]);
      const mask = paddingMask(full);
      let h = this.embeddings.forward(ids);
      [...this.layer].forEach((layer, i) => {
        h = layer.forward(h, mask, inputs.pastKeyValues?.[i]);
      });
      const own = tf.expandDims(tf.slice(full, [0, (full.shape[1] as number) - t], [b, t]), 2);
      const pooled = tf.div(tf.sum(tf.mul(h, own), 1), tf.maximum(tf.sum(own, 1), 1));
      return { logits: this.classifier.forward(pooled) };
    });
  }
}
