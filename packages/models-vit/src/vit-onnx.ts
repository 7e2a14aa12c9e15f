/**
 * ViT as an ONNX graph for `@tfkit/onnx` (written against core-tensor's `OnnxGraphBuilder`, so this
 * package needs no protobuf): `pixel_values` `[batch_size, C, H, W]` → `logits` (image
 * classification) or `last_hidden_state` (+ `pooler_output`), named as Optimum exports them.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { ConfigError, onnxLinearOf, onnxNormOf, singleGraphOnnxExport, type OnnxExportEntry, type OnnxGraphBuilder } from '@tfkit/core-tensor';
import { vitConfigToHf } from './vit-config.js';
import { ViTForImageClassification } from './vit-heads.js';
import { ViTModel, ViTPreTrainedModel } from './vit-modeling.js';

const B = 'batch_size';

/**
 * The patch projection as Hugging Face's Conv2d kernel `[hidden, C, p, p]`: tfkit keeps it as a
 * `[C·p·p, hidden]` matrix whose rows are patches flattened like the kernel, so it is its transpose.
 */
function convKernel(weight: tf.Tensor, channels: number, patch: number): { dtype: 'float32'; dims: number[]; data: Float32Array } {
  const [rows, hidden] = weight.shape as [number, number];
  const w = weight.dataSync() as Float32Array;
  const data = new Float32Array(rows * hidden);
  for (let r = 0; r < rows; r++) for (let o = 0; o < hidden; o++) data[o * rows + r] = w[r * hidden + o] as number;
  return { dtype: 'float32', dims: [hidden, channels, patch, patch], data };
}

/** ViTModel's forward pass: `[B, 1 + patches, C]` after the final LayerNorm, and the pooled `[B, P]` when the model has a pooler. */
export function vitOnnxBackbone(g: OnnxGraphBuilder, vit: ViTModel, pixels: string, prefix: string): { lastHiddenState: string; poolerOutput?: string } {
  const c = vit.config;
  const p = prefix ? `${prefix}.` : '';
  const emb = vit.embeddings;
  const projection = onnxLinearOf(emb.patch_embeddings.projection, `${p}embeddings.patch_embeddings.projection`);
  const kernel = g.addInitializer(`${p}embeddings.patch_embeddings.projection.weight`, convKernel(projection.weight, c.numChannels, c.patchSize));
  const convInputs = [pixels, kernel];
  if (projection.bias) convInputs.push(g.addInitializer(`${p}embeddings.patch_embeddings.projection.bias`, projection.bias));
  const conv = g.op('Conv', convInputs, { kernel_shape: [c.patchSize, c.patchSize], strides: [c.patchSize, c.patchSize] }, `/${p}embeddings.patch_embeddings/Conv`);
  // (B, C, gh, gw) → (B, gh·gw, C), patches in row-major order as the Conv2d's flatten(2).transpose(1, 2).
  const patches = g.op('Transpose', [g.op('Reshape', [conv, g.constant([0, c.hiddenSize, -1], 'int64')])], { perm: [0, 2, 1] });
  // The [CLS] token repeated over the batch: Expand to (B, 1, C).
  const batch = g.op('Slice', [g.op('Shape', [pixels]), g.constant([0], 'int64'), g.constant([1], 'int64')]);
  const clsShape = g.op('Concat', [batch, g.constant([1, c.hiddenSize], 'int64')], { axis: 0 });
  const cls = g.op('Expand', [g.addInitializer(`${p}embeddings.cls_token`, emb.cls_token.value), clsShape]);
  const tokens = g.op('Concat', [cls, patches], { axis: 1 });
  let h = g.op('Add', [tokens, g.addInitializer(`${p}embeddings.position_embeddings`, emb.position_embeddings.value)]);

  const heads = c.numAttentionHeads;
  const headDim = c.hiddenSize / heads;
  for (const [i, layer] of [...vit.encoder.layer].entries()) {
    const l = `${p}encoder.layer.${i}`;
    const self = layer.attention.attention;
    const x = g.layerNorm(h, onnxNormOf(layer.layernorm_before), c.layerNormEps, `${l}.layernorm_before`);
    const q = g.splitHeads(g.linear(x, onnxLinearOf(self.query, `${l}.attention.attention.query`), `${l}.attention.attention.query`), heads, headDim);
    const k = g.splitHeads(g.linear(x, onnxLinearOf(self.key, `${l}.attention.attention.key`), `${l}.attention.attention.key`), heads, headDim);
    const v = g.splitHeads(g.linear(x, onnxLinearOf(self.value, `${l}.attention.attention.value`), `${l}.attention.attention.value`), heads, headDim);
    const context = g.mergeHeads(g.attention({ query: q, key: k, value: v, headDim, name: `${l}.attention.attention` }), heads, headDim);
    const attended = g.op('Add', [g.linear(context, onnxLinearOf(layer.attention.output.dense, `${l}.attention.output.dense`), `${l}.attention.output.dense`), h]);
    const y = g.layerNorm(attended, onnxNormOf(layer.layernorm_after), c.layerNormEps, `${l}.layernorm_after`);
    const inner = g.activation(g.linear(y, onnxLinearOf(layer.intermediate.dense, `${l}.intermediate.dense`), `${l}.intermediate.dense`), c.hiddenAct);
    h = g.op('Add', [g.linear(inner, onnxLinearOf(layer.output.dense, `${l}.output.dense`), `${l}.output.dense`), attended]);
  }
  h = g.layerNorm(h, onnxNormOf(vit.layernorm), c.layerNormEps, `${p}layernorm`);
  if (!vit.pooler) return { lastHiddenState: h };
  const first = g.op('Gather', [h, g.constant([0], 'int64', [])], { axis: 1 });
  const pooled = g.activation(g.linear(first, onnxLinearOf(vit.pooler.dense, `${p}pooler.dense`), `${p}pooler.dense`), c.poolerAct);
  return { lastHiddenState: h, poolerOutput: pooled };
}

