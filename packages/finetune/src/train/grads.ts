/**
 * `tf.variableGrads` that leaves nothing behind when the loss function fails. tfjs keeps the
 * tensors the backward pass needs on a tape that only a completed gradient computation frees: a
 * forward pass that throws half-way (a bad batch, a shape error in a custom loss) would leak every
 * tensor saved so far. Here the failure is caught inside the taped function, which then returns a
 * constant so tfjs finishes and frees its tape, and the error is raised afterwards.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FinetuneError } from '../errors.js';
import { variableGradsFreeing } from './backprop.js';

/** The loss (read back) and the gradients of `vars` by variable name; the caller disposes the gradients. */
export function lossAndGrads(f: () => tf.Scalar, vars: tf.Variable[]): { value: number; grads: Map<string, tf.Tensor> } {
  let failure: { error: unknown } | undefined;
  const taped = (): tf.Scalar => {
    try {
      const loss = f();
      if (loss instanceof tf.Tensor && loss.rank === 0) return loss;
      const shape = loss instanceof tf.Tensor ? `a tensor of shape [${loss.shape}]` : String(loss);
      failure = { error: new FinetuneError(`Trainer: the loss must be a scalar tensor, got ${shape}; reduce it (tf.mean) in computeLoss`) };
    } catch (error) {
      failure = { error };
    }
    return tf.scalar(0);
  };
  let result: { value: tf.Scalar; grads: tf.NamedTensorMap } | undefined;
  try {
    // The tidy frees what a failing variableGrads allocated outside its tape (its value, partial gradients).
    result = tf.tidy(() => {
      const r = variableGradsFreeing(taped, vars);
      if (failure) throw failure.error;
      return r;
    });
  } catch (error) {
    throw failure ? failure.error : error;
  }
  const grads = new Map<string, tf.Tensor>();
  for (const [name, g] of Object.entries(result.grads)) if (g) grads.set(name, g);
  const value = result.value.dataSync()[0] as number;
  result.value.dispose();
  return { value, grads };
}
