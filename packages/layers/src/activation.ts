/**
 * Activation functions as a module, chosen by their Hugging Face names (`hidden_act` /
 * `activation_function`): relu, gelu (exact, erf), gelu_new / gelu_pytorch_tanh (tanh
 * approximation, GPT-2), quick_gelu, silu / swish, tanh, sigmoid, linear.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { getActivation } from '@tfkit/core-tensor';
import { Module } from './module.js';

export class Activation extends Module {
  readonly activation: string;
  private readonly fn: (x: tf.Tensor) => tf.Tensor;

  /** An unknown name is a `ConfigError` that lists the known ones. */
  constructor(name: string) {
    super();
    this.activation = name;
    this.fn = getActivation(name);
  }

  forward(x: tf.Tensor): tf.Tensor {
    return this.fn(x);
  }
}
