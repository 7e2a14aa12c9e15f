/**
 * What the tests of tfkit's embedded models (packages/all/assets/<name>: weights + README.md model
 * card) read from a card and check against the shipped files, so each card stays the one place
 * where a model's size and checked outputs are written down.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';

/** The model card (README.md) of the model folder `dir`. */
export function modelCard(dir: string): string {
  return fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
}

/** The text of the card's `## <title>` section (empty when the card has none). */
export function cardSection(card: string, title: string): string {
  return card.split(/^## /m).find((s) => s.startsWith(title)) ?? '';
}

/**
 * Checks `dir/model.safetensors` against its card's files table row
 * `` `model.safetensors` | weights, <format>: N bytes, M parameters ``, where the format is
 * `float16` (every tensor F16) or `int8 (per-channel scales)` (tfkit's int8: the file marked
 * `tfkit_quantization: int8-per-channel`, I8 matrices each with a float32 `<name>.__scale`, every
 * other tensor F32, and at least one I8): the file N bytes, and (where the card states it, required
 * with `parameters: true`) M values in all, scales not counted. Returns the safetensors header
 * (scales included) for further checks.
 */
export function expectWeightsAsCarded(dir: string, options: { parameters?: boolean } = {}): Record<string, { dtype: string; shape: number[] }> {
  const bytes = fs.readFileSync(path.join(dir, 'model.safetensors'));
  const stated = /`model\.safetensors` \| weights, (float16|int8 \(per-channel scales\)): ([\d,]+) bytes(?:, ([\d,]+) parameters)?/.exec(modelCard(dir));
  expect(stated, `${dir}: the card states the format and the file size`).not.toBeNull();
  expect(bytes.length).toBe(Number(stated![2]!.replaceAll(',', '')));
  const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8')) as Record<string, { dtype: string; shape: number[] }>;
  const metadata = (header['__metadata__'] ?? {}) as unknown as Record<string, string>;
  const tensors = Object.entries(header).filter(([key]) => key !== '__metadata__');
  const weights = tensors.filter(([key]) => !key.endsWith('.__scale'));
  if (stated![1] === 'float16') {
    expect(new Set(tensors.map(([, t]) => t.dtype))).toEqual(new Set(['F16']));
  } else {
    expect(metadata['tfkit_quantization'], `${dir}: marked as tfkit int8`).toBe('int8-per-channel');
    expect(new Set(tensors.map(([, t]) => t.dtype))).toEqual(new Set(['I8', 'F32']));
    for (const [name, t] of weights) expect(t.dtype === 'I8', `${name}: I8 exactly when it has a scale`).toBe(`${name}.__scale` in header);
  }
  if (options.parameters) expect(stated![3], `${dir}: the card states the parameter count`).toBeDefined();
  if (stated![3] !== undefined) expect(weights.reduce((n, [, t]) => n + t.shape.reduce((a, b) => a * b, 1), 0)).toBe(Number(stated![3].replaceAll(',', '')));
  return header;
}
