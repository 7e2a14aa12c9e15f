import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeaks } from '@tfkit/test-utils';
import { variableGradsFreeing } from '../train/backprop.js';

/**
 * The bytes in tensors when the backward pass of `forward` starts, over those before it: what the
 * forward left saved for the backward pass. Runs forward and backward through
 * `variableGradsFreeing` for `vars`, hands the gradients to `check`, and asserts nothing leaks.
 */
export async function bytesSavedForBackward(forward: () => tf.Tensor, vars: tf.Variable[], check?: (grads: Record<string, tf.Tensor>) => void): Promise<number> {
  let held = 0;
  const probe = tf.customGrad(((y: tf.Tensor) => ({
    value: tf.sum(y),
    gradFunc: (dy: tf.Tensor | tf.Tensor[]) => {
      held = tf.memory().numBytes;
      return tf.mul(tf.onesLike(y), dy as tf.Tensor);
    },
  })) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (y: tf.Tensor) => tf.Scalar;
  const before = tf.memory().numBytes;
  await expectNoLeaks(() => {
    const { value, grads } = variableGradsFreeing(() => probe(forward()), vars);
    check?.(grads);
    tf.dispose([value, ...Object.values(grads)]);
  });
  if (held === 0) throw new Error('bytesSavedForBackward: the backward pass never reached the probe');
  return held - before;
}
