/**
 * Cross-entropy on logits with an ignore index (−100, as PyTorch and Hugging Face use for
 * positions without a label) and optional class weights. The gradient is written out —
 * w[label] · (softmax − one-hot) / Σ w — so it needs no gather gradient (no UnsortedSegmentSum on
 * wasm) and does one pass over the logits.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../errors.js';
import { FUSED_SOFTMAX_CROSS_ENTROPY, FUSED_SOFTMAX_CROSS_ENTROPY_GRAD, hasFusedKernel } from './fused-kernels.js';

export interface CrossEntropyOptions {
  /** Labels equal to this value contribute nothing (default −100). */
  ignoreIndex?: number;
  /** 'mean' over the non-ignored positions (default) or 'sum'. */
  reduction?: 'mean' | 'sum';
  /**
   * One weight per class (PyTorch's `weight`): each position's loss is multiplied by the weight of
   * its label, and 'mean' divides by the sum of the weights of the positions counted (not by their
   * number), as `torch.nn.CrossEntropyLoss(weight=…)`: NaN when the counted weights sum to 0, the
   * gradient then NaN at the counted positions and 0 at the ignored ones. The values are not
   * checked here.
   */
  weight?: tf.Tensor | readonly number[];
}

/**
 * `logits` `[..., classes]`, `labels` int `[...]` → scalar loss. With reduction 'mean' the loss is
 * averaged over non-ignored labels (0 when every label is ignored), or with `weight` divided by the
 * counted labels' weights (PyTorch's 0/0 = NaN when they sum to 0).
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
    const safeLabels = tf.where(valid, lab, tf.zerosLike(lab));
    const weighted = options.weight !== undefined;
    const validCol = tf.expandDims(tf.cast(valid, 'float32'), 1);
    // Each row's weight: 0 where ignored, else 1 or its label's class weight.
    let rowWeight = validCol;
    if (weighted) {
      const w = tf.reshape(Array.isArray(options.weight) ? tf.tensor1d(options.weight as number[], 'float32') : tf.cast(options.weight as tf.Tensor, 'float32'), [-1]);
      if (w.shape[0] !== classes) throw new ShapeError(`softmaxCrossEntropy: weight has ${w.shape[0]} values for ${classes} classes of logits [${logits.shape}]`);
      rowWeight = tf.mul(validCol, tf.expandDims(tf.gather(w, safeLabels), 1));
    }
    // Unweighted: 0 when all are ignored (max(count, 1)). Weighted: PyTorch's division by the weight sum, 0/0 = NaN.
    const count = reduction === 'sum' ? tf.scalar(1) : weighted ? tf.sum(rowWeight) : tf.maximum(tf.sum(validCol), 1);
    // One recorded op from the logits as given (a reshape outside it would keep them for its
    // gradient) that keeps the log-probabilities alone: the one-hot rows are remade in the
    // backward pass. For a language model's logits each copy is batch × length × vocab floats.
    if (rows > 0 && classes > 0 && hasFusedKernel(FUSED_SOFTMAX_CROSS_ENTROPY, logits) && hasFusedKernel(FUSED_SOFTMAX_CROSS_ENTROPY_GRAD, logits)) {
      return fusedLoss(logits, rows, classes, safeLabels, rowWeight, count, validCol, weighted);
    }
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
      save([logProbs, safeLabels, rowWeight, count, validCol]);
      // The label's log-probability in each row, by flat index.
      const at = tf.add(safeLabels, tf.mul(tf.range(0, rows, 1, 'int32'), tf.scalar(classes, 'int32')));
      const picked = tf.gather(tf.reshape(logProbs, [-1]), at);
      return {
        value: tf.div(tf.neg(tf.sum(tf.mul(picked, tf.reshape(rowWeight, [-1])))), count),
        gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
          const [sLogProbs, sLabels, sWeight, sCount, sValid] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
          // (softmax − one-hot) · w[label] · dy / count, freeing each [rows, classes] temporary once used.
          // Ignored rows get 0 even when the count is 0 (weighted: 0 · ∞ would be NaN; PyTorch gives 0).
          const scale = tf.tidy(() => {
            const s = tf.mul(sWeight, tf.div(dy as tf.Tensor, sCount)); // [rows, 1]
            return weighted ? tf.where(tf.greater(sValid, 0), s, tf.zerosLike(s)) : s;
          });
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

/**
 * The loss above on the backend's `TfkitSoftmaxCrossEntropy` kernels: the forward gives each row's
 * log-sum-exp and negative log-likelihood in one kernel, and the backward pass recomputes the
 * softmax from the saved logits and log-sum-exps in another, so no [rows, classes] tensor beyond
 * the gradient itself is made (the composite keeps the log-probabilities for the backward pass).
 */
function fusedLoss(logits: tf.Tensor, rows: number, classes: number, labels: tf.Tensor, rowWeight: tf.Tensor, count: tf.Tensor, validCol: tf.Tensor, weighted: boolean): tf.Scalar {
  const loss = tf.customGrad(((z: tf.Tensor, save: tf.GradSaveFunc) => {
    const flat = tf.reshape(z, [rows, classes]);
    const [nll, lse] = tf.engine().runKernel(FUSED_SOFTMAX_CROSS_ENTROPY, { logits: flat, labels }) as tf.Tensor[];
    save([flat, lse!, labels, rowWeight, count, validCol]);
    return {
      value: tf.div(tf.sum(tf.mul(nll!, tf.reshape(rowWeight, [-1]))), count),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sLogits, sLse, sLabels, sWeight, sCount, sValid] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        // w[label] · dy / count per row; ignored rows 0 even when the count is 0 (as the composite).
        const scale = tf.tidy(() => {
          const s = tf.mul(sWeight, tf.div(dy as tf.Tensor, sCount));
          return tf.reshape(weighted ? tf.where(tf.greater(sValid, 0), s, tf.zerosLike(s)) : s, [rows]);
        });
        const g = tf.engine().runKernel(FUSED_SOFTMAX_CROSS_ENTROPY_GRAD, { logits: sLogits, lse: sLse, labels: sLabels, scale }) as tf.Tensor;
        scale.dispose();
        return tf.reshape(g, z.shape);
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return loss(logits) as tf.Scalar;
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
