/**
 * Which inputs of a custom-gradient op the running backward pass wants gradients for.
 *
 * `tf.customGrad` gradient functions must return a gradient for every input, and tfjs computes
 * them all, even for an input that leads to no trainable variable — a frozen weight under LoRA,
 * the token embedding tied to a language model's head. For a dense layer that is a second matMul
 * as large as the first (and GPT-2's head: a vocab × hidden product and a transposed copy of the
 * batch × length × vocab gradient). A backward pass that knows which inputs it needs (finetune's
 * `variableGradsFreeing`) says so around each gradient function with `withNeededGradients`; the
 * gradient functions of tfkit's ops ask `gradientNeeded(i)` and return `skippedGradient()` for the
 * others, which that pass never reads. Everywhere else (tfjs's own `tf.grad`, …) nothing is set
 * and every gradient is computed as before.
 */
import * as tf from '@tensorflow/tfjs-core';

let needed: ReadonlySet<string> | null = null;

/** Runs `fn` (a custom-gradient op's gradient function) telling it which inputs, by index as a string ('0', '1', …), need gradients; `null`: all. */
export function withNeededGradients<T>(inputs: ReadonlySet<string> | null, fn: () => T): T {
  const previous = needed;
  needed = inputs;
  try {
    return fn();
  } finally {
    needed = previous;
  }
}

/** Whether the backward pass now running needs the gradient of input `index` of the op whose gradient is being taken (true unless told otherwise). */
export function gradientNeeded(index: number): boolean {
  return needed === null || needed.has(String(index));
}

/** What a gradient function returns for an input whose gradient is not needed: an empty tensor, never read. */
export function skippedGradient(): tf.Tensor {
  return tf.zeros([0]);
}
