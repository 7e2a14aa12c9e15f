import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { AutoModel, createRegistry, safetensorsToTensors } from '@tfkit/core-tensor';
import { registerViT } from '@tfkit/models-vit';
import { fixturePath, readFixtureJson, withBackend } from '@tfkit/test-utils';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { expectExportParity, loadRuntimes, type Forward } from './test/onnx-parity.js';
import { lcg, reportDiffs } from './test/parity.js';

type Pixels = number[][][][];

const FIXTURE = 'vit-image-classification';
const CASES: { architecture: string; outputs: Record<string, string | null> }[] = [
  { architecture: 'ViTForImageClassification', outputs: { logits: 'logits' } },
  // The classifier checkpoint has no pooler: pooler_output is compared with tfkit only.
  { architecture: 'ViTModel', outputs: { last_hidden_state: 'last_hidden_state', pooler_output: null } },
];

/** Three images of the fixture's size, another batch size than the fixture's two. */
function otherPixels(): Pixels {
  const rand = lcg(3);
  return Array.from({ length: 3 }, () => Array.from({ length: 3 }, () => Array.from({ length: 32 }, () => Array.from({ length: 32 }, () => rand() * 2 - 1))));
}

const runtimes = await loadRuntimes();
let tmp: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-onnx-vit-'));
});

const batchOf = (name: string, pixels: Pixels, hf = false) => ({ name, feeds: { pixel_values: { data: pixels, dtype: 'float32' as const } }, forward: { pixelValues: pixels }, hf });

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  reportDiffs('ViT ONNX parity');
});

describe('ViT exported to ONNX', () => {
  it.each(CASES)('$architecture: ONNX Runtime web and node equal tfkit and Hugging Face within 1e-4 (opsets 14 and 17; batch 2 and 3)', async ({ architecture, outputs }) => {
    await withBackend('cpu', async () => {
      const registry = registerViT(createRegistry());
      const model = await AutoModel.fromPretrained<Forward>(fixturePath('models', FIXTURE), { registry, architecture, strict: false });
      const pixels = readFixtureJson<{ forward: { pixel_values: Pixels } }>('models', FIXTURE, 'inputs.json').forward.pixel_values;
      const { tensors: expected } = safetensorsToTensors(fs.readFileSync(fixturePath('models', FIXTURE, 'expected.safetensors')), FIXTURE);
      await expectExportParity({
        model, architecture, registry, tmp, runtimes, outputs, expected,
        opsets: [14, 17],
        inputs: ['pixel_values'],
        batches: [batchOf('fixture', pixels, true), batchOf('other', otherPixels())],
      });
      tf.dispose([...expected.values()]);
      model.dispose();
    });
  }, 300_000);
});
