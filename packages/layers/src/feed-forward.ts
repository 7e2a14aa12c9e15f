/**
 * Position-wise feed-forward network (Vaswani et al., 2017, §3.3): W₂·act(W₁·x + b₁) + b₂, applied
 * to every position independently, as Hugging Face's BART (fc1 / fc2) names it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { getActivation, type Random } from '@tfkit/core-tensor';
import { Dropout } from './dropout.js';
import { Linear, linearActivated } from './linear.js';
import { Module } from './module.js';

export interface FeedForwardOptions {
  /** Hugging Face activation name (default 'gelu'). */
  activation?: string;
  /** Dropout after the activation, in training only (BART's `activation_dropout`; default 0). */
  activationDropout?: number;
  bias?: boolean;
  initStd?: number;
  rng?: Random;
}

export class FeedForward extends Module {
  readonly activation: string;
  fc1: Linear;
  fc2: Linear;
  activation_dropout: Dropout;

  constructor(dim: number, hiddenDim: number, options: FeedForwardOptions = {}) {
    super();
    this.activation = options.activation ?? 'gelu';
    getActivation(this.activation); // an unknown name fails here, not at the first forward
    const lin = { bias: options.bias ?? true, initStd: options.initStd, rng: options.rng };
    this.fc1 = new Linear(dim, hiddenDim, lin);
    this.fc2 = new Linear(hiddenDim, dim, lin);
    this.activation_dropout = new Dropout(options.activationDropout ?? 0);
  }

  /** `[..., dim]` → `[..., dim]` */
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.fc2.forward(this.activation_dropout.forward(linearActivated(this.fc1, x, this.activation))));
  }
}
