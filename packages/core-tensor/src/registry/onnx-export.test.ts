import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import type { HfConfig, PretrainedModel } from '../model-types.js';
import { onnxEmbeddingOf, onnxLinearOf, onnxNormOf, singleGraphOnnxExport, type OnnxGraphBuilder } from './onnx-export.js';

/* A family's models as the export sees them: only `architecture` matters here. */
class SomeModel implements PretrainedModel {
  readonly modelType = 'some';
  constructor(readonly architecture: string) {}
  savePretrained(): Promise<void> {
    return Promise.resolve();
  }
  dispose(): void {}
}
class WidgetModel extends SomeModel {}
class OtherModel extends SomeModel {}
const asModel = (m: PretrainedModel): PretrainedModel => m;

describe('single-graph ONNX export helpers', () => {
  let before = 0;
  beforeEach(() => {
    before = tf.memory().numTensors;
  });
  afterEach(() => {
    expect(tf.memory().numTensors).toBe(before);
  });

  it('singleGraphOnnxExport gives one onnx/model.onnx named after the architecture, built and configured by the family', () => {
    const built: string[] = [];
    const entry = singleGraphOnnxExport({
      family: 'Widget',
      modelClass: WidgetModel,
      build: (_g, model) => built.push(model.architecture),
      hfConfig: (model): HfConfig => ({ architectures: [model.architecture], model_type: 'widget' }),
    });
    expect(entry.minOpset).toBe(14);
    const model = asModel(new WidgetModel('WidgetForTagging'));
    const graphs = entry.graphs(model, { opset: 17, withPast: false });
    expect(graphs.map((s) => [s.file, s.name])).toEqual([['onnx/model.onnx', 'WidgetForTagging']]);
    graphs[0]!.build({} as OnnxGraphBuilder);
    expect(built).toEqual(['WidgetForTagging']);
    expect(entry.hfConfig(model)).toEqual({ architectures: ['WidgetForTagging'], model_type: 'widget' });
    expect(singleGraphOnnxExport({ family: 'Widget', modelClass: WidgetModel, minOpset: 17, build: () => undefined, hfConfig: () => ({}) }).minOpset).toBe(17);
  });

  it("a model of another family is a ConfigError naming it and the family, from graphs and hfConfig", () => {
    const entry = singleGraphOnnxExport({ family: 'Widget', modelClass: WidgetModel, build: () => undefined, hfConfig: () => ({}) });
    const other = asModel(new OtherModel('OtherModel'));
    expect(() => entry.graphs(other, { opset: 14, withPast: false })).toThrow(ConfigError);
    expect(() => entry.graphs(other, { opset: 14, withPast: false })).toThrow('a OtherModel is not a tfkit Widget model');
    expect(() => entry.hfConfig(other)).toThrow('a OtherModel is not a tfkit Widget model');
  });

  it('onnxLinearOf / onnxEmbeddingOf / onnxNormOf read plain layers; an unmerged adapter is a ConfigError saying to merge', () => {
    const weight = tf.zeros([3, 2]);
    const bias = tf.zeros([2]);
    try {
      expect(onnxLinearOf({ weight: { value: weight }, bias: { value: bias } }, 'dense')).toEqual({ weight, bias });
      expect(onnxLinearOf({ weight: { value: weight }, bias: null }, 'dense').bias).toBeNull();
      expect(onnxEmbeddingOf({ weight: { value: weight } }, 'emb')).toBe(weight);
      expect(onnxNormOf({ weight: { value: bias }, bias: null })).toEqual({ weight: bias, bias: null });
      const adapter = { base: { weight: { value: weight } }, loraA: {} };
      expect(() => onnxLinearOf(adapter, 'encoder.layer.0.query')).toThrow(ConfigError);
      expect(() => onnxLinearOf(adapter, 'encoder.layer.0.query')).toThrow(/encoder\.layer\.0\.query is not a plain Linear.*mergeAndUnload\(\)/);
      expect(() => onnxEmbeddingOf({ weight: { value: bias } }, 'embeddings.word')).toThrow(/embeddings\.word is not a plain Embedding.*mergeAndUnload\(\)/);
    } finally {
      weight.dispose();
      bias.dispose();
    }
  });
});
