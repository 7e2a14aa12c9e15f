// Weighted cross-entropy against real PyTorch: tfkit's crossEntropyLoss / sequenceClassificationLoss
// (mean) and core-tensor's softmaxCrossEntropy (sum) with class weights, on seeded random logits
// with ignored (−100) positions, against torch.nn.CrossEntropyLoss(weight=…, ignore_index=-100) run
// by test/cross_entropy_reference.py: loss and gradient within 1e-5, NaN exactly where PyTorch's
// is. Needs Debian's python3-torch (installed by .ci/run); without it, outside CI, the tests are
// skipped with a message.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Random, softmaxCrossEntropy } from '@tfkit/core-tensor';
import { expectNoLeaks } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { crossEntropyLoss, sequenceClassificationLoss } from './losses.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = path.resolve(import.meta.dirname, '../test/cross_entropy_reference.py');
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const enabled = hasTorch || Boolean(process.env['CI']);
if (!enabled) console.warn(`losses-torch.slow.test.ts: skipped — ${PYTHON} cannot import torch (install Debian's python3-torch to run the PyTorch comparison)`);

interface Case { logits: number[][]; labels: number[]; weight: number[] | null; reduction: 'mean' | 'sum' }
interface Reference { loss: number | null; grad: (number | null)[][] }

const TOL = 1e-5;

function cases(): Case[] {
  const rng = new Random(13);
  const out: Case[] = [];
  for (let i = 0; i < 40; i++) {
    const rows = 1 + rng.int(24);
    const classes = 2 + rng.int(8);
    const logits = Array.from({ length: rows }, () => Array.from({ length: classes }, () => (rng.random() - 0.5) * 8));
    // About a third of the positions ignored; some cases all ignored.
    const labels = Array.from({ length: rows }, () => (i % 10 === 9 || rng.random() < 0.3 ? -100 : rng.int(classes)));
    // Weights from 0 (some classes switched off) to 5, some summing below 1.
    const weight = Array.from({ length: classes }, () => (rng.random() < 0.15 ? 0 : rng.random() * (i % 3 === 0 ? 0.2 : 5)));
    out.push({ logits, labels, weight, reduction: i % 4 === 3 ? 'sum' : 'mean' });
  }
  // Counted weights summing to 0 (NaN, as 0/0), next to an ignored row; and unweighted.
  out.push({ logits: [[1, 2, 3], [0.5, -1, 2], [1, 1, 1]], labels: [0, -100, 1], weight: [0, 0, 0.5], reduction: 'mean' });
  out.push({ logits: [[1, 2, 3], [0.5, -1, 2]], labels: [2, -100], weight: null, reduction: 'mean' });
  return out;
}

function torchReference(all: Case[]): Reference[] {
  const run = spawnSync(PYTHON, [SCRIPT], { input: JSON.stringify(all), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`${SCRIPT} failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as Reference[];
}

function expectClose(actual: number, want: number | null, label: string): void {
  if (want === null) {
    expect(actual, label).toBeNaN();
    return;
  }
  const excess = Math.abs(actual - want) - TOL * Math.max(1, Math.abs(want));
  expect(excess <= 0, `${label}: tfkit ${actual}, torch ${want}`).toBe(true);
}

describe.skipIf(!enabled)('weighted cross-entropy = torch.nn.CrossEntropyLoss(weight=…, ignore_index=-100)', { timeout: 120_000 }, () => {
  it(`loss and gradient within ${TOL} on 42 seeded cases (ignored positions, zero weights, weights summing below 1 and to 0)`, async () => {
    const all = cases();
    const want = torchReference(all);
    let worst = 0;
    await expectNoLeaks(() => {
      all.forEach((c, i) => {
        const z = tf.tensor2d(c.logits);
        const weight = c.weight ?? undefined;
        const f = (x: tf.Tensor): tf.Scalar =>
          c.reduction === 'sum'
            ? softmaxCrossEntropy(x, c.labels, { reduction: 'sum', ...(weight ? { weight } : {}) })
            : i % 2 === 0
              ? crossEntropyLoss(x, c.labels, { where: 'test', ...(weight ? { weight } : {}) })
              : sequenceClassificationLoss(x, c.labels, { where: 'test', problemType: 'single_label_classification', ...(weight ? { weight } : {}) });
        const { value, grad } = tf.valueAndGrad(f)(z);
        const loss = value.dataSync()[0] as number;
        const g = grad.arraySync() as number[][];
        const ref = want[i] as Reference;
        expectClose(loss, ref.loss, `case ${i} loss`);
        if (ref.loss !== null) worst = Math.max(worst, Math.abs(loss - ref.loss) / Math.max(1, Math.abs(ref.loss)));
        g.forEach((row, r) =>
          row.forEach((v, k) => {
            const w = (ref.grad[r] as (number | null)[])[k] ?? null;
            expectClose(v, w, `case ${i} grad[${r}][${k}]`);
            if (w !== null) worst = Math.max(worst, Math.abs(v - w) / Math.max(1, Math.abs(w)));
          }),
        );
        tf.dispose([z, value, grad]);
      });
    });
    console.log(`weighted cross-entropy vs torch: largest difference (relative to max(1, |torch|)) ${worst.toExponential(2)} over ${all.length} cases`);
  });
});
