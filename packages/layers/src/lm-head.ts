/**
 * The projection to the vocabulary of a language model, held in the token table's layout so it can be tied to it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { denseWeightTransient, FUSED_DENSE, gradientNeeded, hasFusedKernel, ShapeError, skippedGradient } from '@tfkit/core-tensor';
import { Module, type Parameter } from './module.js';

/** The weight transposed to `[C, vocab]`, and which variable and data it was made from. */
interface TransposedWeight {
  source: tf.Variable;
  dataId: object;
  value: tf.Tensor2D;
}

/**
 * `x · wᵀ` for `x` `[..., C]` and `w` `[vocab, C]`, computed as `x · wT` with `wT` = `wᵀ` made
 * beforehand. Differentiable in `x` and `w` (not in the copy); every product is a 2-D matMul
 * with untransposed operands on wasm, the only kind tfjs-backend-wasm sends to XNNPACK. Where the
 * backend has core-tensor's fused dense kernel (tfkit's wasm kernels) the forward is that one
 * kernel, reshapes included.
 */
function projectToVocab(x: tf.Tensor, w: tf.Tensor2D, wT: tf.Tensor2D): tf.Tensor {
  const fused = x.size > 0 && hasFusedKernel(FUSED_DENSE, x, wT);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xIn, wIn, save] = args as [tf.Tensor, tf.Tensor2D, tf.GradSaveFunc];
    save([xIn, wIn]);
    const [c, vocab] = wT.shape;
    let value: tf.Tensor;
    if (fused) value = tf.engine().runKernel(FUSED_DENSE, { x: xIn, weight: wT }, { transientWeight: denseWeightTransient() }) as tf.Tensor;
    else if (xIn.rank === 2) value = tf.matMul(xIn as tf.Tensor2D, wT);
    else value = tf.reshape(tf.matMul(tf.reshape(xIn, [-1, c]) as tf.Tensor2D, wT), [...xIn.shape.slice(0, -1), vocab]);
    return {
      value,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sx, sw] = saved as [tf.Tensor, tf.Tensor2D];
        const x2 = (sx.rank === 2 ? sx : tf.reshape(sx, [-1, c])) as tf.Tensor2D;
        const g = (dy as tf.Tensor).rank === 2 ? (dy as tf.Tensor2D) : (tf.reshape(dy as tf.Tensor, [-1, vocab]) as tf.Tensor2D); // (N, vocab)
        // dx = g · w; dw = gᵀ · x, with an explicit transpose of g on wasm (the flag elsewhere).
        // dw only when the backward pass needs it: not for a frozen (LoRA) or tied-and-frozen
        // embedding, where it is a vocab × hidden product over a transposed copy of g.
        const dw = !gradientNeeded(1) ? skippedGradient() : tf.getBackend() === 'wasm' ? tf.matMul(tf.transpose(g), x2) : tf.matMul(g, x2, true, false);
        // dx through the fused kernel with a transient weight where there is one: tfjs's matMul
        // would leave XNNPACK's packed copy of w (vocab × C) on the wasm heap for as long as w
        // lives (the tied embedding: the whole training run).
        const dx = !gradientNeeded(0) ? skippedGradient() : fused ? (tf.engine().runKernel(FUSED_DENSE, { x: g, weight: sw }, { transientWeight: true }) as tf.Tensor2D) : tf.matMul(g, sw);
        return [sx.rank === 2 || !gradientNeeded(0) ? dx : tf.reshape(dx, sx.shape), dw];
      },
    };
  }) as (x: tf.Tensor, w: tf.Tensor2D) => tf.Tensor;
  return op(x, w);
}

/**
 * `[N, C]` → `[N, vocab]` logits with a bias-free weight of shape `[vocab, C]`: the token
 * embedding's own `Parameter` when the head is tied to it (Hugging Face's `tie_word_embeddings`),
 * or a separate one of the same layout.
 *
 * The product needs the weight as `[C, vocab]`. Transposing it on every call cost more than the
 * product itself in a decoding step (and on wasm XNNPACK re-packs every right operand it has not
 * seen), so the head keeps one transposed copy, made when the head is built and remade on the
 * next call after the weight changes: another `Parameter`, or new data in it (`assign`, which
 * optimizers, loading and LoRA merging use, gives the variable a new data id). The copy is a
 * tensor of its own (vocab × C floats) that `dispose()` frees with the parameters. Gradients
 * flow to the weight, not to the copy.
 */
export class LMHead extends Module {
  weight: Parameter;
  private transposed: TransposedWeight | null = null;

  constructor(weight: Parameter) {
    super();
    this.weight = weight;
    this.transposedWeight();
  }

  /** `[N, C]` → `[N, vocab]` (or `[..., C]` → `[..., vocab]`): one 2-D matMul against the kept `[C, vocab]` copy (the fast path on wasm). */
  forward(x: tf.Tensor2D): tf.Tensor2D;
  forward(x: tf.Tensor): tf.Tensor;
  forward(x: tf.Tensor): tf.Tensor {
    const c = this.weight.shape[1];
    if (x.rank < 2 || x.shape[x.rank - 1] !== c) throw new ShapeError(`LMHead: expected hidden states [N, ${c}] or [..., ${c}], got [${x.shape}]`);
    return tf.tidy(() => projectToVocab(x, this.weight.value as tf.Tensor as tf.Tensor2D, this.transposedWeight()));
  }

  /** The weight as `[C, vocab]` (owned by the head; do not dispose), remade if the weight changed since. */
  transposedWeight(): tf.Tensor2D {
    const source = this.weight.value;
    const kept = this.transposed;
    if (kept && kept.source === source && kept.dataId === source.dataId && !kept.value.isDisposed) return kept.value;
    kept?.value.dispose();
    const value = tf.keep(tf.tidy(() => tf.transpose(source) as tf.Tensor2D));
    this.transposed = { source, dataId: source.dataId, value };
    return value;
  }

  override disposeCaches(): void {
    this.transposed?.value.dispose();
    this.transposed = null;
  }
}
