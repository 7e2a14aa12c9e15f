// Fuzz: seeded random and hostile exportOnnx options (opset, dynamic axes, external data, task,
// past) on a tiny BERT. Anything but a written folder or a typed tfkit error fails, and so does a
// case over 10 s or one that changes tf.memory().numTensors.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRegistry, TfkitError } from '@tfkit/core-tensor';
import { BertForTokenClassification, registerBert } from '@tfkit/models-bert';
import { fuzzCases, withBackend, HOSTILE_VALUES, SIZE_VALUES, type FuzzRandom } from '@tfkit/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { exportOnnx, type ExportOnnxOptions } from './export.js';
import { decodeModel } from './serialize.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-onnx-fuzz-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const AXES = ['batch_size', 'sequence_length', 'num_choices', 'other'];

function options(rng: FuzzRandom): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (rng.chance(0.8)) o['opset'] = rng.chance(0.7) ? rng.int(12, 23) : rng.pick([...HOSTILE_VALUES, 17.5, Number.NaN, '17']);
  if (rng.chance(0.6)) {
    const r = rng.next();
    if (r < 0.2) o['dynamicAxes'] = rng.pick([true, false, ...HOSTILE_VALUES]);
    else {
      const axes: Record<string, unknown> = {};
      for (let i = rng.int(1, 3); i > 0; i--) {
        axes[rng.pick(AXES)] = rng.chance(0.5) ? rng.pick(SIZE_VALUES) : rng.pick(['b', 'seq', '', ...HOSTILE_VALUES]);
      }
      o['dynamicAxes'] = axes;
    }
  }
  if (rng.chance(0.3)) o['externalData'] = rng.pick([true, false, 'auto', ...HOSTILE_VALUES]);
  if (rng.chance(0.2)) o['withPast'] = rng.pick([true, false, ...HOSTILE_VALUES]);
  if (rng.chance(0.2)) o['task'] = rng.pick(['token-classification', 'feature-extraction', ...HOSTILE_VALUES]);
  return o;
}

describe('fuzz: exportOnnx options', () => {
  it('2000 seeded option sets: each writes a readable model or is a typed error, leaking nothing', async () => {
    await withBackend('cpu', async () => {
      const registry = registerBert(createRegistry());
      const model = new BertForTokenClassification({ vocabSize: 30, hiddenSize: 8, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 16, maxPositionEmbeddings: 16 });
      const dir = path.join(tmp, 'out');
      const report = await fuzzCases({
        seed: 61, cases: 2000, isTyped: (e) => e instanceof TfkitError,
        make: (rng) => options(rng),
        run: async (o) => {
          fs.rmSync(dir, { recursive: true, force: true });
          const { files, opset } = await exportOnnx(model, dir, { ...o, registry } as ExportOnnxOptions);
          const proto = decodeModel(fs.readFileSync(path.join(dir, 'onnx/model.onnx')));
          // What was written is what was asked: the opset, and the files listed.
          if (Number(proto.opsetImport[0]?.version) !== opset) throw new Error(`opset ${opset} asked, ${String(proto.opsetImport[0]?.version)} written`);
          for (const f of files) if (!fs.existsSync(path.join(dir, f))) throw new Error(`listed file ${f} is missing`);
        },
      });
      model.dispose();
      expect(report.failures).toEqual([]);
      expect(report.passed).toBeGreaterThan(300);
      expect(report.typed['OnnxExportError']).toBeGreaterThan(200);
    });
  }, 600_000);
});
