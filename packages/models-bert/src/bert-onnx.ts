/**
 * BERT as ONNX graphs for `@tfkit/onnx` (written against core-tensor's `OnnxGraphBuilder`, so this
 * package needs no protobuf). Inputs and outputs are named as Optimum exports them and
 * transformers.js reads them: `input_ids`, `attention_mask`, `token_type_ids` →
 * `last_hidden_state`, `logits`, `start_logits`/`end_logits`.
 */
import { ConfigError, onnxEmbeddingOf, onnxLinearOf, onnxNormOf, singleGraphOnnxExport, type OnnxExportEntry, type OnnxGraphBuilder } from '@tfkit/core-tensor';
import { bertConfigToHf } from './bert-config.js';
import {
  BertForMaskedLM, BertForMultipleChoice, BertForNextSentencePrediction, BertForPreTraining, BertForQuestionAnswering, BertForSequenceClassification,
  BertForTokenClassification, type BertLMPredictionHead,
} from './bert-heads.js';
import { BertModel, BertPreTrainedModel } from './bert-modeling.js';

const B = 'batch_size';
const T = 'sequence_length';

export interface BertGraphInputs {
  inputIds: string;
  attentionMask: string;
  tokenTypeIds: string;
}

/** The three inputs, int64 `[batch_size, sequence_length]` (`[batch_size, num_choices, sequence_length]` for multiple choice). */
export function bertOnnxInputs(g: OnnxGraphBuilder, dims: readonly (string | number)[] = [B, T]): BertGraphInputs {
  return {
    inputIds: g.addInput('input_ids', 'int64', dims),
    attentionMask: g.addInput('attention_mask', 'int64', dims),
    tokenTypeIds: g.addInput('token_type_ids', 'int64', dims),
  };
}

/** Multiple choice: `[B, choices, T]` inputs → backbone over `[B·choices, T]` → logits `[B, choices]`. */
function multipleChoiceGraph(g: OnnxGraphBuilder, model: BertForMultipleChoice): void {
  const inputs = bertOnnxInputs(g, [B, 'num_choices', T]);
  const shape = g.op('Shape', [inputs.inputIds]);
  const flatShape = g.op('Concat', [g.constant([-1], 'int64'), g.op('Slice', [shape, g.constant([2], 'int64'), g.constant([3], 'int64')])], { axis: 0 });
  const flat = (x: string) => g.op('Reshape', [x, flatShape]);
  const flatInputs = { inputIds: flat(inputs.inputIds), attentionMask: flat(inputs.attentionMask), tokenTypeIds: flat(inputs.tokenTypeIds) };
  const { poolerOutput } = bertOnnxBackbone(g, model.bert, flatInputs, 'bert');
  const scores = g.linear(poolerOutput ?? failNoPooler(model.architecture), onnxLinearOf(model.classifier, 'classifier'), 'classifier'); // (B·choices, 1)
  const logits = g.op('Reshape', [scores, g.op('Slice', [shape, g.constant([0], 'int64'), g.constant([2], 'int64')])]);
  g.addOutput('logits', logits, 'float32', [B, 'num_choices']);
}

