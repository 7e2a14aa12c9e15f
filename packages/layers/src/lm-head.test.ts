import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectAllClose, expectNoLeaks, withBackend } from '@tfkit/test-utils';
import { Embedding } from './embedding.js';
import { LMHead } from './lm-head.js';
import { Module } from './module.js';

describe.each(['cpu', 'wasm'] as const)('LMHead on %s', (backend) => {
  it('projects [N, C] to [N, vocab] with the token table [vocab, C], sharing its Parameter when tied', async () => {
    await withBackend(backend, async () => {
      const table = new Embedding(3, 2);
      table.loadStateDict(new Map<string, tf.Tensor>([['weight', tf.tensor2d([[1, 2], [3, 4], [-1, 0.5]])]]));
      class Tied extends Module {
        embed = table;
        lm_head = new LMHead(table.weight);
      }
      const model = new Tied();
      expect(model.lm_head.weight).toBe(model.embed.weight);
      expect(model.parameterCount()).toBe(6);
      await expectNoLeaks(() => tf.tidy(() => {
        const logits = model.lm_head.forward(tf.tensor2d([[1, 0], [0.5, -2]]));
        expectAllClose(logits, [[1, 3, -1], [0.5 - 4, 1.5 - 8, -0.5 - 1]], { atol: 1e-6 });
        const { value, grads } = tf.variableGrads(() => tf.sum(model.lm_head.forward(tf.ones([2, 2]))) as tf.Scalar, [table.weight.variable]);
        expectAllClose(grads[table.weight.variable.name] as tf.Tensor, tf.fill([3, 2], 2), { atol: 1e-6 });
        value.dispose();
      }), 'LMHead forward and gradient');
      model.dispose();
    });
  });
});