/** Builds the graph of a ViTModel or ViTForImageClassification. */
export function buildViTOnnx(g: OnnxGraphBuilder, model: ViTPreTrainedModel): void {
  const c = model.config;
  const pixels = g.addInput('pixel_values', 'float32', [B, c.numChannels, c.imageSize, c.imageSize]);
  const tokens = (c.imageSize / c.patchSize) ** 2 + 1;
  if (model instanceof ViTModel) {
    const { lastHiddenState, poolerOutput } = vitOnnxBackbone(g, model, pixels, '');
    g.addOutput('last_hidden_state', lastHiddenState, 'float32', [B, tokens, c.hiddenSize]);
    if (poolerOutput) g.addOutput('pooler_output', poolerOutput, 'float32', [B, c.poolerOutputSize ?? c.hiddenSize]);
  } else if (model instanceof ViTForImageClassification) {
    const { lastHiddenState } = vitOnnxBackbone(g, model.vit, pixels, 'vit');
    const first = g.op('Gather', [lastHiddenState, g.constant([0], 'int64', [])], { axis: 1 });
    g.addOutput('logits', g.linear(first, onnxLinearOf(model.classifier, 'classifier'), 'classifier'), 'float32', [B, model.classifier.outFeatures]);
  } else {
    throw new ConfigError(`ONNX export: ${model.architecture} has no ONNX export; exportable: ViTModel, ViTForImageClassification`);
  }
}

/** `ModelEntry.onnx` for ViT: one graph, `onnx/model.onnx`. */
export const vitOnnxExport: OnnxExportEntry = singleGraphOnnxExport({
  family: 'ViT',
  modelClass: ViTPreTrainedModel,
  build: buildViTOnnx,
  hfConfig: (model) => vitConfigToHf(model.config, model.architecture, model.hfConfig),
});
