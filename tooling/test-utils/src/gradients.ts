// Directional finite-difference checks of a model's analytic gradients, one parameter at a time.
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

/** A parameter as the check needs it (tfkit's `Parameter` fits). */
export interface CheckedParameter {
  readonly variable: tf.Variable;
}

export interface DirectionalGradientOptions {
  /** Draws the direction's entries, parameter after parameter (e.g. core-tensor's seeded `Random`). */
  rng: { normal(): number };
  /** Step of the central difference (default 1e-2). */
  eps?: number;
  atol: number;
  rtol: number;
}

/**
 * For every parameter, draws a random direction d and expects the analytic derivative along it,
 * Σ grad · d, to match the central difference (loss(p + εd) − loss(p − εd)) / 2ε within
 * `atol + rtol · |numeric|`. Each parameter is restored afterwards; the caller disposes the gradients.
 */
export function expectDirectionalGradients(
  params: Iterable<readonly [string, CheckedParameter]>,
  loss: () => tf.Scalar,
  gradient: (name: string, p: CheckedParameter) => tf.Tensor,
  options: DirectionalGradientOptions,
): void {
  const eps = options.eps ?? 1e-2;
  for (const [name, p] of params) {
    const direction = tf.tensor(Array.from({ length: p.variable.size }, () => options.rng.normal()), p.variable.shape);
    const original = tf.clone(p.variable);
    const at = (sign: number): number => {
      tf.tidy(() => p.variable.assign(tf.add(original, tf.mul(direction, sign * eps))));
      return tf.tidy(() => loss().dataSync()[0]!);
    };
    const numeric = (at(1) - at(-1)) / (2 * eps);
    p.variable.assign(original);
    const analytic = tf.tidy(() => tf.sum(tf.mul(gradient(name, p), direction)).dataSync()[0]!);
    expect(Math.abs(analytic - numeric), `${name}: analytic ${analytic}, numeric ${numeric}`).toBeLessThan(options.atol + options.rtol * Math.abs(numeric));
    tf.dispose([direction, original]);
  }
}
