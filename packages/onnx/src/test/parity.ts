/**
 * Parity helpers: an exported model's ONNX Runtime outputs against tfkit's forward pass (and Hugging
 * Face's reference tensors), with the largest absolute difference recorded for the report.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import type { OrtTensorOut } from './ort.js';

/** Largest |a − b| over two equally shaped arrays; a shape mismatch fails the test. */
export function maxAbsDiff(actual: OrtTensorOut, expected: tf.Tensor, label: string): number {
  expect(actual.dims, `${label}: shape`).toEqual(expected.shape);
  const want = expected.dataSync();
  let max = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs((actual.data[i] as number) - (want[i] as number));
    if (!(d <= max)) max = Number.isNaN(d) ? Infinity : d;
  }
  return max;
}

/** HF output name → tfkit output key (`start_logits` → `startLogits`). */
export function camel(name: string): string {
  return name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Largest difference seen per label, printed by `reportDiffs`. */
export const measured = new Map<string, number>();

export function record(label: string, diff: number): void {
  measured.set(label, Math.max(measured.get(label) ?? 0, diff));
}

export function reportDiffs(title: string): void {
  const lines = [...measured].map(([label, d]) => `  ${label}: ${d.toExponential(2)}`);
  console.log(`${title} — max abs diff\n${lines.join('\n')}`);
}

/** A seeded linear congruential generator for test inputs. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
