/**
 * Dropout's mask, drawn as tfjs draws uniform noise, in one pass. The composite —
 * `cast(greaterEqual(randomUniform(shape, 0, 1, 'float32', seed), p), 'float32') · 1/(1−p)` — made
 * four passes and called a JavaScript generator through three functions per value (28 ms for a
 * BERT-base attention mask at batch 8, 1.6 M values, before its three kernels ran). Same values,
 * bit for bit, so seeded runs train as before.
 */
import * as tf from '@tensorflow/tfjs-core';
import seedrandom from 'seedrandom';
import { FUSED_DROPOUT_MASK } from './fused-kernels.js';

/**
 * Writes into `out` the mask above for `seed`: each value is 1/(1−p) in float32 where the draw,
 * rounded to float32, is at least p in float32, and +0 elsewhere. tfjs's `randomUniform` draws from
 * seedrandom's Alea seeded with `String(seed)`, and with min 0 and range 1 keeps the draw as it is;
 * here Alea's recurrence runs on local variables from the same seeded state. Every value of `out`
 * is written (it may be uninitialised memory).
 */
export function fillDropoutMask(out: Float32Array, p: number, seed: number): void {
  let { c, s0, s1, s2 } = aleaState(seed);
  const threshold = Math.fround(p);
  const scale = Math.fround(1 / (1 - p));
  for (let i = 0; i < out.length; i++) {
    // Alea's step as seedrandom 3 takes it (lib/alea.js): the same double operations in order.
    const t = 2091639 * s0 + c * 2.3283064365386963e-10; // 2^-32
    s0 = s1;
    s1 = s2;
    c = t | 0;
    s2 = t - c;
    out[i] = Math.fround(s2) >= threshold ? scale : 0;
  }
}

function aleaState(seed: number): { c: number; s0: number; s1: number; s2: number } {
  return seedrandom.alea(String(seed), { state: true }).state() as { c: number; s0: number; s1: number; s2: number };
}

/**
 * Alea's state for `seed` as four unsigned 32-bit integers [S0, S1, S2, c]: each s = S·2^-32 (Alea's
 * states are such multiples) and the carry. Its step t = 2091639·s0 + c·2^-32 is exact in float64,
 * so it is the integer step X = 2091639·S0 + c, c = X >> 32, S2 = X mod 2^32 — what a kernel
 * without float64 tricks (tfkit's wasm `dropoutMask`) runs to draw the same values.
 */
export function dropoutMaskState(seed: number): [number, number, number, number] {
  const { c, s0, s1, s2 } = aleaState(seed);
  return [s0 * 4294967296, s1 * 4294967296, s2 * 4294967296, c];
}

/**
 * The dropout mask of `shape` for probability `p` ∈ [0, 1) and an integer `seed`: through the
 * backend's `TfkitDropoutMask` kernel where it has one (written straight into its memory), else
 * computed here and uploaded.
 */
export function dropoutMask(shape: readonly number[], p: number, seed: number): tf.Tensor {
  if (!(p >= 0 && p < 1)) throw new RangeError(`dropoutMask: p must be in [0, 1), got ${p}`);
  if (!Number.isInteger(seed)) throw new RangeError(`dropoutMask: seed must be an integer, got ${seed}`);
  if (tf.getKernel(FUSED_DROPOUT_MASK, tf.getBackend()) !== undefined) {
    return tf.engine().runKernel(FUSED_DROPOUT_MASK, {}, { shape: [...shape], p, seed } as unknown as tf.NamedAttrMap) as tf.Tensor;
  }
  const mask = new Float32Array(shape.reduce((a, d) => a * d, 1));
  fillDropoutMask(mask, p, seed);
  return tf.tensor(mask, [...shape], 'float32');
}
