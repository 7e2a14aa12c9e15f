/**
 * Positional encodings: the fixed sinusoids of Vaswani et al. (2017, §3.5) and learned position
 * embeddings (BERT, GPT-2, BART — the latter with Hugging Face's offset of 2).
 */
import * as tf from '@tensorflow/tfjs-core';
import { embeddingLookup, ShapeError, type Random } from '@tfkit/core-tensor';
import { Embedding } from './embedding.js';
import { Module } from './module.js';

/**
 * Where a sinusoid table puts its sines and cosines: `interleaved` (Vaswani et al., §3.5; tensor2tensor,
 * fairseq's paper reproduction) puts the pair of frequency k in columns 2k and 2k+1; `halves`
 * (Marian, Hugging Face's MarianSinusoidalPositionalEmbedding, XLM's table without interleaving)
 * puts every sine first, columns 0 … ⌈dim/2⌉ − 1, and the cosines after them.
 */
export type SinusoidLayout = 'interleaved' | 'halves';

export interface SinusoidOptions {
  /** Position of the first row (incremental decoding: the cached length). */
  offset?: number;
  /** Wavelength base (default 10000). */
  base?: number;
  /** Column order (default `interleaved`). */
  layout?: SinusoidLayout;
}

/**
 * The `[length, dim]` sinusoid table starting at position `offset`, with the angles
 * θ(i, k) = i / base^{2k/d}: `interleaved`, PE(i, 2k) = sin θ(i, k) and PE(i, 2k+1) = cos θ(i, k);
 * `halves`, PE(i, k) = sin θ(i, k) for k < ⌈d/2⌉ and PE(i, ⌈d/2⌉ + k) = cos θ(i, k) for k < ⌊d/2⌋.
 */
export function sinusoidalPositionEncoding(length: number, dim: number, options: SinusoidOptions = {}): tf.Tensor2D {
  const base = options.base ?? 10000;
  const offset = options.offset ?? 0;
  const halves = options.layout === 'halves';
  const sines = Math.ceil(dim / 2);
  const data = new Float32Array(length * dim);
  for (let i = 0; i < length; i++) {
    const pos = offset + i;
    for (let k = 0; 2 * k < dim; k++) {
      const angle = pos / Math.pow(base, (2 * k) / dim);
      data[i * dim + (halves ? k : 2 * k)] = Math.sin(angle);
      if (2 * k + 1 < dim) data[i * dim + (halves ? sines + k : 2 * k + 1)] = Math.cos(angle);
    }
  }
  return tf.tensor2d(data, [length, dim]);
}

/** Adds the sinusoid table to `[b, t, dim]` inputs. Holds no parameters. */
export class SinusoidalPositionalEncoding extends Module {
  readonly dim: number;
  readonly base: number;
  readonly layout: SinusoidLayout;

  constructor(dim: number, options: { base?: number; layout?: SinusoidLayout } = {}) {
    super();
    this.dim = dim;
    this.base = options.base ?? 10000;
    this.layout = options.layout ?? 'interleaved';
  }

  /** `x` `[b, t, dim]` → x + PE; `pastLength` shifts positions for incremental decoding. */
  forward(x: tf.Tensor, options: { pastLength?: number } = {}): tf.Tensor {
    const t = x.shape[x.rank - 2] as number;
    if (x.shape[x.rank - 1] !== this.dim) throw new ShapeError(`SinusoidalPositionalEncoding: expected last axis ${this.dim}, got [${x.shape}]`);
    return tf.tidy(() => tf.add(x, sinusoidalPositionEncoding(t, this.dim, { offset: options.pastLength, base: this.base, layout: this.layout })));
  }
}

/**
 * A learned table of position vectors. `offset` rows are skipped (BART's learned positions start
 * at row 2), so position p reads row p + offset; the table has `maxPositions + offset` rows.
 */
export class LearnedPositionalEmbedding extends Embedding {
  readonly offset: number;
  readonly maxPositions: number;

  constructor(maxPositions: number, dim: number, options: { offset?: number; initStd?: number; rng?: Random } = {}) {
    const offset = options.offset ?? 0;
    super(maxPositions + offset, dim, { initStd: options.initStd, rng: options.rng });
    this.offset = offset;
    this.maxPositions = maxPositions;
  }

  /** Position ids (any shape) → `[...ids.shape, dim]`. */
  override forward(positionIds: tf.Tensor): tf.Tensor {
    return tf.tidy(() => embeddingLookup(this.weight.value, this.offset ? tf.add(tf.cast(positionIds, 'int32'), this.offset) : positionIds));
  }

  /** Vectors for positions pastLength … pastLength + length − 1 → `[length, dim]`. */
  range(length: number, pastLength = 0): tf.Tensor {
    if (pastLength + length > this.maxPositions) {
      throw new ShapeError(`LearnedPositionalEmbedding: positions up to ${pastLength + length - 1} asked for, but the table holds ${this.maxPositions}`);
    }
    return tf.slice(this.weight.value, [pastLength + this.offset, 0], [length, this.embeddingDim]);
  }
}
