/**
 * BART as ONNX graphs (for `@tfkit/onnx`'s `exportOnnx`), as Optimum splits a seq2seq model and
 * transformers.js loads it:
 *
 * - `onnx/encoder_model.onnx`: `input_ids`, `attention_mask` → `last_hidden_state`.
 * - `onnx/decoder_model.onnx`: `input_ids`, `encoder_attention_mask`, `encoder_hidden_states` →
 *   `logits` (+ with past, `present.N.decoder.key/value` and `present.N.encoder.key/value`).
 * - with past, `onnx/decoder_with_past_model.onnx`: the new tokens, `encoder_attention_mask` and
 *   `past_key_values.N.{decoder,encoder}.{key,value}` → `logits`, `present.N.decoder.key/value`
 *   (the cross-attention keys/values are the past ones).
 * - with past, `onnx/decoder_model_merged.onnx` (what transformers.js runs): both, chosen by the
 *   `use_cache_branch` input through an `If` node; the first step passes past tensors of length 0.
 *
 * The decoder has no padding mask of its own (Optimum's inputs): it is causal, which equals Hugging
 * Face at every position that is not right padding. The forward pass mirrors bart-modeling.ts.
 */
import {
  ConfigError, type OnnxDim, type OnnxExportContext, type OnnxExportEntry, type OnnxGraphBuilder, type OnnxGraphSpec, type PretrainedModel,
} from '@tfkit/core-tensor';
import type { LayerNorm, MultiHeadAttention, TransformerDecoderLayer, TransformerEncoderLayer } from '@tfkit/layers';
import { bartConfigToHf } from './bart-config.js';
import { BartForConditionalGeneration } from './bart-heads.js';
import { BART_POSITION_OFFSET, type BartDecoder, type BartEncoder, type BartPreTrainedModel } from './bart-modeling.js';

const FLOAT32_MIN = -3.4028234663852886e38;

function dimOf(g: OnnxGraphBuilder, x: string, axis: number): string {
  return g.op('Gather', [g.op('Shape', [x]), g.constant([axis], 'int64', [])], { axis: 0 });
}

/** `[T, K]` additive causal mask: T queries are the last T of K positions (float32 min on future keys). */
function causalMask(g: OnnxGraphBuilder, queryLen: string, keyLen: string): string {
  const zero = g.constant([0], 'int64', []);
  const one = g.constant([1], 'int64', []);
  const queries = g.op('Add', [g.op('Range', [zero, queryLen, one]), g.op('Sub', [keyLen, queryLen])]);
  const keys = g.op('Range', [zero, keyLen, one]);
  const future = g.op('Greater', [g.op('Unsqueeze', [keys, g.constant([0], 'int64')]), g.op('Unsqueeze', [queries, g.constant([1], 'int64')])]);
  return g.op('Where', [future, g.constant([FLOAT32_MIN], 'float32', []), g.constant([0], 'float32', [])]);
}

/** Token embeddings (× embed_scale) + learned positions `past … past + T − 1` (offset 2), LayerNormed. */
function embed(g: OnnxGraphBuilder, stack: BartEncoder | BartDecoder, ids: string, pastLen: string | null, prefix: string): string {
  const tokens = g.embedding(stack.embed_tokens.weight.value, ids, 'model.shared');
  const scale = stack.embed_tokens.embedScale;
  const scaled = scale === 1 ? tokens : g.op('Mul', [tokens, g.constant([scale], 'float32', [])]);
  const start = g.constant([BART_POSITION_OFFSET], 'int64', []);
  const from = pastLen ? g.op('Add', [pastLen, start]) : start;
  const rows = g.op('Range', [from, g.op('Add', [from, dimOf(g, ids, 1)]), g.constant([1], 'int64', [])]);
  const positions = g.embedding(stack.embed_positions.weight.value, rows, `${prefix}.embed_positions`);
  const ln = stack.layernorm_embedding;
  return g.layerNorm(g.op('Add', [scaled, positions]), { weight: ln.weight?.value, bias: ln.bias?.value }, ln.eps, `${prefix}.layernorm_embedding`);
}

/** q_proj → heads; the keys/values come from elsewhere. */
function heads(g: OnnxGraphBuilder, attn: MultiHeadAttention, which: 'q_proj' | 'k_proj' | 'v_proj', x: string, name: string): string {
  const lin = attn[which];
  return g.splitHeads(g.linear(x, { weight: lin.weight.value, bias: lin.bias?.value }, `${name}.${which}`), attn.numHeads, attn.headDim);
}

function attend(g: OnnxGraphBuilder, attn: MultiHeadAttention, q: string, k: string, v: string, mask: string | null, name: string): string {
  const out = g.attention({ query: q, key: k, value: v, mask: mask ?? undefined, scale: 1 / Math.sqrt(attn.headDim), headDim: attn.headDim, name });
  return g.linear(g.mergeHeads(out, attn.numHeads, attn.headDim), { weight: attn.out_proj.weight.value, bias: attn.out_proj.bias?.value }, `${name}.out_proj`);
}

