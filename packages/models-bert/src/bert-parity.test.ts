import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { AutoModel, createRegistry, safetensorsToTensors } from '@tfkit/core-tensor';
import { expectAllClose, expectNoLeaks, fixturePath, readFixtureJson, withBackend } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { registerBert } from './bert-register.js';
import type { BertPreTrainedModel } from './bert-modeling.js';

const FIXTURES = ['bert-for-pretraining', 'bert-sequence-classification', 'bert-token-classification', 'bert-question-answering'];

/** HF output name → the tensor in a tfkit output (`hidden_states.2` → hiddenStates[2]). */
function pick(out: Record<string, unknown>, name: string): tf.Tensor {
  const [head, index] = name.split('.') as [string, string | undefined];
  const key = head.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  const value = out[key];
  const t = index === undefined ? value : (value as tf.Tensor[] | undefined)?.[Number(index)];
  if (!(t instanceof tf.Tensor)) throw new Error(`output has no ${name} (${key})`);
  return t;
}

describe.each(['cpu', 'wasm'])('BERT parity with Hugging Face on %s', (backend) => {
  it.each(FIXTURES)('%s: every output tensor within 1e-4', async (name) => {
    await withBackend(backend, async () => {
      const registry = registerBert(createRegistry());
      const model = await AutoModel.fromPretrained<BertPreTrainedModel & { forward(i: unknown): Record<string, unknown> }>(fixturePath('models', name), { registry });
      const inputs = readFixtureJson<{ forward: Record<string, number[][]> }>('models', name, 'inputs.json').forward;
      const { tensors: expected } = safetensorsToTensors(fs.readFileSync(fixturePath('models', name, 'expected.safetensors')), name);
      expect(expected.size).toBeGreaterThanOrEqual(7);
      await expectNoLeaks(() => {
        const out = model.forward({
          inputIds: inputs['input_ids'],
          attentionMask: inputs['attention_mask'],
          tokenTypeIds: inputs['token_type_ids'],
          outputHiddenStates: true,
          outputAttentions: true,
        });
        for (const [key, want] of expected) expectAllClose(pick(out, key), want, { atol: 1e-4, label: `${name} ${key}` });
        tf.dispose(out as tf.TensorContainer);
      }, `${name} forward`);
      tf.dispose([...expected.values()]);
      model.dispose();
    });
  });
});
