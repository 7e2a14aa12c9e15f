/**
 * Decoding over an exported decoder with past keys/values (GPT-2's `onnx/model.onnx` written with
 * `withPast: true`) in ONNX Runtime, as a `@tfkit/generation` decoding session: the prompt runs
 * once with past tensors of length 0, then each step feeds one token per row with the presents of
 * the step before, positions from the attention mask (cumsum − 1, padding at 1) as Hugging Face's
 * generation derives them. `generate` (greedy, sampling, beams) and the `text-generation` pipeline
 * drive it through `nextTokenLogitsAsync`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { OnnxInferenceError } from './errors.js';

interface OrtTensor {
  readonly dims: readonly number[];
  readonly data: unknown;
}
interface OrtSession {
  readonly inputNames: readonly string[];
  run(feeds: Record<string, unknown>): Promise<Record<string, OrtTensor>>;
}
interface Ort {
  Tensor: new (type: string, data: unknown, dims: readonly number[]) => OrtTensor;
}

/** The shape of the cache a session's inputs declare. */
export interface PastLayout {
  /** `past_key_values.N.key/value` input names, layer by layer. */
  readonly names: readonly string[];
  readonly heads: number;
  readonly headDim: number;
}

const PAST = /^past_key_values\.(\d+)\.(key|value)$/;

/** The past inputs of a decoder-only graph (none: it has no cache to feed). */
export function pastLayout(session: OrtSession, config: { n_head?: unknown; n_embd?: unknown; num_attention_heads?: unknown; hidden_size?: unknown }): PastLayout | null {
  const names = session.inputNames.filter((n) => PAST.test(n));
  if (names.length === 0) return null;
  const heads = Number(config.n_head ?? config.num_attention_heads);
  const width = Number(config.n_embd ?? config.hidden_size);
  if (!Number.isInteger(heads) || !Number.isInteger(width) || heads < 1 || width % heads !== 0) {
    throw new OnnxInferenceError(`the ONNX model takes past keys/values, but config.json gives no head count and width to size them (n_head ${String(config.n_head)}, n_embd ${String(config.n_embd)})`);
  }
  return { names, heads, headDim: width / heads };
}

/** Hugging Face's generation positions: cumulative count of real tokens − 1, padding at 1. */
function positionsFromMask(mask: readonly (readonly number[])[]): number[][] {
  return mask.map((row) => {
    let seen = 0;
    return row.map((m) => (m ? ++seen - 1 : 1));
  });
}

/** A `DecodingSession` (structurally: `@tfkit/onnx` does not depend on `@tfkit/generation`) over an ONNX decoder with past. */
export class OnnxDecodingSession {
  readonly prefix: number[][];
  private tokens: number[][];
  private mask: number[][];
  /** Trailing tokens of each row the cache does not hold yet. */
  private pending: number;
  /** `past_key_values.*` feeds for the next run: the presents of the last one. */
  private past: Record<string, { data: Float32Array; dims: number[] }> | null = null;

  constructor(
    private readonly ort: Ort,
    private readonly session: OrtSession,
    private readonly layout: PastLayout,
    inputs: { inputIds: number[][]; attentionMask: number[][] },
    private readonly where: string,
  ) {
    this.prefix = inputs.inputIds.map((r) => [...r]);
    this.tokens = inputs.inputIds.map((r) => [...r]);
    this.mask = inputs.attentionMask.map((r) => [...r]);
    this.pending = this.prefix[0]?.length ?? 0;
  }

  nextTokenLogits(): tf.Tensor2D {
    throw new OnnxInferenceError(`${this.where}: ONNX Runtime runs asynchronously; call nextTokenLogitsAsync() (generate does)`);
  }

