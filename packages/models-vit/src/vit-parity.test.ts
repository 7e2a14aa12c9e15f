import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { AutoModel, createRegistry, safetensorsToTensors } from '@tfkit/core-tensor';
import { expectAllClose, expectNoLeaks, fixturePath, readFixtureJson, withBackend } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { ViTForImageClassification } from './vit-heads.js';
import { ViTModel } from './vit-modeling.js';
import { registerViT } from './vit-register.js';

const NAME = 'vit-image-classification';

/** HF output name → the tensor in a tfkit output (`hidden_states.2` → hiddenStates[2]). */
function pick(out: object, name: string): tf.Tensor {
  const [head, index] = name.split('.') as [string, string | undefined];
  const value = (out as Record<string, unknown>)[head.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())];
  const t = index === undefined ? value : (value as tf.Tensor[] | undefined)?.[Number(index)];
  if (!(t instanceof tf.Tensor)) throw new Error(`output has no ${name}`);
  return t;
}

function fixture() {
  const pixelValues = readFixtureJson<{ forward: { pixel_values: number[][][][] } }>('models', NAME, 'inputs.json').forward.pixel_values;
  const { tensors: expected } = safetensorsToTensors(fs.readFileSync(fixturePath('models', NAME, 'expected.safetensors')), NAME);
  return { pixelValues, expected };
}

describe.each(['cpu', 'wasm'])('ViT parity with Hugging Face on %s', (backend) => {
  it('AutoModel builds ViTForImageClassification; logits, last_hidden_state, every hidden state and attention within 1e-4', async () => {
    await withBackend(backend, async () => {
      const registry = registerViT(createRegistry());
      const model = await AutoModel.fromPretrained<ViTForImageClassification>(fixturePath('models', NAME), { registry });
      expect(model).toBeInstanceOf(ViTForImageClassification);
      expect(model.loadReport).toEqual({ missing: [], unexpected: [], mismatched: [] });
      const { pixelValues, expected } = fixture();
      expect([...expected.keys()].sort()).toEqual([
        'attentions.0', 'attentions.1', 'hidden_states.0', 'hidden_states.1', 'hidden_states.2', 'last_hidden_state', 'logits',
      ]);
      await expectNoLeaks(() => {
        const out = model.forward({ pixelValues, outputHiddenStates: true, outputAttentions: true });
        expect(out.hiddenStates).toHaveLength(3);
        expect(out.attentions).toHaveLength(2);
        for (const [key, want] of expected) expectAllClose(pick(out, key), want, { atol: 1e-4, label: `${backend} ${key}` });
        tf.dispose(out as unknown as tf.TensorContainer);
      }, 'forward');
      tf.dispose([...expected.values()]);
      model.dispose();
    });
  });

  it('channels-last input gives the same logits; ViTModel loads the classification checkpoint (prefix stripped, head ignored)', async () => {
    await withBackend(backend, async () => {
      const model = await ViTForImageClassification.fromPretrained(fixturePath('models', NAME));
      const base = await ViTModel.fromPretrained(fixturePath('models', NAME));
      expect(base.loadReport.unexpected.sort()).toEqual(['classifier.bias', 'classifier.weight']);
      expect(base.loadReport.missing).toEqual(['pooler.dense.weight', 'pooler.dense.bias']);
      const { pixelValues, expected } = fixture();
      await expectNoLeaks(() => tf.tidy(() => {
        const nhwc = tf.transpose(tf.tensor4d(pixelValues), [0, 2, 3, 1]);
        expectAllClose(model.forward({ pixelValues: nhwc, dataFormat: 'channelsLast' }).logits, expected.get('logits')!, { atol: 1e-4 });
        const out = base.forward({ pixelValues });
        expectAllClose(out.lastHiddenState, expected.get('last_hidden_state')!, { atol: 1e-4 });
        expect(out.poolerOutput?.shape).toEqual([2, 32]);
      }));
      tf.dispose([...expected.values()]);
      model.dispose();
      base.dispose();
    });
  });
});