/** BertModel's forward pass: `[B, T, C]` last hidden state, and the pooled `[B, C]` when the model has a pooler. */
export function bertOnnxBackbone(g: OnnxGraphBuilder, bert: BertModel, inputs: BertGraphInputs, prefix: string): { lastHiddenState: string; poolerOutput?: string } {
  const c = bert.config;
  const p = prefix ? `${prefix}.` : '';
  const emb = bert.embeddings;
  // Positions 0..T-1, from the ids' runtime length.
  const length = g.op('Gather', [g.op('Shape', [inputs.inputIds]), g.constant([1], 'int64', [])], { axis: 0 });
  const positions = g.op('Range', [g.constant([0], 'int64', []), length, g.constant([1], 'int64', [])]);
  const words = g.embedding(onnxEmbeddingOf(emb.word_embeddings, `${p}embeddings.word_embeddings`), inputs.inputIds, `${p}embeddings.word_embeddings`);
  const types = g.embedding(onnxEmbeddingOf(emb.token_type_embeddings, `${p}embeddings.token_type_embeddings`), inputs.tokenTypeIds, `${p}embeddings.token_type_embeddings`);
  const pos = g.embedding(onnxEmbeddingOf(emb.position_embeddings, `${p}embeddings.position_embeddings`), positions, `${p}embeddings.position_embeddings`); // (T, C)
  const summed = g.op('Add', [g.op('Add', [words, types]), pos]);
  let h = g.layerNorm(summed, onnxNormOf(emb.LayerNorm), c.layerNormEps, `${p}embeddings.LayerNorm`);

  const mask = g.additiveMask(inputs.attentionMask); // (B, 1, 1, T)
  const heads = c.numAttentionHeads;
  const headDim = c.hiddenSize / heads;
  for (const [i, layer] of [...bert.encoder.layer].entries()) {
    const l = `${p}encoder.layer.${i}`;
    const self = layer.attention.self;
    const q = g.splitHeads(g.linear(h, onnxLinearOf(self.query, `${l}.attention.self.query`), `${l}.attention.self.query`), heads, headDim);
    const k = g.splitHeads(g.linear(h, onnxLinearOf(self.key, `${l}.attention.self.key`), `${l}.attention.self.key`), heads, headDim);
    const v = g.splitHeads(g.linear(h, onnxLinearOf(self.value, `${l}.attention.self.value`), `${l}.attention.self.value`), heads, headDim);
    const context = g.mergeHeads(g.attention({ query: q, key: k, value: v, mask, headDim, name: `${l}.attention.self` }), heads, headDim);
    const out = layer.attention.output;
    const projected = g.linear(context, onnxLinearOf(out.dense, `${l}.attention.output.dense`), `${l}.attention.output.dense`);
    const attended = g.layerNorm(g.op('Add', [projected, h]), onnxNormOf(out.LayerNorm), c.layerNormEps, `${l}.attention.output.LayerNorm`);
    const inner = g.activation(g.linear(attended, onnxLinearOf(layer.intermediate.dense, `${l}.intermediate.dense`), `${l}.intermediate.dense`), c.hiddenAct);
    const ffn = g.linear(inner, onnxLinearOf(layer.output.dense, `${l}.output.dense`), `${l}.output.dense`);
    h = g.layerNorm(g.op('Add', [ffn, attended]), onnxNormOf(layer.output.LayerNorm), c.layerNormEps, `${l}.output.LayerNorm`);
  }
  if (!bert.pooler) return { lastHiddenState: h };
  const first = g.op('Gather', [h, g.constant([0], 'int64', [])], { axis: 1 }); // (B, C)
  const pooled = g.op('Tanh', [g.linear(first, onnxLinearOf(bert.pooler.dense, `${p}pooler.dense`), `${p}pooler.dense`)]);
  return { lastHiddenState: h, poolerOutput: pooled };
}

/** MLM logits `[B, T, vocab]`: transform, then the decoder (the word embeddings, transposed, when tied). */
function mlmLogits(g: OnnxGraphBuilder, head: BertLMPredictionHead, model: BertForMaskedLM | BertForPreTraining, hidden: string, eps: number): string {
  const t = head.transform;
  const act = g.activation(g.linear(hidden, onnxLinearOf(t.dense, 'cls.predictions.transform.dense'), 'cls.predictions.transform.dense'), model.config.hiddenAct);
  const h = g.layerNorm(act, onnxNormOf(t.LayerNorm), eps, 'cls.predictions.transform.LayerNorm');
  const bias = g.addInitializer('cls.predictions.bias', head.bias.value);
  if (head.decoder) return g.op('Add', [g.linear(h, onnxLinearOf(head.decoder, 'cls.predictions.decoder'), 'cls.predictions.decoder'), bias]);
  // Same tensor as the Gather table: stored once, transposed in the graph (folded by runtimes at load).
  const table = g.addInitializer('bert.embeddings.word_embeddings.weight', model.bert.embeddings.word_embeddings.weight.value);
  return g.op('Add', [g.op('MatMul', [h, g.op('Transpose', [table], { perm: [1, 0] })]), bias]);
}