/** Post-LN feed-forward: LN(x + fc2(act(fc1(x)))). */
function feedForward(g: OnnxGraphBuilder, layer: TransformerEncoderLayer | TransformerDecoderLayer, x: string, activation: string, name: string): string {
  const inner = g.activation(g.linear(x, { weight: layer.fc1.weight.value, bias: layer.fc1.bias?.value }, `${name}.fc1`), activation);
  const out = g.linear(inner, { weight: layer.fc2.weight.value, bias: layer.fc2.bias?.value }, `${name}.fc2`);
  const ln = layer.final_layer_norm;
  return g.layerNorm(g.op('Add', [x, out]), { weight: ln.weight?.value, bias: ln.bias?.value }, ln.eps, `${name}.final_layer_norm`);
}

function addNorm(g: OnnxGraphBuilder, x: string, y: string, ln: LayerNorm, name: string): string {
  return g.layerNorm(g.op('Add', [x, y]), { weight: ln.weight?.value, bias: ln.bias?.value }, ln.eps, name);
}

function buildEncoder(g: OnnxGraphBuilder, model: BartForConditionalGeneration): void {
  const c = model.config;
  const encoder = model.model.encoder;
  const ids = g.addInput('input_ids', 'int64', ['batch_size', 'encoder_sequence_length']);
  const mask = g.addInput('attention_mask', 'int64', ['batch_size', 'encoder_sequence_length']);
  let h = embed(g, encoder, ids, null, 'model.encoder');
  const additive = g.additiveMask(mask);
  [...encoder.layers].forEach((layer, i) => {
    const name = `model.encoder.layers.${i}`;
    const a = layer.self_attn;
    const out = attend(g, a, heads(g, a, 'q_proj', h, `${name}.self_attn`), heads(g, a, 'k_proj', h, `${name}.self_attn`), heads(g, a, 'v_proj', h, `${name}.self_attn`), additive, `${name}.self_attn`);
    h = addNorm(g, h, out, layer.self_attn_layer_norm, `${name}.self_attn_layer_norm`);
    h = feedForward(g, layer, h, c.activationFunction, name);
  });
  g.addOutput('last_hidden_state', h, 'float32', ['batch_size', 'encoder_sequence_length', c.dModel]);
}

type DecoderVariant = 'no-past' | 'with-past' | 'merged';

interface DecoderOptions {
  variant: DecoderVariant;
  /** decoder_model.onnx with presents (an export with past). */
  presents: boolean;
}

