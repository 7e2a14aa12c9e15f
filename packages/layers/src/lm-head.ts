/**
 * The projection to the vocabulary of a language model, held in the token table's layout so it can be tied to it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { matMul2d } from '@tfkit/core-tensor';
import { Module, type Parameter } from './module.js';

/**
 * `[N, C]` → `[N, vocab]` logits with a bias-free weight of shape `[vocab, C]`: the token
 * embedding's own `Parameter` when the head is tied to it (Hugging Face's `tie_word_embeddings`),
 * or a separate one of the same layout.
 */
export class LMHead extends Module {
  weight: Parameter;

  constructor(weight: Parameter) {
    super();
    this.weight = weight;
  }

  /** `[N, C]` → `[N, vocab]`: an explicit transpose, then a 2-D matMul (the fast path on wasm). */
  forward(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => matMul2d(x, tf.transpose(this.weight.value) as tf.Tensor2D));
  }
}
