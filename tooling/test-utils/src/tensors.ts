/** Assertions on tensors for tfkit's tests. */
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

type Numeric = tf.Tensor | ArrayLike<number> | number[][] | number[][][] | number;

function toFlat(x: Numeric): { data: Float64Array | Float32Array | Int32Array | number[]; shape: number[] | undefined } {
  if (x instanceof tf.Tensor) return { data: Array.from(x.dataSync() as ArrayLike<number>), shape: x.shape };
  if (typeof x === 'number') return { data: [x], shape: [] };
  if (Array.isArray(x) && Array.isArray(x[0])) {
    const t = tf.tensor(x as number[][]);
    const out = { data: Array.from(t.dataSync()), shape: t.shape };
    t.dispose();
    return out;
  }
  return { data: Array.from(x as ArrayLike<number>), shape: undefined };
}

/**
 * Asserts |actual − expected| ≤ atol + rtol·|expected| elementwise (and equal shapes when both
 * have one). The failure names the worst element.
 */
export function expectAllClose(actual: Numeric, expected: Numeric, options: { atol?: number; rtol?: number; label?: string } = {}): void {
  const atol = options.atol ?? 1e-4;
  const rtol = options.rtol ?? 0;
  const a = toFlat(actual);
  const e = toFlat(expected);
  if (a.shape && e.shape) expect(a.shape, `${options.label ?? 'tensor'} shape`).toEqual(e.shape);
  expect(a.data.length, `${options.label ?? 'tensor'} size`).toBe(e.data.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < a.data.length; i++) {
    const av = a.data[i] as number;
    const ev = e.data[i] as number;
    const excess = Math.abs(av - ev) - (atol + rtol * Math.abs(ev));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(excess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    throw new Error(
      `${options.label ?? 'tensor'}: element ${worst} differs: got ${a.data[worst]}, expected ${e.data[worst]} ` +
        `(|diff| ${Math.abs((a.data[worst] as number) - (e.data[worst] as number))} > atol ${atol} + rtol ${rtol})`,
    );
  }
}

/** Runs `fn` and asserts it leaves `tf.memory().numTensors` unchanged; returns fn's result. */
export async function expectNoLeaks<T>(fn: () => T | Promise<T>, label = 'operation'): Promise<T> {
  const before = tf.memory().numTensors;
  const result = await fn();
  const after = tf.memory().numTensors;
  expect(after - before, `${label} leaked tensors`).toBe(0);
  return result;
}

/** Runs `fn` with `backend` active, restoring the previous backend afterwards. */
export async function withBackend<T>(backend: string, fn: () => T | Promise<T>): Promise<T> {
  const previous = tf.getBackend();
  await tf.setBackend(backend);
  await tf.ready();
  try {
    return await fn();
  } finally {
    await tf.setBackend(previous);
  }
}

/**
 * Central finite differences of a scalar function at `x` (float64 arithmetic in JS is not
 * available through tfjs, so use a step around 1e-2 for float32 and compare with a loose tolerance).
 */
export function numericGradient(f: (x: tf.Tensor) => tf.Scalar, x: tf.Tensor, eps = 1e-2): Float32Array {
  const base = x.dataSync().slice() as Float32Array;
  const grad = new Float32Array(base.length);
  for (let i = 0; i < base.length; i++) {
    const plus = base.slice();
    plus[i] = (plus[i] as number) + eps;
    const minus = base.slice();
    minus[i] = (minus[i] as number) - eps;
    const fp = tf.tidy(() => f(tf.tensor(plus, x.shape)).dataSync()[0] as number);
    const fm = tf.tidy(() => f(tf.tensor(minus, x.shape)).dataSync()[0] as number);
    grad[i] = (fp - fm) / (2 * eps);
  }
  return grad;
}
