/**
 * The two models of the browser bench, built the same way in the page and in Node (same seed, so the
 * same random weights): BERT-base (bert-base-uncased's config) and GPT-2 small (gpt2's config), one
 * sequence of 128 tokens.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BertModel } from '@tfkit/models-bert';
import { GPT2LMHeadModel } from '@tfkit/models-gpt';

export type ModelName = 'bert-base' | 'gpt2';
export type BenchModel = { name: 'bert-base'; model: BertModel } | { name: 'gpt2'; model: GPT2LMHeadModel };

export const SEQ = 128;
export const SEED = 1;

export function buildModel(name: ModelName): BenchModel & { dispose(): void } {
  if (name === 'bert-base') {
    const model = new BertModel({}, { seed: SEED });
    return { name, model, dispose: () => model.dispose() };
  }
  const model = new GPT2LMHeadModel({ vocabSize: 50257, nPositions: 1024, nEmbd: 768, nLayer: 12, nHead: 12 }, { seed: SEED });
  return { name, model, dispose: () => model.dispose() };
}

function ids(vocab: number): number[] {
  return Array.from({ length: SEQ }, (_, i) => (i * 7919 + 101) % vocab);
}

/** The ONNX feeds (flat int64 values and dims); tfkit gets the same ids as nested arrays. */
export function feedsFor(name: ModelName): Record<string, { data: number[]; dims: number[] }> {
  const dims = [1, SEQ];
  if (name === 'bert-base') {
    return { input_ids: { data: ids(30522), dims }, attention_mask: { data: ids(30522).map(() => 1), dims }, token_type_ids: { data: ids(30522).map(() => 0), dims } };
  }
  return { input_ids: { data: ids(50257), dims }, attention_mask: { data: ids(50257).map(() => 1), dims }, position_ids: { data: ids(50257).map((_, i) => i), dims } };
}

/** One forward; the first output (last_hidden_state or logits) read back. */
export async function tfkitForward(m: BenchModel): Promise<Float32Array> {
  if (m.name === 'bert-base') {
    const inputIds = [ids(30522)];
    const out = m.model.forward({ inputIds, attentionMask: [inputIds[0]!.map(() => 1)], tokenTypeIds: [inputIds[0]!.map(() => 0)] });
    const data = (await out.lastHiddenState.data()) as Float32Array;
    tf.dispose(out as unknown as tf.TensorContainer);
    return data;
  }
  const inputIds = [ids(50257)];
  const out = m.model.forward({ inputIds, attentionMask: [inputIds[0]!.map(() => 1)], useCache: false });
  const data = (await out.logits.data()) as Float32Array;
  tf.dispose(out as unknown as tf.TensorContainer);
  return data;
}
