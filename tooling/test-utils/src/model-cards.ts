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
 * `` `model.safetensors` | weights, float16: N bytes, M parameters ``: every tensor float16, the file
 * N bytes, and (where the card states it, required with `parameters: true`) M values in all.
 * Returns the safetensors header for further checks.
 */
export function expectFloat16WeightsAsCarded(dir: string, options: { parameters?: boolean } = {}): Record<string, { dtype: string; shape: number[] }> {
  const bytes = fs.readFileSync(path.join(dir, 'model.safetensors'));
  const stated = /`model\.safetensors` \| weights, float16: ([\d,]+) bytes(?:, ([\d,]+) parameters)?/.exec(modelCard(dir));
  expect(stated, `${dir}: the card states the file size`).not.toBeNull();
  expect(bytes.length).toBe(Number(stated![1]!.replaceAll(',', '')));
  const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8')) as Record<string, { dtype: string; shape: number[] }>;
  const tensors = Object.entries(header).filter(([key]) => key !== '__metadata__');
  expect(new Set(tensors.map(([, t]) => t.dtype))).toEqual(new Set(['F16']));
  if (options.parameters) expect(stated![2], `${dir}: the card states the parameter count`).toBeDefined();
  if (stated![2] !== undefined) expect(tensors.reduce((n, [, t]) => n + t.shape.reduce((a, b) => a * b, 1), 0)).toBe(Number(stated![2].replaceAll(',', '')));
  return header;
}