function buildDecoder(g: OnnxGraphBuilder, model: BartForConditionalGeneration, options: DecoderOptions): void {
  const c = model.config;
  const decoder = model.model.decoder;
  const layers = [...decoder.layers];
  const h0 = c.decoderAttentionHeads;
  const hd = c.dModel / h0;
  const { variant } = options;
  const total: OnnxDim = variant === 'no-past' ? 'decoder_sequence_length' : 'past_decoder_sequence_length + decoder_sequence_length';
  const encoderMask = g.addInput('encoder_attention_mask', 'int64', ['batch_size', 'encoder_sequence_length']);
  const ids = g.addInput('input_ids', 'int64', ['batch_size', 'decoder_sequence_length']);
  const states = variant === 'with-past' ? null : g.addInput('encoder_hidden_states', 'float32', ['batch_size', 'encoder_sequence_length', c.dModel]);
  const past = variant === 'no-past' ? null : layers.map((_, i) => {
    const kv = (part: string, length: string) => g.addInput(`past_key_values.${i}.${part}`, 'float32', ['batch_size', h0, length, hd]);
    return {
      selfKey: kv('decoder.key', 'past_decoder_sequence_length'),
      selfValue: kv('decoder.value', 'past_decoder_sequence_length'),
      crossKey: kv('encoder.key', 'encoder_sequence_length_out'),
      crossValue: kv('encoder.value', 'encoder_sequence_length_out'),
    };
  });
  const useCache = variant === 'merged' ? g.addInput('use_cache_branch', 'bool', [1]) : null;

  const first = past?.[0];
  const pastLen = first ? dimOf(g, first.selfKey, 2) : null;
  let h = embed(g, decoder, ids, pastLen, 'model.decoder');
  const t = dimOf(g, ids, 1);
  const selfMask = causalMask(g, t, pastLen ? g.op('Add', [pastLen, t]) : t);
  const crossMask = g.additiveMask(encoderMask);

  // Cross-attention keys/values of every layer: from the encoder states, from the past, or (merged) either.
  const crossFromStates = (b: OnnxGraphBuilder) => layers.flatMap((layer, i) => {
    const attn = layer.encoder_attn as MultiHeadAttention;
    const name = `model.decoder.layers.${i}.encoder_attn`;
    return [heads(b, attn, 'k_proj', states as string, name), heads(b, attn, 'v_proj', states as string, name)];
  });
  const crossFromPast = () => (past ?? []).flatMap((p) => [p.crossKey, p.crossValue]);
  let cross: string[];
  if (variant === 'no-past') {
    cross = crossFromStates(g);
  } else if (variant === 'with-past') {
    cross = crossFromPast();
  } else {
    const spec = layers.flatMap(() => [0, 1].map(() => ({ dtype: 'float32' as const, dims: ['batch_size', h0, 'encoder_sequence_length_out', hd] as OnnxDim[] })));
    cross = g.ifElse(useCache as string, spec, (b) => crossFromPast().map((v) => b.op('Identity', [v])), (b) => crossFromStates(b));
  }

  // Outputs after logits, as Optimum orders them.
  const presents: { name: string; value: string; length: OnnxDim }[] = [];
  layers.forEach((layer, i) => {
    const name = `model.decoder.layers.${i}`;
    const a = layer.self_attn;
    let key = heads(g, a, 'k_proj', h, `${name}.self_attn`);
    let value = heads(g, a, 'v_proj', h, `${name}.self_attn`);
    const p = past?.[i];
    if (p) {
      key = g.op('Concat', [p.selfKey, key], { axis: 2 });
      value = g.op('Concat', [p.selfValue, value], { axis: 2 });
    }
    if (variant !== 'no-past' || options.presents) {
      presents.push({ name: `present.${i}.decoder.key`, value: key, length: total }, { name: `present.${i}.decoder.value`, value, length: total });
    }
    const selfOut = attend(g, a, heads(g, a, 'q_proj', h, `${name}.self_attn`), key, value, selfMask, `${name}.self_attn`);
    h = addNorm(g, h, selfOut, layer.self_attn_layer_norm, `${name}.self_attn_layer_norm`);
    const ca = layer.encoder_attn as MultiHeadAttention;
    const crossKey = cross[2 * i] as string;
    const crossValue = cross[2 * i + 1] as string;
    if (variant === 'merged' || (variant === 'no-past' && options.presents)) {
      presents.push(
        { name: `present.${i}.encoder.key`, value: crossKey, length: 'encoder_sequence_length_out' },
        { name: `present.${i}.encoder.value`, value: crossValue, length: 'encoder_sequence_length_out' },
      );
    }
    const crossOut = attend(g, ca, heads(g, ca, 'q_proj', h, `${name}.encoder_attn`), crossKey, crossValue, crossMask, `${name}.encoder_attn`);
    h = addNorm(g, h, crossOut, layer.encoder_attn_layer_norm as LayerNorm, `${name}.encoder_attn_layer_norm`);
    h = feedForward(g, layer, h, c.activationFunction, name);
  });

  // The LM head is `[vocab, C]`, usually the shared table itself (stored once): h · Wᵀ + final_logits_bias.
  const head = model.lm_head.weight.value;
  const table = g.addInitializer(head === model.model.shared.weight.value ? 'model.shared.weight' : 'lm_head.weight', head);
  const logits = g.op('Add', [g.op('MatMul', [h, g.op('Transpose', [table], { perm: [1, 0] })]), g.addInitializer('final_logits_bias', model.final_logits_bias.value)]);
  g.addOutput('logits', logits, 'float32', ['batch_size', 'decoder_sequence_length', c.vocabSize]);
  for (const p of presents) g.addOutput(p.name, p.value, 'float32', ['batch_size', h0, p.length, hd]);
}

/** The graphs of a BART model (BartForConditionalGeneration): encoder and decoder files as Optimum splits them. */
export function bartOnnxGraphs(model: PretrainedModel, context: OnnxExportContext): OnnxGraphSpec[] {
  if (!(model instanceof BartForConditionalGeneration)) {
    throw new ConfigError(`BART ONNX export: ${String((model as { architecture?: unknown }).architecture)} has no ONNX export; export BartForConditionalGeneration (summarization, translation, text2text-generation)`);
  }
  const graphs: OnnxGraphSpec[] = [
    { file: 'onnx/encoder_model.onnx', name: 'BartEncoder', build: (g) => buildEncoder(g, model) },
    { file: 'onnx/decoder_model.onnx', name: 'BartDecoder', build: (g) => buildDecoder(g, model, { variant: 'no-past', presents: context.withPast }) },
  ];
  if (context.withPast) {
    graphs.push(
      { file: 'onnx/decoder_with_past_model.onnx', name: 'BartDecoderWithPast', build: (g) => buildDecoder(g, model, { variant: 'with-past', presents: true }) },
      { file: 'onnx/decoder_model_merged.onnx', name: 'BartDecoderMerged', build: (g) => buildDecoder(g, model, { variant: 'merged', presents: true }) },
    );
  }
  return graphs;
}

/** `ModelEntry.onnx` for BART. */
export function bartOnnxExport(): OnnxExportEntry {
  return {
    minOpset: 14,
    graphs: bartOnnxGraphs,
    hfConfig: (model) => {
      const m = model as BartPreTrainedModel;
      return bartConfigToHf(m.config, m.architecture, m.hfConfig);
    },
  };
}
