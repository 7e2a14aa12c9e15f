/**
 * Layer normalisation over the last axis: γ · (x − μ) / √(σ² + ε) + β.
 */
import * as tf from '@tensorflow/tfjs-core';

export function layerNorm(x: tf.Tensor, gamma: tf.Tensor | null, beta: tf.Tensor | null, epsilon = 1e-5): tf.Tensor {
  return tf.tidy(() => {
    const axis = x.rank - 1;
    const mean = tf.mean(x, axis, true);
    const centered = tf.sub(x, mean);
    const variance = tf.mean(tf.mul(centered, centered), axis, true);
    let y = tf.mul(centered, tf.rsqrt(tf.add(variance, epsilon)));
    if (gamma) y = tf.mul(y, gamma);
    if (beta) y = tf.add(y, beta);
    return y;
  });
}
