/**
 * Test helpers: greedy decoding loops over exported decoders in ONNX Runtime, written from the
 * Optimum / transformers.js conventions (past_key_values.N.* in, present.N.* out), independent of
 * tfkit's generation code, so their ids can be compared with tfkit's `generate`.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface OrtTensor {
  readonly dims: readonly number[];
  readonly data: unknown;
  readonly type?: string;
}

export interface OrtSession {
  run(feeds: Record<string, unknown>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
}

export interface OrtModule {
  Tensor: new (type: string, data: unknown, dims: readonly number[]) => OrtTensor;
  InferenceSession: { create(model: Uint8Array, options?: Record<string, unknown>): Promise<OrtSession> };
}

export function openSession(ort: OrtModule, file: string): Promise<OrtSession> {
  return ort.InferenceSession.create(new Uint8Array(fs.readFileSync(file)));
}

export function int64(ort: OrtModule, rows: readonly (readonly number[])[]): OrtTensor {
  return new ort.Tensor('int64', BigInt64Array.from(rows.flat(), (v) => BigInt(v)), [rows.length, rows[0]?.length ?? 0]);
}

export function emptyPast(ort: OrtModule, batch: number, heads: number, headDim: number): OrtTensor {
  return new ort.Tensor('float32', new Float32Array(0), [batch, heads, 0, headDim]);
}

/** Row-wise argmax of the last position of `[B, T, V]` logits. */
export function lastArgmax(logits: OrtTensor): number[] {
  const [b, t, v] = logits.dims as [number, number, number];
  const data = logits.data as Float32Array;
  return Array.from({ length: b }, (_, i) => {
    const base = (i * t + t - 1) * v;
    let best = 0;
    for (let j = 1; j < v; j++) if ((data[base + j] as number) > (data[base + best] as number)) best = j;
    return best;
  });
}

export interface GreedyOptions {
  maxNewTokens: number;
  eosTokenId: number;
  padTokenId: number;
}

/**
 * Greedy decoding with a GPT-2 `model.onnx` with past: the prompt with empty past tensors, then one
 * token per step with the presents fed back; positions are cumsum(mask) − 1 (pads 1), rows that
 * emitted eos get pad, the loop stops when every row has. Returns prompt + new ids per row.
 */
export async function greedyDecoderOnly(
  ort: OrtModule, session: OrtSession, prompt: number[][], mask: number[][], shape: { layers: number; heads: number; headDim: number }, options: GreedyOptions,
): Promise<number[][]> {
  const b = prompt.length;
  const sequences = prompt.map((r) => [...r]);
  const masks = mask.map((r) => [...r]);
  const positionsOf = (m: number[]) => {
    let sum = 0;
    return m.map((v) => { sum += v; return v === 0 ? 1 : sum - 1; });
  };
  let past: Record<string, OrtTensor> = {};
  for (let i = 0; i < shape.layers; i++) {
    past[`past_key_values.${i}.key`] = emptyPast(ort, b, shape.heads, shape.headDim);
    past[`past_key_values.${i}.value`] = emptyPast(ort, b, shape.heads, shape.headDim);
  }
  let ids = prompt;
  let positions = masks.map(positionsOf);
  const done = new Array<boolean>(b).fill(false);
  for (let step = 0; step < options.maxNewTokens && !done.every(Boolean); step++) {
    const out = await session.run({ input_ids: int64(ort, ids), attention_mask: int64(ort, masks), position_ids: int64(ort, positions), ...past });
    const next = lastArgmax(out['logits'] as OrtTensor).map((t, r) => (done[r] ? options.padTokenId : t));
    next.forEach((t, r) => {
      sequences[r]?.push(t);
      masks[r]?.push(1);
      if (t === options.eosTokenId) done[r] = true;
    });
    past = {};
    for (let i = 0; i < shape.layers; i++) {
      past[`past_key_values.${i}.key`] = out[`present.${i}.key`] as OrtTensor;
      past[`past_key_values.${i}.value`] = out[`present.${i}.value`] as OrtTensor;
    }
    ids = next.map((t) => [t]);
    positions = masks.map((m) => [positionsOf(m).at(-1) as number]);
  }
  return sequences;
}

