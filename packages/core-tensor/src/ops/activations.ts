/**
 * Activation functions by their Hugging Face names (`hidden_act` / `activation_function`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '../errors.js';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** Exact GELU: x · Φ(x) = 0.5 · x · (1 + erf(x / √2)). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))));
}

/** Tanh approximation of GELU ("gelu_new", "gelu_pytorch_tanh"; GPT-2). Uses x·x·x, not pow. */
export function geluTanh(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const cube = tf.mul(tf.mul(x, x), x);
    const inner = tf.mul(tf.add(x, tf.mul(cube, 0.044715)), SQRT_2_OVER_PI);
    return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(inner)));
  });
}

/** x · sigmoid(1.702 x) ("quick_gelu"). */
export function quickGelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(tf.mul(x, 1.702))));
}

export function silu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(x)));
}

export type ActivationName =
  | 'relu' | 'gelu' | 'gelu_new' | 'gelu_pytorch_tanh' | 'gelu_fast' | 'quick_gelu' | 'silu' | 'swish' | 'tanh' | 'sigmoid' | 'linear';

const ACTIVATIONS: Record<ActivationName, (x: tf.Tensor) => tf.Tensor> = {
  relu: (x) => tf.relu(x),
  gelu,
  gelu_new: geluTanh,
  gelu_pytorch_tanh: geluTanh,
  gelu_fast: geluTanh,
  quick_gelu: quickGelu,
  silu,
  swish: silu,
  tanh: (x) => tf.tanh(x),
  sigmoid: (x) => tf.sigmoid(x),
  linear: (x) => x,
};

/** The activation function for a Hugging Face name; an unknown name is a `ConfigError` listing the known ones. */
export function getActivation(name: string): (x: tf.Tensor) => tf.Tensor {
  const fn = (ACTIVATIONS as Record<string, ((x: tf.Tensor) => tf.Tensor) | undefined>)[name];
  if (!fn) throw new ConfigError(`unknown activation "${name}"; known: ${Object.keys(ACTIVATIONS).join(', ')}`);
  return fn;
}
