import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, createRegistry, type OnnxExportEntry, type PretrainedModel } from '@tfkit/core-tensor';
import { LoraModel } from '@tfkit/finetune';
import { BertForSequenceClassification, registerBert } from '@tfkit/models-bert';
import { withBackend } from '@tfkit/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxExportError } from './errors.js';
import { exportOnnx } from './export.js';
import { OnnxGraph } from './graph.js';
import { decodeModel, encodeModel, toModelProto } from './serialize.js';
import { loadOrt, runOnnx } from './test/ort.js';
import { lcg, maxAbsDiff } from './test/parity.js';

const TINY = { vocabSize: 40, hiddenSize: 8, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 16, maxPositionEmbeddings: 16, initializerRange: 0.3 };

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-onnx-unit-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function batch(b: number, t: number, seed: number) {
  const rand = lcg(seed);
  const lengths = Array.from({ length: b }, (_, i) => (i === 0 ? t : 1 + Math.floor(rand() * t)));
  return {
    input_ids: lengths.map((n) => Array.from({ length: t }, (_, j) => (j < n ? 1 + Math.floor(rand() * 39) : 0))),
    attention_mask: lengths.map((n) => Array.from({ length: t }, (_, j) => (j < n ? 1 : 0))),
    token_type_ids: lengths.map((n) => Array.from({ length: t }, (_, j) => (j >= n / 2 && j < n ? 1 : 0))),
  };
}

const feeds = (x: Record<string, number[][]>) => Object.fromEntries(Object.entries(x).map(([k, v]) => [k, { data: v, dtype: 'int64' as const }]));

async function logitsDiff(model: BertForSequenceClassification, file: string, inputs: ReturnType<typeof batch>): Promise<number> {
  const ort = await loadOrt('web');
  if (typeof ort === 'string') throw new Error(ort);
  const got = await runOnnx(ort, file, feeds(inputs));
  const ours = model.forward({ inputIds: inputs.input_ids, attentionMask: inputs.attention_mask, tokenTypeIds: inputs.token_type_ids });
  const diff = maxAbsDiff(got['logits'] as never, ours.logits, 'logits');
  tf.dispose(ours as unknown as tf.TensorContainer);
  return diff;
}

describe('OnnxGraph', () => {
  it('names values uniquely and refuses values nobody made', () => {
    const g = new OnnxGraph({ opset: 14 });
    const x = g.addInput('x', 'float32', ['batch_size', 3]);
    const a = g.op('Relu', [x]);
    const b = g.op('Relu', [x]);
    expect(a).not.toBe(b);
    expect(() => g.addInput('x', 'float32', [1])).toThrow(OnnxExportError);
    expect(() => g.op('Relu', ['nope'])).toThrow(/input "nope" was never made/);
    expect(() => g.addOutput('y', 'missing', 'float32', [1])).toThrow(/never made/);
    g.addOutput('y', b, 'float32', ['batch_size', 3]);
    expect(g.nodes.at(-1)).toMatchObject({ opType: 'Identity', inputs: [b], outputs: ['y'] });
  });

  it('stores a tensor added twice once (tied weights) and writes attributes with their ONNX types', () => {
    const w = tf.tensor2d([[1, 2], [3, 4]]);
    const g = new OnnxGraph({ opset: 17 });
    expect(g.addInitializer('first', w)).toBe('first');
    expect(g.addInitializer('second', w)).toBe('first');
    expect(g.initializers).toHaveLength(1);
    const x = g.addInput('x', 'float32', [2, 2]);
    g.addOutput('y', g.op('LayerNormalization', [x, 'first'], { axis: -1, epsilon: 1e-5, other: { float: 1 }, perm: [1, 0], scales: [0.5, 2] }), 'float32', [2, 2]);
    const attrs = toModelProto(g).graph?.node?.[0]?.attribute ?? [];
    expect(attrs.map((a) => [a.name, a.type])).toEqual([['axis', 2], ['epsilon', 1], ['other', 1], ['perm', 7], ['scales', 6]]);
    const proto = decodeModel(encodeModel(g));
    expect(Array.from(new Float32Array(new Uint8Array(proto.graph?.initializer?.[0]?.rawData ?? []).buffer))).toEqual([1, 2, 3, 4]);
    w.dispose();
  });

  it('a graph past protobuf\'s 2 GiB is refused unless its weights go external', () => {
    const g = new OnnxGraph({ opset: 14 });
    const x = g.addInput('x', 'float32', [1]);
    g.addOutput('y', x, 'float32', [1]);
    // Stands for a 2 GiB weight: only its announced size is read before the check.
    g.initializers.push({ name: 'huge', dtype: 'float32', dims: [2 ** 29], byteLength: 2 ** 31, bytes: () => new Uint8Array(4) });
    expect(() => encodeModel(g)).toThrow(/past protobuf's 2 GiB limit; write them as external data/);
  });

  it('renames or fixes dynamic axes', () => {
    const g = new OnnxGraph({ opset: 14, axes: { batch_size: 1, sequence_length: 'seq' } });
    g.addInput('ids', 'int64', ['batch_size', 'sequence_length', 'other']);
    const dims = toModelProto(g).graph?.input?.[0]?.type?.tensorType?.shape?.dim ?? [];
    expect(dims.map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue)))).toEqual([1, 'seq', 'other']);
  });
});