export interface Seq2SeqOptions extends GreedyOptions {
  decoderStartTokenId: number;
}

/**
 * Greedy decoding over an Optimum seq2seq split: `encoder_model.onnx` once, then either
 * `decoder_model_merged.onnx` (use_cache_branch false with empty past, then true) or
 * `decoder_model.onnx` followed by `decoder_with_past_model.onnx`. Returns the decoder ids per row
 * (decoder start token first), finished rows padded.
 */
export async function greedySeq2Seq(
  ort: OrtModule, dir: string, inputIds: number[][], mask: number[][], shape: { layers: number; heads: number; headDim: number },
  options: Seq2SeqOptions & { files: 'merged' | 'split' },
): Promise<number[][]> {
  const b = inputIds.length;
  const encoder = await openSession(ort, path.join(dir, 'onnx/encoder_model.onnx'));
  const sessions = options.files === 'merged'
    ? { first: await openSession(ort, path.join(dir, 'onnx/decoder_model_merged.onnx')) }
    : { first: await openSession(ort, path.join(dir, 'onnx/decoder_model.onnx')), rest: await openSession(ort, path.join(dir, 'onnx/decoder_with_past_model.onnx')) };
  try {
    const encoderMask = int64(ort, mask);
    const states = (await encoder.run({ input_ids: int64(ort, inputIds), attention_mask: encoderMask }))['last_hidden_state'] as OrtTensor;
    const sequences = inputIds.map(() => [options.decoderStartTokenId]);
    const done = new Array<boolean>(b).fill(false);
    let past: Record<string, OrtTensor> | null = null;
    for (let step = 0; step < options.maxNewTokens && !done.every(Boolean); step++) {
      const ids = int64(ort, sequences.map((s) => [s.at(-1) as number]));
      let feeds: Record<string, unknown>;
      let session: OrtSession;
      if (options.files === 'merged') {
        session = sessions.first;
        const pkv = past ?? Object.fromEntries(Array.from({ length: shape.layers }, (_, i) => ['decoder', 'encoder'].flatMap((part) => ['key', 'value'].map((kv) => [
          `past_key_values.${i}.${part}.${kv}`, emptyPast(ort, b, shape.heads, shape.headDim),
        ]))).flat());
        feeds = { input_ids: ids, encoder_attention_mask: encoderMask, encoder_hidden_states: states, use_cache_branch: new ort.Tensor('bool', [past !== null], [1]), ...pkv };
      } else if (past === null) {
        session = sessions.first;
        feeds = { input_ids: ids, encoder_attention_mask: encoderMask, encoder_hidden_states: states };
      } else {
        session = sessions.rest as OrtSession;
        feeds = { input_ids: ids, encoder_attention_mask: encoderMask, ...past };
      }
      const out = await session.run(feeds);
      const next = lastArgmax(out['logits'] as OrtTensor).map((t, r) => (done[r] ? options.padTokenId : t));
      next.forEach((t, r) => {
        sequences[r]?.push(t);
        if (t === options.eosTokenId) done[r] = true;
      });
      const previous: Record<string, OrtTensor> | null = past;
      const nextPast: Record<string, OrtTensor> = {};
      for (let i = 0; i < shape.layers; i++) {
        for (const kv of ['key', 'value']) {
          nextPast[`past_key_values.${i}.decoder.${kv}`] = out[`present.${i}.decoder.${kv}`] as OrtTensor;
          // The cross-attention keys/values are computed at the first step and reused (as transformers.js does).
          nextPast[`past_key_values.${i}.encoder.${kv}`] = (previous?.[`past_key_values.${i}.encoder.${kv}`] ?? out[`present.${i}.encoder.${kv}`]) as OrtTensor;
        }
      }
      past = nextPast;
    }
    return sequences;
  } finally {
    await encoder.release();
    await sessions.first.release();
    await sessions.rest?.release();
  }
}