/** Builds the graph of `model` (any BERT class). */
export function buildBertOnnx(g: OnnxGraphBuilder, model: BertPreTrainedModel): void {
  if (model instanceof BertForMultipleChoice) {
    multipleChoiceGraph(g, model);
    return;
  }
  const c = model.config;
  const inputs = bertOnnxInputs(g);
  const labels = (n: number) => [B, n];
  if (model instanceof BertModel) {
    const { lastHiddenState, poolerOutput } = bertOnnxBackbone(g, model, inputs, '');
    g.addOutput('last_hidden_state', lastHiddenState, 'float32', [B, T, c.hiddenSize]);
    if (poolerOutput) g.addOutput('pooler_output', poolerOutput, 'float32', [B, c.hiddenSize]);
    return;
  }
  const bert = (model as unknown as { bert: BertModel }).bert;
  const { lastHiddenState, poolerOutput } = bertOnnxBackbone(g, bert, inputs, 'bert');
  const pooled = () => poolerOutput ?? failNoPooler(model.architecture);
  if (model instanceof BertForMaskedLM) {
    g.addOutput('logits', mlmLogits(g, model.cls.predictions, model, lastHiddenState, c.layerNormEps), 'float32', [B, T, c.vocabSize]);
  } else if (model instanceof BertForPreTraining) {
    g.addOutput('prediction_logits', mlmLogits(g, model.cls.predictions, model, lastHiddenState, c.layerNormEps), 'float32', [B, T, c.vocabSize]);
    const nsp = g.linear(pooled(), onnxLinearOf(model.cls.seq_relationship, 'cls.seq_relationship'), 'cls.seq_relationship');
    g.addOutput('seq_relationship_logits', nsp, 'float32', labels(2));
  } else if (model instanceof BertForNextSentencePrediction) {
    g.addOutput('logits', g.linear(pooled(), onnxLinearOf(model.cls.seq_relationship, 'cls.seq_relationship'), 'cls.seq_relationship'), 'float32', labels(2));
  } else if (model instanceof BertForSequenceClassification) {
    const logits = g.linear(pooled(), onnxLinearOf(model.classifier, 'classifier'), 'classifier');
    g.addOutput('logits', logits, 'float32', labels(model.classifier.outFeatures));
  } else if (model instanceof BertForTokenClassification) {
    const logits = g.linear(lastHiddenState, onnxLinearOf(model.classifier, 'classifier'), 'classifier');
    g.addOutput('logits', logits, 'float32', [B, T, model.classifier.outFeatures]);
  } else if (model instanceof BertForQuestionAnswering) {
    const logits = g.linear(lastHiddenState, onnxLinearOf(model.qa_outputs, 'qa_outputs'), 'qa_outputs'); // (B, T, 2)
    g.addOutput('start_logits', g.op('Gather', [logits, g.constant([0], 'int64', [])], { axis: 2 }), 'float32', [B, T]);
    g.addOutput('end_logits', g.op('Gather', [logits, g.constant([1], 'int64', [])], { axis: 2 }), 'float32', [B, T]);
  } else {
    throw new ConfigError(
      `ONNX export: ${model.architecture} has no ONNX export; exportable: BertModel, BertForPreTraining, BertForMaskedLM, BertForNextSentencePrediction, BertForSequenceClassification, BertForTokenClassification, BertForQuestionAnswering, BertForMultipleChoice`,
    );
  }
}

function failNoPooler(architecture: string): never {
  throw new ConfigError(`ONNX export: this ${architecture} was built without a pooler, which its head needs`);
}

/** `ModelEntry.onnx` for BERT: one graph, `onnx/model.onnx`. */
export const bertOnnxExport: OnnxExportEntry = singleGraphOnnxExport({
  family: 'BERT',
  modelClass: BertPreTrainedModel,
  build: buildBertOnnx,
  hfConfig: (model) => bertConfigToHf(model.config, model.architecture, model.hfConfig),
});
