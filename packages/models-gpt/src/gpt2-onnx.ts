/**
 * GPT-2 as ONNX graphs (for `@tfkit/onnx`'s `exportOnnx`), laid out as Optimum and transformers.js
 * lay them out: `onnx/model.onnx` with inputs `input_ids`, `attention_mask`, `position_ids` and,
 * with past, `past_key_values.N.key/value` `[batch_size, n_head, past_sequence_length, head_dim]`;
 * outputs `logits` (or `last_hidden_state`) and `present.N.key/value`. The graph with past also
 * runs the first step, with past tensors of length 0 (how transformers.js starts a generation).
 * The forward pass mirrors gpt2-modeling.ts; the masks are Hugging Face's (causal and padding
 * minima added, not saturated).
 */
import { ConfigError, type OnnxExportContext, type OnnxExportEntry, type OnnxGraphBuilder, type OnnxGraphSpec, type PretrainedModel } from '@tfkit/core-tensor';
import { gpt2ConfigToHf, numLabels } from './gpt2-config.js';
import { GPT2ForSequenceClassification, GPT2LMHeadModel } from './gpt2-heads.js';
import { GPT2Model, type GPT2Block, type GPT2PreTrainedModel } from './gpt2-modeling.js';

const FLOAT32_MIN = -3.4028234663852886e38;

/** The length of axis `axis` of `x` as an int64 scalar. */
function dimOf(g: OnnxGraphBuilder, x: string, axis: number): string {
  return g.op('Gather', [g.op('Shape', [x]), g.constant([axis], 'int64', [])], { axis: 0 });
}

/**
 * `[T, K]` additive causal mask for T queries that are the last T of K positions: 0 where key
 * j ≤ K − T + i, float32 min after (Hugging Face's `where(causal, 0, min)`).
 */
export function onnxCausalMask(g: OnnxGraphBuilder, queryLen: string, keyLen: string): string {
  const zero = g.constant([0], 'int64', []);
  const one = g.constant([1], 'int64', []);
  const past = g.op('Sub', [keyLen, queryLen]);
  const queries = g.op('Add', [g.op('Range', [zero, queryLen, one]), past]);
  const keys = g.op('Range', [zero, keyLen, one]);
  const future = g.op('Greater', [g.op('Unsqueeze', [keys, g.constant([0], 'int64')]), g.op('Unsqueeze', [queries, g.constant([1], 'int64')])]);
  return g.op('Where', [future, g.constant([FLOAT32_MIN], 'float32', []), g.constant([0], 'float32', [])]);
}

interface Gpt2GraphOptions {
  withPast: boolean;
  head: 'lm' | 'none' | 'classification';
}

