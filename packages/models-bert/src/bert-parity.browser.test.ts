// BERT parity with Hugging Face on webgl and webgpu in Chromium (both on SwiftShader here): every output tensor of one
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

// webgpu needs an adapter (SwiftShader's, with the --enable-unsafe-webgpu flag the browser tests pass);
// a Chromium without one skips that case, visibly.
const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
const backends = gpu !== undefined && (await gpu.requestAdapter()) !== null ? (['webgl', 'webgpu'] as const) : (['webgl'] as const);

describe('BERT in Chromium', () => {
  it.each(backends)('%s: bert-for-pretraining outputs, hidden states and attentions within 1e-3 of Hugging Face', async (backend) => {
    const registry = registerBert(createRegistry());
    registerAllBackends(registry);
    const activation = await useBackend(registry, backend);
    expect(activation.backend).toBe(backend);
    const model = await AutoModel.fromPretrained<BertForPreTraining>(base, { registry });
    const inputs = ((await (await fetch(`${base}/inputs.json`)).json()) as { forward: Record<string, number[][]> }).forward;
    const { tensors: expected } = safetensorsToTensors(new Uint8Array(await (await fetch(`${base}/expected.safetensors`)).arrayBuffer()), 'expected.safetensors');
    expect(expected.size).toBe(9);
    await expectNoLeaks(async () => {
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
        expect(got.shape, key).toEqual(want.shape);
        // Read asynchronously: tfjs-backend-webgpu's synchronous read goes through a canvas, which
        // reads zeros under SwiftShader.
        expectAllClose(await got.data(), await want.data(), { atol: 1e-3, label: key });
      }
      tf.dispose(out as unknown as tf.TensorContainer);
    }, `${backend} forward`);
    tf.dispose([...expected.values()]);
    model.dispose();
  });
});
