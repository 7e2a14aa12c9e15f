import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { AutoModel, createRegistry, safetensorsToTensors, type PretrainedModel } from '@tfkit/core-tensor';
import { registerViT } from '@tfkit/models-vit';
import { fixturePath, readFixtureJson, withBackend } from '@tfkit/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportOnnx } from './export.js';
import { decodeModel } from './serialize.js';
import { loadOrt, runOnnx, type Runtime } from './test/ort.js';
import { camel, lcg, maxAbsDiff, record, reportDiffs } from './test/parity.js';

type Forward = PretrainedModel & { forward(inputs: Record<string, unknown>): Record<string, tf.Tensor> };
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

const RUNTIMES: Runtime[] = ['web', 'node'];
const orts = new Map<Runtime, Awaited<ReturnType<typeof loadOrt>>>();
let tmp: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-onnx-vit-'));
  for (const runtime of RUNTIMES) orts.set(runtime, await loadOrt(runtime));
  const node = orts.get('node');
  if (typeof node === 'string') console.warn(`skipped onnxruntime-node parity: ${node}`);
});

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
      for (const opset of [14, 17]) {
        const dir = path.join(tmp, `${architecture}-${opset}`);
        const before = tf.memory().numTensors;
        await exportOnnx(model, dir, { registry, opset });
        expect(tf.memory().numTensors).toBe(before);
        const proto = decodeModel(fs.readFileSync(path.join(dir, 'onnx/model.onnx')));
        expect(proto.graph?.input?.map((i) => i.name)).toEqual(['pixel_values']);
        expect(proto.graph?.output?.map((o) => o.name)).toEqual(Object.keys(outputs));
        for (const [name, batch] of [['fixture', pixels], ['other', otherPixels()]] as const) {
          const ours = model.forward({ pixelValues: batch });
          for (const runtime of RUNTIMES) {
            const ort = orts.get(runtime);
            if (typeof ort === 'string' || ort === undefined) continue;
            const got = await runOnnx(ort, path.join(dir, 'onnx/model.onnx'), { pixel_values: { data: batch, dtype: 'float32' } });
            for (const [output, reference] of Object.entries(outputs)) {
              const label = `${architecture} ${output}`;
              const vsTfkit = maxAbsDiff(got[output] as never, ours[camel(output)] as tf.Tensor, label);
              record(`${runtime} vs tfkit: ${label}`, vsTfkit);
              expect(vsTfkit, `${runtime} opset ${opset} ${name}: ${label} vs tfkit`).toBeLessThan(1e-4);
              if (name === 'fixture' && reference !== null) {
                const vsHf = maxAbsDiff(got[output] as never, expected.get(reference) as tf.Tensor, label);
                record(`${runtime} vs HF: ${label}`, vsHf);
                expect(vsHf, `${runtime} opset ${opset}: ${label} vs Hugging Face`).toBeLessThan(1e-4);
              }
            }
          }
          tf.dispose(ours);
        }
      }
      tf.dispose([...expected.values()]);
      model.dispose();
    });
  }, 300_000);
});
