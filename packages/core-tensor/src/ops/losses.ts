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
    const rows = classes > 0 ? logits.size / classes : 0;
    const lab = tf.reshape(Array.isArray(labels) ? tf.tensor1d(labels, 'int32') : tf.cast(labels, 'int32'), [-1]);
    if (lab.shape[0] !== rows) {
      throw new ShapeError(`softmaxCrossEntropy: ${lab.shape[0]} labels for ${rows} rows of logits [${logits.shape}]`);
    }
    const valid = tf.notEqual(lab, ignoreIndex);
    const validCol = tf.expandDims(tf.cast(valid, 'float32'), 1);
    const safeLabels = tf.where(valid, lab, tf.zerosLike(lab));
    const count = reduction === 'mean' ? tf.maximum(tf.sum(validCol), 1) : tf.scalar(1);
    // One recorded op from the logits as given (a reshape outside it would keep them for its
    // gradient) that keeps the log-probabilities alone: the one-hot rows are remade in the
    // backward pass. For a language model's logits each copy is batch × length × vocab floats.
    const loss = tf.customGrad(((z: tf.Tensor, save: tf.GradSaveFunc) => {
      // log softmax with two [rows, classes] temporaries at most (tf.logSoftmax holds three).
      const flat = tf.reshape(z, [rows, classes]);
      const logSumExp = tf.tidy(() => {
        const max = tf.max(flat, 1, true);
        const shifted = tf.sub(flat, max);
        const e = tf.exp(shifted);
        shifted.dispose();
        return tf.add(tf.log(tf.sum(e, 1, true)), max);
      });
      const logProbs = tf.sub(flat, logSumExp);
      // Everything the gradient reads is saved; closures would be disposed by the outer tidy.
      save([logProbs, safeLabels, validCol, count]);
      // The label's log-probability in each row, by flat index.
      const at = tf.add(safeLabels, tf.mul(tf.range(0, rows, 1, 'int32'), tf.scalar(classes, 'int32')));
      const picked = tf.gather(tf.reshape(logProbs, [-1]), at);
      return {
        value: tf.div(tf.neg(tf.sum(tf.mul(picked, tf.reshape(validCol, [-1])))), count),
        gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
          const [sLogProbs, sLabels, sValid, sCount] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
          // (softmax − one-hot) · valid · dy / count, freeing each [rows, classes] temporary once used.
          const scale = tf.mul(sValid, tf.div(dy as tf.Tensor, sCount)); // [rows, 1]
          const probs = tf.exp(sLogProbs);
          const scaledProbs = tf.mul(probs, scale);
          probs.dispose();
          const oneHotInt = tf.oneHot(sLabels, classes); // (tfjs-backend-wasm's OneHot writes int32 whatever the dtype)
          const oneHot = tf.cast(oneHotInt, 'float32');
          oneHotInt.dispose();
          const scaledOneHot = tf.mul(oneHot, scale);
          oneHot.dispose();
          const g = tf.sub(scaledProbs, scaledOneHot);
          tf.dispose([scaledProbs, scaledOneHot, scale]);
          return tf.reshape(g, z.shape);
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return loss(logits) as tf.Scalar;
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
