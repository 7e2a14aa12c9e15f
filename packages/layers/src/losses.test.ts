import * as tf from '@tensorflow/tfjs-core';
import { expectAllClose, expectNoLeaks } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { InputError } from './errors.js';
import { causalLmLoss, crossEntropyLoss, sequenceClassificationLoss } from './losses.js';

const where = 'TestModel';
const logits = [[1, 2, 3], [0.5, -1, 2]];

/** −log softmax(z)[label], in float64. */
function rowLoss(row: number[], label: number): number {
  const max = Math.max(...row);
  return max + Math.log(row.reduce((a, z) => a + Math.exp(z - max), 0)) - (row[label] as number);
}

const value = (f: () => tf.Scalar) => tf.tidy(() => f().dataSync()[0] as number);

/** Runs `f`, expects it to throw an InputError matching `pattern`, and that nothing leaks on the way. */
async function expectLabelError(f: () => unknown, pattern: RegExp): Promise<InputError> {
  return expectNoLeaks(() => {
    let caught: unknown;
    try {
      f();
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(InputError);
    expect((caught as InputError).message).toMatch(pattern);
    return caught as InputError;
  }, 'the failing loss');
}

describe('crossEntropyLoss', () => {
  it('is the mean −log p(label) (PyTorch: 1.0744586 for these logits), with its gradient', async () => {
    await expectNoLeaks(() => {
      const z = tf.tensor2d(logits);
      const want = (rowLoss(logits[0]!, 2) + rowLoss(logits[1]!, 0)) / 2;
      expect(value(() => crossEntropyLoss(z, [2, 0], { where }))).toBeCloseTo(want, 6);
      expect(want).toBeCloseTo(1.0744586, 6); // torch.nn.functional.cross_entropy
      const g = tf.grad((x: tf.Tensor) => crossEntropyLoss(x, [2, 0], { where }))(z);
      expectAllClose(g, [[0.0450153, 0.1223642, -0.1673795], [-0.4123548, 0.0195563, 0.3927985]], { atol: 1e-6 });
      tf.dispose([z, g]);
    });
  });

  it('ignores −100 (mean over the rest); all ignored is NaN with a zero gradient, as PyTorch', async () => {
    await expectNoLeaks(() => {
      const z = tf.tensor2d(logits);
      expect(value(() => crossEntropyLoss(z, [2, -100], { where }))).toBeCloseTo(rowLoss(logits[0]!, 2), 6); // torch 0.4076059
      const g = tf.grad((x: tf.Tensor) => crossEntropyLoss(x, [2, -100], { where }))(z);
      expectAllClose(g, [[0.0900306, 0.2447285, -0.334759], [0, 0, 0]], { atol: 1e-6 });
      expect(value(() => crossEntropyLoss(z, [-100, -100], { where }))).toBeNaN();
      const g0 = tf.grad((x: tf.Tensor) => crossEntropyLoss(x, [-100, -100], { where }))(z);
      expectAllClose(g0, [[0, 0, 0], [0, 0, 0]], { atol: 0 });
      // Another ignore index (a span head ignores the sequence length).
      expect(value(() => crossEntropyLoss(z, [2, 3], { where, ignoreIndex: 3 }))).toBeCloseTo(rowLoss(logits[0]!, 2), 6);
      tf.dispose([z, g, g0]);
    });
  });

  it('takes int32 or float tensors and arrays alike when they hold integers', async () => {
    await expectNoLeaks(() => {
      const z = tf.tensor2d(logits);
      const want = value(() => crossEntropyLoss(z, [2, 0], { where }));
      const asInt = tf.tensor1d([2, 0], 'int32');
      const asFloat = tf.tensor1d([2, 0], 'float32');
      expect(value(() => crossEntropyLoss(z, asInt, { where }))).toBe(want);
      expect(value(() => crossEntropyLoss(z, asFloat, { where }))).toBe(want);
      tf.dispose([z, asInt, asFloat]);
    });
  });

  it('rejects labels outside [0, C) with a typed error naming the entry (they used to score 0 or halve the loss)', async () => {
    const z = tf.tensor2d(logits);
    await expectLabelError(() => crossEntropyLoss(z, [3, 3], { where }), /^TestModel: labels\[0\] = 3 is not a class id: expected an integer in \[0, 3\), or -100 to ignore the position/);
    const e = await expectLabelError(() => crossEntropyLoss(z, [2, 3], { where, classesKey: 'num_labels' }), /labels\[1\] = 3 is not a class id: expected an integer in \[0, 3\) \(num_labels\)/);
    expect(e.argument).toBe('labels');
    expect(e.index).toEqual([1]);
    await expectLabelError(() => crossEntropyLoss(z, [-1, 0], { where }), /labels\[0\] = -1 is not a class id/);
    await expectLabelError(() => crossEntropyLoss(z, [0, 1.5], { where }), /labels\[1\] = 1.5 is not an integer/);
    await expectLabelError(() => crossEntropyLoss(z, [0, Number.NaN], { where }), /labels\[1\] = NaN is not an integer/);
    const floatBad = tf.tensor1d([0, 2.5]);
    await expectLabelError(() => crossEntropyLoss(z, floatBad, { where }), /labels\[1\] = 2.5 is not an integer/);
    await expectLabelError(() => crossEntropyLoss(z, [0, 1, 2], { where }), /labels is \[3\], expected \[2\]/);
    await expectLabelError(() => crossEntropyLoss(z, [[0, 1]], { where, name: 'nextSentenceLabel' }), /nextSentenceLabel is nested deeper than \[batch\]/);
    // Token-level labels [B, T] for logits [B, T, V]: the position names both axes.
    const tokens = tf.zeros([2, 3, 5]);
    await expectLabelError(() => crossEntropyLoss(tokens, [[0, -100, 4], [1, 5, -100]], { where, classesKey: 'vocab_size' }), /labels\[1\]\[1\] = 5 is not a class id: expected an integer in \[0, 5\) \(vocab_size\)/);
    tf.dispose([z, floatBad, tokens]);
  });
});

describe('crossEntropyLoss with class weights (PyTorch CrossEntropyLoss(weight=…))', () => {
  const w = [0.2, 1.5, 0.7];

  /** Σ w[y]·(−log p(y)) / Σ w[y] over the counted labels, and its gradient w[y]·(softmax − onehot) / Σ w[y], in float64. */
  function weighted(rows: number[][], labels: number[], weight: number[]): { loss: number; grad: number[][] } {
    const total = labels.reduce((a, y) => a + (y === -100 ? 0 : (weight[y] as number)), 0);
    let loss = 0;
    const grad = rows.map((row, i) => {
      const y = labels[i] as number;
      if (y === -100) return row.map(() => 0);
      loss += ((weight[y] as number) * rowLoss(row, y)) / total;
      const max = Math.max(...row);
      const sum = row.reduce((a, z) => a + Math.exp(z - max), 0);
      return row.map((z, c) => ((weight[y] as number) * (Math.exp(z - max) / sum - (c === y ? 1 : 0))) / total);
    });
    return { loss, grad };
  }

  it('divides by the sum of the counted labels’ weights, ignored positions adding nothing (loss and gradient)', async () => {
    await expectNoLeaks(() => {
      const rows = [[1, 2, 3], [0.5, -1, 2], [0, 0.3, -0.4], [2, 2, -1]];
      const labels = [2, 0, -100, 1];
      const z = tf.tensor2d(rows);
      const want = weighted(rows, labels, w);
      expect(value(() => crossEntropyLoss(z, labels, { where, weight: w }))).toBeCloseTo(want.loss, 6);
      const g = tf.grad((x: tf.Tensor) => crossEntropyLoss(x, labels, { where, weight: w }))(z);
      expectAllClose(g, want.grad, { atol: 1e-6 });
      // Weights all 1 are the unweighted mean; a float32 tensor works like an array.
      const ones = tf.ones([3]);
      expect(value(() => crossEntropyLoss(z, labels, { where, weight: ones }))).toBeCloseTo(value(() => crossEntropyLoss(z, labels, { where })), 6);
      // Token labels [B, T] for logits [B, T, C].
      const z3 = tf.reshape(z, [2, 2, 3]);
      expect(value(() => crossEntropyLoss(z3, [[2, 0], [-100, 1]], { where, weight: Float32Array.from(w) }))).toBeCloseTo(want.loss, 6);
      tf.dispose([z, g, ones, z3]);
    });
  });

  it('all ignored: NaN with a zero gradient; counted weights summing to 0: NaN, the gradient NaN where counted and 0 where ignored (as PyTorch)', async () => {
    await expectNoLeaks(() => {
      const z = tf.tensor2d(logits);
      expect(value(() => crossEntropyLoss(z, [-100, -100], { where, weight: w }))).toBeNaN();
      const g0 = tf.grad((x: tf.Tensor) => crossEntropyLoss(x, [-100, -100], { where, weight: w }))(z);
      expectAllClose(g0, [[0, 0, 0], [0, 0, 0]], { atol: 0 });
      const zeroFirst = [0, 1, 1];
      expect(value(() => crossEntropyLoss(z, [0, -100], { where, weight: zeroFirst }))).toBeNaN();
      const g1 = tf.grad((x: tf.Tensor) => crossEntropyLoss(x, [0, -100], { where, weight: zeroFirst }))(z);
      const g1v = g1.arraySync() as number[][];
      expect(g1v[0]!.every(Number.isNaN)).toBe(true);
      expect(g1v[1]).toEqual([0, 0, 0]);
      tf.dispose([z, g0, g1]);
    });
  });

  it('sequenceClassificationLoss takes weight for single-label classification, and only there', async () => {
    await expectNoLeaks(() => {
      const z = tf.tensor2d(logits);
      const want = weighted(logits, [2, 0], w).loss;
      expect(value(() => sequenceClassificationLoss(z, [2, 0], { where, weight: w }))).toBeCloseTo(want, 6);
      expect(value(() => sequenceClassificationLoss(z, [[2], [0]], { where, weight: w }))).toBeCloseTo(want, 6);
      tf.dispose(z);
    });
    const multi = tf.tensor2d(logits);
    await expectLabelError(() => sequenceClassificationLoss(multi, [[1, 0, 1], [0, 0, 1]], { where, weight: w }), /^TestModel: class weights apply to single-label classification, not multi_label_classification \(problem_type\)/);
    multi.dispose();
  });

  it('rejects a weight per class too many or few, negative or non-finite weights, with a typed error naming the entry', async () => {
    const z = tf.tensor2d(logits);
    const e = await expectLabelError(() => crossEntropyLoss(z, [2, 0], { where, weight: [1, 1] }), /^TestModel: weight has 2 values for 3 classes: give one weight per class/);
    expect(e.argument).toBe('weight');
    await expectLabelError(() => sequenceClassificationLoss(z, [2, 0], { where, weight: [1, 1, 1, 1] }), /weight has 4 values for 3 classes \(num_labels\)/);
    const neg = await expectLabelError(() => crossEntropyLoss(z, [2, 0], { where, weight: [1, -0.5, 1] }), /weight\[1\] = -0.5 is negative: class weights must be ≥ 0/);
    expect(neg.index).toEqual([1]);
    await expectLabelError(() => crossEntropyLoss(z, [2, 0], { where, weight: [1, 1, Number.NaN] }), /weight\[2\] = NaN is not a finite number/);
    await expectLabelError(() => crossEntropyLoss(z, [2, 0], { where, weight: [Number.POSITIVE_INFINITY, 1, 1] }), /weight\[0\] = Infinity is not a finite number/);
    const matrix = tf.ones([3, 1]);
    await expectLabelError(() => crossEntropyLoss(z, [2, 0], { where, weight: matrix }), /weight must be one number per class \[3\], got a tensor of shape \[3,1\]/);
    tf.dispose([z, matrix]);
  });
});

describe('causalLmLoss', () => {
  const z = [[[0.1, 0.2, 0.3, 0.4], [1, -1, 0.5, 0], [2, 0, 0, -2]]];

  it('scores position t against label t + 1 (PyTorch shift: 1.3425356, 1.0445515)', async () => {
    await expectNoLeaks(() => {
      const x = tf.tensor3d(z);
      const rows = z[0]!;
      expect(value(() => causalLmLoss(x, [[1, 2, -100]], { where }))).toBeCloseTo(rowLoss(rows[0]!, 2), 6);
      expect(value(() => causalLmLoss(x, [[1, 2, -100]], { where }))).toBeCloseTo(1.3425356, 6);
      expect(value(() => causalLmLoss(x, [[1, 2, 0]], { where }))).toBeCloseTo((rowLoss(rows[0]!, 2) + rowLoss(rows[1]!, 0)) / 2, 6);
      expect(value(() => causalLmLoss(x, [[1, 2, 0]], { where }))).toBeCloseTo(1.0445515, 6);
      expect(value(() => causalLmLoss(x, [[1, -100, -100]], { where }))).toBeNaN();
      x.dispose();
    });
  });

  it('rejects ids outside the vocabulary and labels of another shape', async () => {
    const x = tf.tensor3d(z);
    await expectLabelError(() => causalLmLoss(x, [[1, 4, 0]], { where }), /labels\[0\]\[1\] = 4 is not a class id: expected an integer in \[0, 4\) \(vocab_size\)/);
    await expectLabelError(() => causalLmLoss(x, [[1, 2]], { where }), /labels is \[1,2\], expected \[1,3\]/);
    x.dispose();
  });
});

describe('sequenceClassificationLoss (Hugging Face problem_type rules)', () => {
  it('single-label: [B] or [B, 1] class ids, int or float holding integers, −100 ignored', async () => {
    await expectNoLeaks(() => {
      const z = tf.tensor2d(logits);
      const want = (rowLoss(logits[0]!, 2) + rowLoss(logits[1]!, 0)) / 2;
      const floatIds = tf.tensor1d([2, 0], 'float32');
      const column = tf.tensor2d([[2], [0]], undefined, 'int32');
      for (const labels of [[2, 0], [[2], [0]], floatIds, column]) {
        expect(value(() => sequenceClassificationLoss(z, labels, { where }))).toBeCloseTo(want, 6);
      }
      expect(value(() => sequenceClassificationLoss(z, [-100, 0], { where }))).toBeCloseTo(rowLoss(logits[1]!, 0), 6);
      tf.dispose([z, floatIds, column]);
    });
  });

  it('multi-label: [B, num_labels] targets → binary cross-entropy on logits (PyTorch 0.3822603)', async () => {
    await expectNoLeaks(() => {
      const z = [[0.3, -1.2, 2.0], [-0.7, 0.1, 1.5]];
      const y = [[1, 0, 1], [0, 0, 1]];
      const sig = (v: number) => 1 / (1 + Math.exp(-v));
      const want = -z.flat().reduce((a, v, i) => a + (y.flat()[i]! ? Math.log(sig(v)) : Math.log(1 - sig(v))), 0) / 6;
      expect(want).toBeCloseTo(0.3822603, 6);
      const x = tf.tensor2d(z);
      const yInt = tf.tensor2d(y, undefined, 'int32');
      expect(value(() => sequenceClassificationLoss(x, y, { where }))).toBeCloseTo(want, 6);
      expect(value(() => sequenceClassificationLoss(x, yInt, { where }))).toBeCloseTo(want, 6);
      expect(value(() => sequenceClassificationLoss(x, y, { where, problemType: 'multi_label_classification' }))).toBeCloseTo(want, 6);
      // Soft targets are fine (BCEWithLogits does not check them).
      expect(value(() => sequenceClassificationLoss(x, [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]], { where }))).toBeGreaterThan(0);
      tf.dispose([x, yInt]);
    });
  });

  it('regression: one label squeezes [B] / [B, 1] (PyTorch 0.065); more labels with problem_type take [B, num_labels] (0.5)', async () => {
    await expectNoLeaks(() => {
      const one = tf.tensor2d([[0.3], [-1.2]]);
      for (const labels of [[0.5, -1.5], [[0.5], [-1.5]]]) expect(value(() => sequenceClassificationLoss(one, labels, { where }))).toBeCloseTo(0.065, 6);
      const two = tf.tensor2d([[1, 2], [3, 4]]);
      expect(value(() => sequenceClassificationLoss(two, [[0, 2], [3, 5]], { where, problemType: 'regression' }))).toBeCloseTo(0.5, 6);
      tf.dispose([one, two]);
    });
  });

  it('bad labels are typed errors, and nothing leaks', async () => {
    const z = tf.tensor2d(logits);
    await expectLabelError(() => sequenceClassificationLoss(z, [3, 3], { where }), /labels\[0\] = 3 is not a class id: expected an integer in \[0, 3\) \(num_labels\)/);
    await expectLabelError(() => sequenceClassificationLoss(z, [2, 3], { where }), /labels\[1\] = 3 is not a class id/);
    await expectLabelError(() => sequenceClassificationLoss(z, [0.5, 1], { where }), /labels\[0\] = 0.5 is not an integer/);
    await expectLabelError(() => sequenceClassificationLoss(z, [[1, 0], [0, 1]], { where }), /labels are \[batch, 2\]: pass class ids \[batch\] \(or \[batch, 1\]\), or multi-label targets \[batch, 3\]/);
    await expectLabelError(() => sequenceClassificationLoss(z, [[1, 0, 1]], { where }), /labels is \[1,3\], expected \[2,3\]/);
    await expectLabelError(() => sequenceClassificationLoss(z, [[1, 0, 1], [0, 1]], { where }), /labels is ragged/);
    await expectLabelError(() => sequenceClassificationLoss(z, ['a', 'b'] as unknown as number[], { where }), /labels\[0\] is a string/);
    const one = tf.tensor2d([[0.3], [-1.2]]);
    await expectLabelError(() => sequenceClassificationLoss(one, [0.5, 1, 2], { where }), /labels is \[3\], expected \[2\]/);
    tf.dispose([z, one]);
  });
});