/** Inputs, the backbone and the head of one GPT-2 graph. */
function buildGpt2(g: OnnxGraphBuilder, model: GPT2PreTrainedModel, backbone: GPT2Model, prefix: string, options: Gpt2GraphOptions): void {
  const c = model.config;
  const hd = c.nEmbd / c.nHead;
  const p = prefix ? `${prefix}.` : '';
  const total = options.withPast ? 'past_sequence_length + sequence_length' : 'sequence_length';
  const ids = g.addInput('input_ids', 'int64', ['batch_size', 'sequence_length']);
  const mask = g.addInput('attention_mask', 'int64', ['batch_size', total]);
  const positions = g.addInput('position_ids', 'int64', ['batch_size', 'sequence_length']);
  const past = options.withPast
    ? Array.from({ length: c.nLayer }, (_, i) => ({
      key: g.addInput(`past_key_values.${i}.key`, 'float32', ['batch_size', c.nHead, 'past_sequence_length', hd]),
      value: g.addInput(`past_key_values.${i}.value`, 'float32', ['batch_size', c.nHead, 'past_sequence_length', hd]),
    }))
    : null;

  const presents: [string, string][] = [];
  let x = g.op('Add', [g.embedding(backbone.wte.weight.value, ids, `${p}wte`), g.embedding(backbone.wpe.weight.value, positions, `${p}wpe`)]);
  // [B, 1, T, K]: causal part [T, K] + padding part [B, 1, 1, K].
  const attnMask = g.op('Add', [onnxCausalMask(g, dimOf(g, ids, 1), dimOf(g, mask, 1)), g.additiveMask(mask)]);
  [...backbone.h].forEach((block: GPT2Block, i) => {
    const name = `${p}h.${i}`;
    const a = block.attn;
    const h = g.layerNorm(x, { weight: block.ln_1.weight?.value, bias: block.ln_1.bias?.value }, block.ln_1.eps, `${name}.ln_1`);
    const qkv = g.linear(h, { weight: a.c_attn.weight.value, bias: a.c_attn.bias?.value }, `${name}.attn.c_attn`);
    const [q, k, v] = g.addNode('Split', [qkv, g.constant([c.nEmbd, c.nEmbd, c.nEmbd], 'int64')], { axis: 2 }, { outputs: 3 }) as [string, string, string];
    let key = g.splitHeads(k, c.nHead, hd);
    let value = g.splitHeads(v, c.nHead, hd);
    const layerPast = past?.[i];
    if (layerPast) {
      key = g.op('Concat', [layerPast.key, key], { axis: 2 });
      value = g.op('Concat', [layerPast.value, value], { axis: 2 });
      presents.push([`present.${i}.key`, key], [`present.${i}.value`, value]);
    }
    const scale = (c.scaleAttnWeights ? 1 / Math.sqrt(hd) : 1) / (c.scaleAttnByInverseLayerIdx ? i + 1 : 1);
    const attended = g.attention({ query: g.splitHeads(q, c.nHead, hd), key, value, mask: attnMask, scale, headDim: hd, name: `${name}.attn` });
    const projected = g.linear(g.mergeHeads(attended, c.nHead, hd), { weight: a.c_proj.weight.value, bias: a.c_proj.bias?.value }, `${name}.attn.c_proj`);
    x = g.op('Add', [x, projected]);
    const m = block.mlp;
    const h2 = g.layerNorm(x, { weight: block.ln_2.weight?.value, bias: block.ln_2.bias?.value }, block.ln_2.eps, `${name}.ln_2`);
    const inner = g.activation(g.linear(h2, { weight: m.c_fc.weight.value, bias: m.c_fc.bias?.value }, `${name}.mlp.c_fc`), c.activationFunction);
    x = g.op('Add', [x, g.linear(inner, { weight: m.c_proj.weight.value, bias: m.c_proj.bias?.value }, `${name}.mlp.c_proj`)]);
  });
  x = g.layerNorm(x, { weight: backbone.ln_f.weight?.value, bias: backbone.ln_f.bias?.value }, backbone.ln_f.eps, `${p}ln_f`);

  if (options.head === 'none') {
    g.addOutput('last_hidden_state', x, 'float32', ['batch_size', 'sequence_length', c.nEmbd]);
  } else if (options.head === 'lm' && model instanceof GPT2LMHeadModel) {
    // The head is `[vocab, C]` like the token table it is usually tied to (stored once): x · Wᵀ.
    const head = model.lm_head.weight.value;
    const table = g.addInitializer(head === backbone.wte.weight.value ? `${p}wte.weight` : 'lm_head.weight', head);
    const logits = g.op('MatMul', [x, g.op('Transpose', [table], { perm: [1, 0] })]);
    g.addOutput('logits', logits, 'float32', ['batch_size', 'sequence_length', c.vocabSize]);
  } else if (options.head === 'classification' && model instanceof GPT2ForSequenceClassification) {
    // Each row's last real token as Hugging Face finds it: one before the first pad_token_id, wrapping.
    const t = dimOf(g, ids, 1);
    const last = c.padTokenId === null
      ? g.constant([-1], 'int64', [])
      : g.op('Sub', [g.op('ArgMax', [g.op('Cast', [g.op('Equal', [ids, g.constant([c.padTokenId], 'int64', [])])], { to: 6 })], { axis: 1, keepdims: 0 }), g.constant([1], 'int64', [])]);
    const index = g.op('Mod', [g.op('Add', [last, t]), t]); // [B]
    const b = dimOf(g, ids, 0);
    const rows = g.op('Add', [g.op('Mul', [g.op('Range', [g.constant([0], 'int64', []), b, g.constant([1], 'int64', [])]), t]), index]);
    const flat = g.op('Reshape', [x, g.constant([-1, c.nEmbd], 'int64')]);
    const pooled = g.op('Gather', [flat, rows], { axis: 0 });
    const logits = g.linear(pooled, { weight: model.score.weight.value, bias: null }, 'score');
    g.addOutput('logits', logits, 'float32', ['batch_size', numLabels(c)]);
  } else {
    throw new ConfigError(`GPT-2 ONNX export: ${model.architecture} has no ${options.head} head`);
  }
  // After the head's output, as Optimum orders them.
  for (const [name, value] of presents) g.addOutput(name, value, 'float32', ['batch_size', c.nHead, total, hd]);
}

/** The graphs of a GPT-2 model: `onnx/model.onnx`, with or without past keys/values. */
export function gpt2OnnxGraphs(model: PretrainedModel, context: OnnxExportContext): OnnxGraphSpec[] {
  const m = model as GPT2PreTrainedModel;
  let backbone: GPT2Model;
  let prefix: string;
  let head: Gpt2GraphOptions['head'];
  if (m instanceof GPT2LMHeadModel) {
    [backbone, prefix, head] = [m.transformer, 'transformer', 'lm'];
  } else if (m instanceof GPT2ForSequenceClassification) {
    [backbone, prefix, head] = [m.transformer, 'transformer', 'classification'];
  } else if (m instanceof GPT2Model) {
    [backbone, prefix, head] = [m, '', 'none'];
  } else {
    throw new ConfigError(`GPT-2 ONNX export: ${String((model as { architecture?: unknown }).architecture)} is not a GPT-2 architecture this export knows (GPT2LMHeadModel, GPT2Model, GPT2ForSequenceClassification)`);
  }
  // Past keys/values only where a model decodes step by step.
  const withPast = context.withPast && head === 'lm';
  return [{
    file: 'onnx/model.onnx',
    name: `${m.architecture}${withPast ? '_with_past' : ''}`,
    build: (g) => buildGpt2(g, m, backbone, prefix, { withPast, head }),
  }];
}

/** `ModelEntry.onnx` for GPT-2. */
export function gpt2OnnxExport(): OnnxExportEntry {
  return {
    minOpset: 14,
    graphs: gpt2OnnxGraphs,
    hfConfig: (model) => {
      const m = model as GPT2PreTrainedModel;
      return gpt2ConfigToHf(m.config, m.architecture, m.hfConfig);
    },
  };
}
