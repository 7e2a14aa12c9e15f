import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectAllClose, expectNoLeaks } from '@tfkit/test-utils';
import { ShapeError } from '../errors.js';
import { embeddingLookup } from './embedding.js';
import { NODE_BACKENDS, onBackend, valueAndGrads } from './op-test-helpers.js';

describe.each(NODE_BACKENDS)('embeddingLookup on %s', (backend) => {
  onBackend(backend);

  it('gathers rows for ids of any shape', () => {
    const table = tf.tensor2d([[0, 1], [10, 11], [20, 21], [30, 31]]);
    const ids = tf.tensor2d([[3, 0, 1], [1, 1, 2]], [2, 3], 'int32');
    const out = embeddingLookup(table, ids);
    expect(out.shape).toEqual([2, 3, 2]);
    expect(out.arraySync()).toEqual([[[30, 31], [0, 1], [10, 11]], [[10, 11], [10, 11], [20, 21]]]);
    tf.dispose([table, ids, out]);
  });

  it('scatters gradients into the table, summing repeated ids (no UnsortedSegmentSum needed)', async () => {
    const table = tf.tensor2d([[0, 1], [10, 11], [20, 21], [30, 31]]);
    const ids = tf.tensor2d([[3, 0, 1], [1, 1, 2]], [2, 3], 'int32');
    // Weight each looked-up position differently so a wrong scatter cannot pass.
    const w = tf.tensor3d([[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11, 12]]]);
    await expectNoLeaks(() => {
      const { grads } = valueAndGrads((t) => tf.sum(tf.mul(embeddingLookup(t!, ids), w)) as tf.Scalar, [table]);
      // row 0 ← position (0,1); row 1 ← (0,2) + (1,0) + (1,1); row 2 ← (1,2); row 3 ← (0,0)
      expectAllClose(grads[0]!, [3, 4, 5 + 7 + 9, 6 + 8 + 10, 11, 12, 1, 2], { atol: 1e-6 });
    }, 'embedding gradient');
    tf.dispose([table, ids, w]);
  });

  it('paddingIdx: the padding row gets no gradient from the lookup (torch.nn.functional.embedding padding_idx)', async () => {
    const table = tf.tensor2d([[0, 1], [10, 11], [20, 21], [30, 31]]);
    const ids = tf.tensor2d([[3, 0, 1], [1, 1, 2]], [2, 3], 'int32');
    const w = tf.tensor3d([[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11, 12]]]);
    await expectNoLeaks(() => {
      for (const paddingIdx of [1, -3]) {
        const { grads } = valueAndGrads((t) => tf.sum(tf.mul(embeddingLookup(t!, ids, { paddingIdx }), w)) as tf.Scalar, [table]);
        // As the test above, with row 1's three contributions dropped.
        expectAllClose(grads[0]!, [3, 4, 0, 0, 11, 12, 1, 2], { atol: 1e-6 });
      }
      expect(tf.tidy(() => embeddingLookup(table, ids, { paddingIdx: 1 }).arraySync())).toEqual([[[30, 31], [0, 1], [10, 11]], [[10, 11], [10, 11], [20, 21]]]);
    }, 'embedding gradient with paddingIdx');
    expect(() => embeddingLookup(table, ids, { paddingIdx: 4 })).toThrow(ShapeError);
    expect(() => embeddingLookup(table, ids, { paddingIdx: 0.5 })).toThrow(/paddingIdx 0.5/);
    tf.dispose([table, ids, w]);
  });

  it('accepts float ids (cast to int32) and rejects a table that is not 2-D', () => {
    const table = tf.tensor2d([[1, 2], [3, 4]]);
    const ids = tf.tensor1d([1, 0]);
    expect(tf.tidy(() => embeddingLookup(table, ids).arraySync())).toEqual([[3, 4], [1, 2]]);
    const flat = tf.tensor1d([1, 2]);
    expect(() => embeddingLookup(flat, ids)).toThrow(ShapeError);
    tf.dispose([table, ids, flat]);
  });
});
