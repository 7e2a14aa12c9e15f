/**
 * A transformer-shaped loss for the cross-backend gradient suite (tests only, not exported):
 * embedding lookup → layer norm → multi-head attention with padding + causal masks → residual →
 * linear + exact GELU → linear → tanh-GELU → vocabulary projection → cross-entropy with ignored
 * labels. Every differentiable op of core-tensor is on the path, each parameter gets a gradient.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  Random, causalMask, combineMasks, embeddingLookup, gelu, geluTanh, layerNorm, linear, paddingMask,
  scaledDotProductAttention, softmaxCrossEntropy,
} from '@tfkit/core-tensor';

export interface TinyTransformerConfig {
  batch: number;
  seqLen: number;
  hidden: number;
  heads: number;
  ffn: number;
  vocab: number;
}

/** Small enough for finite differences on every parameter. */
export const TINY: TinyTransformerConfig = { batch: 2, seqLen: 5, hidden: 8, heads: 2, ffn: 16, vocab: 11 };
/** Heads of 32×64 (65 536 multiply-adds per head product): wasm runs attention as per-head 2-D XNNPACK matMuls. */
export const WIDE: TinyTransformerConfig = { batch: 2, seqLen: 32, hidden: 128, heads: 2, ffn: 64, vocab: 23 };

export type ParamName = 'table' | 'lnGamma' | 'lnBeta' | 'wq' | 'wk' | 'wv' | 'wo' | 'w1' | 'b1' | 'w2' | 'b2' | 'wOut';

export interface Case {
  config: TinyTransformerConfig;
  params: Record<ParamName, { data: Float32Array; shape: number[] }>;
  ids: Int32Array;
  attentionMask: Int32Array;
  labels: Int32Array;
}

/** Seeded parameters and a batch whose second row ends in padding; padded and some other positions are ignored (−100). */
export function makeCase(config: TinyTransformerConfig, seed = 7): Case {
  const rng = new Random(seed);
  const { batch, seqLen, hidden, ffn, vocab } = config;
  const tensor = (shape: number[], std: number, mean = 0) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = rng.normal(mean, std);
    return { data, shape };
  };
  const w = (fanIn: number, fanOut: number) => tensor([fanIn, fanOut], 1 / Math.sqrt(fanIn));
  const params: Case['params'] = {
    table: tensor([vocab, hidden], 1),
    lnGamma: tensor([hidden], 0.1, 1),
    lnBeta: tensor([hidden], 0.1),
    wq: w(hidden, hidden),
    wk: w(hidden, hidden),
    wv: w(hidden, hidden),
    wo: w(hidden, hidden),
    w1: w(hidden, ffn),
    b1: tensor([ffn], 0.1),
    w2: w(ffn, hidden),
    b2: tensor([hidden], 0.1),
    wOut: w(hidden, vocab),
  };
  const n = batch * seqLen;
  const ids = Int32Array.from({ length: n }, () => rng.int(vocab));
  const attentionMask = Int32Array.from({ length: n }, (_, i) => (Math.floor(i / seqLen) === 1 && i % seqLen >= seqLen - 2 ? 0 : 1));
  const labels = Int32Array.from({ length: n }, (_, i) => (attentionMask[i] === 0 || i % 3 === 2 ? -100 : rng.int(vocab)));
  return { config, params, ids, attentionMask, labels };
}

/** The scalar loss of `c` with the given parameter tensors (forward pass only). */
export function tinyTransformerLoss(c: Case, p: Record<ParamName, tf.Tensor>): tf.Scalar {
  const { batch: b, seqLen: t, hidden, heads } = c.config;
  const d = hidden / heads;
  const ids = tf.tensor2d(c.ids, [b, t], 'int32');
  const mask = combineMasks(paddingMask(tf.tensor2d(c.attentionMask, [b, t], 'int32')), causalMask(t, t));
  const h = embeddingLookup(p.table, ids); // (b, t, C)
  const x = layerNorm(h, p.lnGamma, p.lnBeta);
  const split = (y: tf.Tensor) => tf.transpose(tf.reshape(y, [b, t, heads, d]), [0, 2, 1, 3]); // (b, heads, t, d)
  const att = scaledDotProductAttention(split(linear(x, p.wq)), split(linear(x, p.wk)), split(linear(x, p.wv)), mask).output;
  const merged = tf.reshape(tf.transpose(att, [0, 2, 1, 3]), [b, t, hidden]);
  const h2 = tf.add(h, linear(merged, p.wo));
  const h3 = tf.add(h2, linear(gelu(linear(h2, p.w1, p.b1)), p.w2, p.b2));
  const logits = linear(geluTanh(h3), p.wOut); // (b, t, vocab)
  return softmaxCrossEntropy(logits, tf.tensor2d(c.labels, [b, t], 'int32'));
}

export const PARAM_NAMES: readonly ParamName[] = ['table', 'lnGamma', 'lnBeta', 'wq', 'wk', 'wv', 'wo', 'w1', 'b1', 'w2', 'b2', 'wOut'];

export function paramTensors(c: Case): Record<ParamName, tf.Tensor> {
  return Object.fromEntries(PARAM_NAMES.map((k) => [k, tf.tensor(c.params[k].data, c.params[k].shape)])) as Record<ParamName, tf.Tensor>;
}

/** Loss and every parameter's gradient on the active backend, read back as arrays. */
export function lossAndGradients(c: Case): { loss: number; grads: Record<ParamName, Float32Array> } {
  const params = paramTensors(c);
  let result: { loss: number; grads: Record<ParamName, Float32Array> } | undefined;
  tf.tidy(() => {
    const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) =>
      tinyTransformerLoss(c, Object.fromEntries(PARAM_NAMES.map((k, i) => [k, xs[i]!])) as Record<ParamName, tf.Tensor>),
    )(PARAM_NAMES.map((k) => params[k]));
    result = {
      loss: value.dataSync()[0] as number,
      grads: Object.fromEntries(PARAM_NAMES.map((k, i) => [k, grads[i]!.dataSync() as Float32Array])) as Record<ParamName, Float32Array>,
    };
  });
  tf.dispose(Object.values(params));
  return result!;
}
