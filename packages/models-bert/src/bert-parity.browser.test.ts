// BERT parity with Hugging Face on webgl in Chromium (SwiftShader): every output tensor of one
// fixture within 1e-3, the checkpoint loaded over HTTP from the Vite server.
import * as tf from '@tensorflow/tfjs-core';
import { registerAllBackends, useBackend } from '@tfkit/backends';
import { AutoModel, createRegistry, safetensorsToTensors } from '@tfkit/core-tensor';
import { expectAllClose, expectNoLeaks } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import type { BertForPreTraining } from './bert-heads.js';
import { registerBert } from './bert-register.js';

declare const __TFKIT_FIXTURES__: string;
const base = `${location.origin}/@fs${__TFKIT_FIXTURES__}/models/bert-for-pretraining`;

describe('BERT in Chromium', () => {
  it('webgl: bert-for-pretraining outputs, hidden states and attentions within 1e-3 of Hugging Face', async () => {
    const registry = registerBert(createRegistry());
    registerAllBackends(registry);
    const activation = await useBackend(registry, 'webgl');
    expect(activation.backend).toBe('webgl');
    const model = await AutoModel.fromPretrained<BertForPreTraining>(base, { registry });
    const inputs = ((await (await fetch(`${base}/inputs.json`)).json()) as { forward: Record<string, number[][]> }).forward;
    const { tensors: expected } = safetensorsToTensors(new Uint8Array(await (await fetch(`${base}/expected.safetensors`)).arrayBuffer()), 'expected.safetensors');
    expect(expected.size).toBe(9);
    await expectNoLeaks(() => {
      const out = model.forward({
        inputIds: inputs['input_ids'],
        attentionMask: inputs['attention_mask'],
        tokenTypeIds: inputs['token_type_ids'],
        outputHiddenStates: true,
        outputAttentions: true,
      }) as unknown as Record<string, tf.Tensor | tf.Tensor[]>;
      for (const [key, want] of expected) {
        const [head, index] = key.split('.') as [string, string | undefined];
        const value = out[head.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())];
        const got = index === undefined ? (value as tf.Tensor) : (value as tf.Tensor[])[Number(index)]!;
        expectAllClose(got, want, { atol: 1e-3, label: key });
      }
      tf.dispose(out as unknown as tf.TensorContainer);
    }, 'webgl forward');
    tf.dispose([...expected.values()]);
    model.dispose();
  });
});