  async nextTokenLogitsAsync(): Promise<tf.Tensor2D> {
    const n = this.pending;
    if (n === 0) throw new OnnxInferenceError(`${this.where}: nextTokenLogitsAsync was called twice without append in between`);
    const b = this.tokens.length;
    const i64 = (rows: number[][]) => new this.ort.Tensor('int64', BigInt64Array.from(rows.flat(), (v) => BigInt(v)), [rows.length, rows[0]?.length ?? 0]);
    const feeds: Record<string, unknown> = {
      input_ids: i64(this.tokens.map((r) => r.slice(r.length - n))),
      attention_mask: i64(this.mask),
      position_ids: i64(positionsFromMask(this.mask).map((r) => r.slice(r.length - n))),
    };
    for (const name of this.layout.names) {
      const p = this.past?.[name];
      feeds[name] = new this.ort.Tensor('float32', p?.data ?? new Float32Array(0), p?.dims ?? [b, this.layout.heads, 0, this.layout.headDim]);
    }
    const out = await this.session.run(feeds);
    const logits = out['logits'];
    if (!logits) throw new OnnxInferenceError(`${this.where}: the ONNX model has no "logits" output`);
    const past: Record<string, { data: Float32Array; dims: number[] }> = {};
    for (const name of this.layout.names) {
      const present = out[name.replace('past_key_values', 'present')];
      if (!present) throw new OnnxInferenceError(`${this.where}: the ONNX model takes ${name} but gives no ${name.replace('past_key_values', 'present')}`);
      past[name] = { data: present.data as Float32Array, dims: [...present.dims] };
    }
    this.past = past;
    this.pending = 0;
    // The last position of each row: [B, T, V] → [B, V].
    const [, t, v] = logits.dims as [number, number, number];
    const data = logits.data as Float32Array;
    const last = new Float32Array(b * v);
    for (let r = 0; r < b; r++) last.set(data.subarray((r * t + t - 1) * v, (r * t + t) * v), r * v);
    return tf.tensor2d(last, [b, v]);
  }

  append(tokens: readonly number[]): void {
    tokens.forEach((t, r) => {
      this.tokens[r]?.push(t);
      this.mask[r]?.push(1);
    });
    this.pending++;
  }

  selectRows(rows: readonly number[]): void {
    const pick = (xs: number[][]) => rows.map((r) => [...(xs[r] as number[])]);
    this.tokens = pick(this.tokens);
    this.mask = pick(this.mask);
    if (!this.past) return;
    const past: Record<string, { data: Float32Array; dims: number[] }> = {};
    for (const [name, { data, dims }] of Object.entries(this.past)) {
      const row = data.length / (dims[0] as number);
      const picked = new Float32Array(rows.length * row);
      rows.forEach((r, i) => picked.set(data.subarray(r * row, (r + 1) * row), i * row));
      past[name] = { data: picked, dims: [rows.length, ...dims.slice(1)] };
    }
    this.past = past;
  }

  dispose(): void {
    this.past = null;
  }
}

const camel = (key: string) => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * What `generate` reads of a model besides its decoding session, from the exported folder:
 * `generation_config.json` (or config.json's special tokens) in tfkit's camelCase (generate keeps
 * the keys it knows), and the position table's size.
 */
export function generationDefaults(generationConfig: Record<string, unknown> | undefined, config: Record<string, unknown>): Record<string, unknown> {
  const source = generationConfig ?? { bos_token_id: config['bos_token_id'], eos_token_id: config['eos_token_id'], pad_token_id: config['pad_token_id'] };
  return Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => [camel(k), v]));
}

/**
 * The members that make a served model a `GenerationModel` when its graph takes past keys/values
 * (`startDecoding`, `generationConfig`, `paddingSide`, `maxPositions`), or null when it does not.
 */
export function onnxGenerationMembers(
  ort: Ort, session: OrtSession, config: Record<string, unknown>, generationConfig: Record<string, unknown> | undefined, maxPositions: number | undefined, where: string,
): Record<string, unknown> | null {
  const layout = pastLayout(session, config);
  if (!layout) return null;
  return {
    generationConfig: generationDefaults(generationConfig, config),
    paddingSide: 'left',
    ...(maxPositions !== undefined ? { maxPositions } : {}),
    startDecoding: (inputs: { inputIds: number[][]; attentionMask: number[][] }) => new OnnxDecodingSession(ort, session, layout, inputs, where),
  };
}