describe('exportOnnx', () => {
  it('refuses opsets out of range, bad dynamic axes, a missing registry and families without an export', async () => {
    await withBackend('cpu', async () => {
      const registry = registerBert(createRegistry());
      const model = new BertForSequenceClassification(TINY);
      await expect(exportOnnx(model, tmp, { registry, opset: 13 })).rejects.toThrow(/opset 13 is not supported; pick an integer from 14 to 21/);
      await expect(exportOnnx(model, tmp, { registry, opset: 22 })).rejects.toThrow(OnnxExportError);
      await expect(exportOnnx(model, tmp, { registry, dynamicAxes: { batch_size: 0 } })).rejects.toThrow(/dynamicAxes.batch_size must be a positive integer/);
      await expect(exportOnnx(model, tmp, { registry, dynamicAxes: false })).rejects.toThrow(/fix axes by name/);
      await expect(exportOnnx(model, tmp, undefined as never)).rejects.toThrow(/pass options with the registry/);
      const other = createRegistry();
      other.model.register('bert', { architectures: {}, defaultArchitecture: 'BertModel' });
      await expect(exportOnnx(model, tmp, { registry: other })).rejects.toThrow(/model_type "bert" has no ONNX export; families with one: \(none registered\)/);
      model.dispose();
    });
  });

  it('a fixed batch size is written into the graph; another batch size is refused by ONNX Runtime', async () => {
    await withBackend('cpu', async () => {
      const registry = registerBert(createRegistry());
      const model = new BertForSequenceClassification(TINY);
      const dir = path.join(tmp, 'fixed');
      await exportOnnx(model, dir, { registry, dynamicAxes: { batch_size: 2 } });
      const file = path.join(dir, 'onnx/model.onnx');
      expect(await logitsDiff(model, file, batch(2, 5, 1))).toBeLessThan(1e-4);
      await expect(logitsDiff(model, file, batch(3, 5, 1))).rejects.toThrow();
      model.dispose();
    });
  });

  it('writes weights as external data (model.onnx_data) that ONNX Runtime reads', async () => {
    await withBackend('cpu', async () => {
      const registry = registerBert(createRegistry());
      const model = new BertForSequenceClassification(TINY);
      const dir = path.join(tmp, 'external');
      const { files } = await exportOnnx(model, dir, { registry, externalData: true });
      expect(files).toEqual(['config.json', 'onnx/model.onnx', 'onnx/model.onnx_data']);
      const proto = decodeModel(fs.readFileSync(path.join(dir, 'onnx/model.onnx')));
      const data = fs.readFileSync(path.join(dir, 'onnx/model.onnx_data'));
      const word = proto.graph?.initializer?.find((i) => i.name === 'bert.embeddings.word_embeddings.weight');
      const entries = Object.fromEntries((word?.externalData ?? []).map((e) => [e.key, e.value]));
      expect(entries['location']).toBe('model.onnx_data');
      const bytes = data.subarray(Number(entries['offset']), Number(entries['offset']) + Number(entries['length']));
      expect(Array.from(new Float32Array(new Uint8Array(bytes).buffer))).toEqual(Array.from(model.bert.embeddings.word_embeddings.weight.value.dataSync()));
      const ort = await loadOrt('web');
      if (typeof ort === 'string') throw new Error(ort);
      const inputs = batch(2, 4, 2);
      const session = await (ort as unknown as { InferenceSession: { create(m: Uint8Array, o: unknown): Promise<{ run(f: unknown): Promise<Record<string, { data: Float32Array }>>; release(): Promise<void> }> } })
        .InferenceSession.create(new Uint8Array(fs.readFileSync(path.join(dir, 'onnx/model.onnx'))), { externalData: [{ path: 'model.onnx_data', data: new Uint8Array(data) }] });
      const tensor = (v: number[][]) => new ort.Tensor('int64', BigInt64Array.from(v.flat(), (x) => BigInt(x)), [v.length, (v[0] as number[]).length]);
      const out = await session.run({ input_ids: tensor(inputs.input_ids), attention_mask: tensor(inputs.attention_mask), token_type_ids: tensor(inputs.token_type_ids) });
      await session.release();
      const ours = model.forward({ inputIds: inputs.input_ids, attentionMask: inputs.attention_mask, tokenTypeIds: inputs.token_type_ids });
      const want = ours.logits.dataSync();
      expect(Math.max(...Array.from(out['logits']!.data, (v, i) => Math.abs(v - (want[i] as number))))).toBeLessThan(1e-4);
      tf.dispose(ours as unknown as tf.TensorContainer);
      model.dispose();
    });
  });

  it('a LoRA model exports after mergeAndUnload, with the adapted outputs; unmerged it is a ConfigError saying to merge', async () => {
    await withBackend('cpu', async () => {
      const registry = registerBert(createRegistry());
      const model = new BertForSequenceClassification(TINY);
      const lora = LoraModel.apply(model, { r: 2, loraAlpha: 4, targetModules: ['query', 'value', 'word_embeddings'] });
      let seed = 5;
      for (const [, layer] of lora.loraLayers()) {
        const { A, B } = layer.weights('default');
        tf.tidy(() => {
          A.value.assign(tf.randomNormal(A.shape, 0, 0.3, 'float32', seed++));
          B.value.assign(tf.randomNormal(B.shape, 0, 0.3, 'float32', seed++));
        });
      }
      await expect(exportOnnx(model, path.join(tmp, 'unmerged'), { registry })).rejects.toThrow(ConfigError);
      await expect(exportOnnx(model, path.join(tmp, 'unmerged'), { registry })).rejects.toThrow(/call mergeAndUnload\(\)/);
      const inputs = batch(3, 6, 3);
      const adapted = model.forward({ inputIds: inputs.input_ids, attentionMask: inputs.attention_mask, tokenTypeIds: inputs.token_type_ids });
      lora.mergeAndUnload();
      const dir = path.join(tmp, 'merged');
      const before = tf.memory().numTensors;
      await exportOnnx(model, dir, { registry, opset: 17 });
      expect(tf.memory().numTensors).toBe(before);
      expect(await logitsDiff(model, path.join(dir, 'onnx/model.onnx'), inputs)).toBeLessThan(1e-4);
      // The export carries the adapter: its logits are the adapted model's.
      const ort = await loadOrt('web');
      if (typeof ort === 'string') throw new Error(ort);
      const got = await runOnnx(ort, path.join(dir, 'onnx/model.onnx'), feeds(inputs));
      expect(maxAbsDiff(got['logits'] as never, adapted.logits, 'adapted logits')).toBeLessThan(1e-4);
      tf.dispose(adapted as unknown as tf.TensorContainer);
      model.dispose();
    });
  });

  it('a family entry can write several files (split graphs), each with its own inputs', async () => {
    const registry = createRegistry();
    const fake = { modelType: 'fake', architecture: 'Fake', savePretrained: async () => {}, dispose: () => {} } satisfies PretrainedModel;
    const onnx: OnnxExportEntry = {
      graphs: () => ['a', 'b'].map((n) => ({
        file: `onnx/${n}_model.onnx`,
        build: (g) => g.addOutput('y', g.gelu(g.addInput('x', 'float32', ['batch_size']), n === 'a' ? 'erf' : 'tanh'), 'float32', ['batch_size']),
      })),
      hfConfig: () => ({ model_type: 'fake' }),
    };
    registry.model.register('fake', { architectures: {}, defaultArchitecture: 'Fake', onnx });
    const dir = path.join(tmp, 'split');
    const { files } = await exportOnnx(fake, dir, { registry });
    expect(files).toEqual(['config.json', 'onnx/a_model.onnx', 'onnx/b_model.onnx']);
    const ort = await loadOrt('web');
    if (typeof ort === 'string') throw new Error(ort);
    const x = [-2, -0.5, 0, 1, 3];
    const run = async (file: string) => (await runOnnx(ort, path.join(dir, file), { x: { data: x as never, dtype: 'float32' } }))['y']!;
    // Hugging Face's two GELUs, computed here in plain arithmetic.
    const tanhForm = x.map((v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))));
    const a = await run('onnx/a_model.onnx');
    const b = await run('onnx/b_model.onnx');
    expect(a.dims).toEqual([5]);
    // erf(−2/√2) = −0.954499736…: the exact form differs from the tanh one by ~1e-4 there.
    expect(a.data[0]).toBeCloseTo(-2 * 0.5 * (1 - 0.9544997361036416), 6);
    expect(Array.from(b.data).every((v, i) => Math.abs(v - (tanhForm[i] as number)) < 1e-6)).toBe(true);
  });
});
