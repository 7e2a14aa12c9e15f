import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '@tfkit/layers';
import { describe, expect, it } from 'vitest';
import { defaultLoss } from './forward.js';

describe('defaultLoss (cross-entropy of logits against batch.labels)', () => {
  const logits = () => tf.tensor2d([[1, 2, 0.5], [0, 0, 3]]);

  it('is the mean cross-entropy over labels that are not -100 (hand computed)', () => {
    const before = tf.memory().numTensors;
    const loss = tf.tidy(() => defaultLoss({ logits: logits() }, { labels: tf.tensor1d([1, -100], 'int32') }).dataSync()[0]!);
    // −log softmax([1, 2, 0.5])[1] = log(e + e² + e^0.5) − 2
    const expected = Math.log(Math.E + Math.E ** 2 + Math.E ** 0.5) - 2;
    expect(loss).toBeCloseTo(expected, 5);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses class ids outside [0, C) with a typed error instead of a silently wrong loss', () => {
    const before = tf.memory().numTensors;
    for (const bad of [[3, 3], [2, 3], [-1, 0]]) {
      expect(() => tf.tidy(() => defaultLoss({ logits: logits() }, { labels: tf.tensor1d(bad, 'int32') }))).toThrow(InputError);
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
