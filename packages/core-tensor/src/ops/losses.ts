/**
 * Cross-entropy on logits with an ignore index (−100, as PyTorch and Hugging Face use for
 * positions without a label). The gradient is written out — (softmax − one-hot) / count — so it
 * needs no gather gradient (no UnsortedSegmentSum on wasm) and does one pass over the logits.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../errors.js';

export interface CrossEntropyOptions {
  /** Labels equal to this value contribute nothing (default −100). */
  ignoreIndex?: number;
  /** 'mean' over the non-ignored positions (default) or 'sum'. */
  reduction?: 'mean' | 'sum';
}

/**
 * `logits` `[..., classes]`, `labels` int `[...]` → scalar loss. With reduction 'mean' the loss is
 * averaged over non-ignored labels (0 when every label is ignored).
 */
export function softmaxCrossEntropy(logits: tf.Tensor, labels: tf.Tensor | number[], options: CrossEntropyOptions = {}): tf.Scalar {
  const ignoreIndex = options.ignoreIndex ?? -100;
  const reduction = options.reduction ?? 'mean';
  return tf.tidy(() => {
    const classes = logits.shape[logits.rank - 1] as number;
    const flatLogits = tf.reshape(logits, [-1, classes]);
    const lab = tf.reshape(Array.isArray(labels) ? tf.tensor1d(labels, 'int32') : tf.cast(labels, 'int32'), [-1]);
    if (lab.shape[0] !== flatLogits.shape[0]) {
      throw new ShapeError(`softmaxCrossEntropy: ${lab.shape[0]} labels for ${flatLogits.shape[0]} rows of logits [${logits.shape}]`);
    }
    const valid = tf.notEqual(lab, ignoreIndex);
    const validF = tf.cast(valid, 'float32');
    const validCol = tf.expandDims(validF, 1);
    const oneHot = tf.mul(tf.cast(tf.oneHot(tf.where(valid, lab, tf.zerosLike(lab)), classes), 'float32'), validCol);
    const count = reduction === 'mean' ? tf.maximum(tf.sum(validF), 1) : tf.scalar(1);
    const loss = tf.customGrad(((z: tf.Tensor, save: tf.GradSaveFunc) => {
      const logProbs = tf.logSoftmax(z);
      // Everything the gradient reads is saved; closures would be disposed by the outer tidy.
      save([logProbs, oneHot, validCol, count]);
      return {
        value: tf.div(tf.neg(tf.sum(tf.mul(oneHot, logProbs))), count),
        gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
          const [sLogProbs, sOneHot, sValid, sCount] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
          const g = tf.sub(tf.mul(tf.exp(sLogProbs), sValid), sOneHot);
          return tf.mul(g, tf.div(dy as tf.Tensor, sCount));
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return loss(flatLogits) as tf.Scalar;
  });
}

/** Mean squared error (regression heads). */
export function meanSquaredError(predictions: tf.Tensor, targets: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.squaredDifference(predictions, targets)) as tf.Scalar);
}

/** Binary cross-entropy on logits, numerically stable (multi-label heads). */
export function sigmoidCrossEntropy(logits: tf.Tensor, targets: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    // max(z, 0) − z·y + log(1 + exp(−|z|))
    const z = logits;
    const loss = tf.add(tf.sub(tf.relu(z), tf.mul(z, targets)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))));
    return tf.mean(loss) as tf.Scalar;
  });
}
