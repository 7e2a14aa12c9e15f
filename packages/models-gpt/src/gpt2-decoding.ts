/**
 * GPT-2's decoding session for `generate`: the prompt runs once, then each step feeds one token
 * per row against the cached keys/values, so a step costs about the same at any context length.
 * Positions come from the attention mask (cumsum − 1, padding at 1), as Hugging Face's
 * `prepare_inputs_for_generation` derives them, so left-padded prompts continue correctly.
 *
 * Where the backend has tfkit's in-place attention kernel (wasm), the session keeps its keys and
 * values in a `KvCache` it owns: preallocated buffers that each step writes its one new position
 * into, grown geometrically, so no step copies the past. Elsewhere (cpu, webgl, …) each step
 * concatenates the past with the new position into new tensors, as `model.forward` does.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_CACHED_ATTENTION_IN_PLACE, KvCache } from '@tfkit/core-tensor';
import { GenerationError, type DecodingSession, type StartDecodingInputs, type StartDecodingOptions } from '@tfkit/generation';
import type { GPT2LMHeadModel } from './gpt2-heads.js';
import type { LayerKeyValue, PastKeyValues } from './gpt2-modeling.js';

/** Hugging Face's generation positions: cumulative count of real tokens − 1, padding at 1. */
export function positionsFromMask(mask: readonly (readonly number[])[]): number[][] {
  return mask.map((row) => {
    let seen = 0;
    return row.map((m) => {
      if (m) seen++;
      return m ? seen - 1 : 1;
    });
  });
}

export class Gpt2DecodingSession implements DecodingSession {
  readonly prefix: number[][];
  private mask: number[][];
  /** Every token per row (used without a cache, where each step recomputes the whole sequence). */
  private tokens: number[][];
  /** How many trailing tokens of each row the cache does not hold yet. */
  private pending: number;
  private cache: PastKeyValues | null = null;
  /** The preallocated cache written in place (when the backend has the kernel), else null. */
  private kvCache: KvCache | null = null;
  private disposed = false;

  constructor(
    private readonly model: GPT2LMHeadModel,
    inputs: StartDecodingInputs,
    private readonly options: StartDecodingOptions,
  ) {
    this.prefix = inputs.inputIds.map((r) => [...r]);
    this.tokens = inputs.inputIds.map((r) => [...r]);
    this.mask = inputs.attentionMask.map((r) => [...r]);
    this.pending = (this.prefix[0] as number[]).length;
    if (options.useCache && tf.getKernel(FUSED_CACHED_ATTENTION_IN_PLACE, tf.getBackend()) !== undefined) {
      this.kvCache = new KvCache({ numLayers: model.config.nLayer, maxLength: model.config.nPositions });
    }
  }

  /** How the session caches: 'in-place' (a preallocated `KvCache`), 'concat' (new tensors each step) or 'none' (recomputes). */
  get cacheMode(): 'in-place' | 'concat' | 'none' {
    return this.kvCache ? 'in-place' : this.options.useCache ? 'concat' : 'none';
  }

  nextTokenLogits(): tf.Tensor2D {
    const useCache = this.options.useCache;
    const n = useCache ? this.pending : (this.tokens[0] as number[]).length;
    if (n === 0) throw new GenerationError('Gpt2DecodingSession: nextTokenLogits was called twice without append in between');
    const ids = this.tokens.map((r) => r.slice(r.length - n));
    const positions = positionsFromMask(this.mask).map((r) => r.slice(r.length - n));
    const { logits, present } = tf.tidy(() => {
      const out = this.model.transformer.forward({
        inputIds: ids,
        // Without padding the mask hides nothing: leaving it out spares building it each step.
        ...(this.mask.some((r) => r.includes(0)) ? { attentionMask: this.mask } : {}),
        positionIds: positions,
        ...(this.kvCache ? { kvCache: this.kvCache } : { pastKeyValues: useCache ? this.cache : null, useCache }),
      });
      const [b, t, c] = out.lastHiddenState.shape;
      // Only the last position's logits are needed: project one row per sequence.
      const last = tf.reshape(t === 1 ? out.lastHiddenState : tf.slice(out.lastHiddenState, [0, t - 1, 0], [b, 1, c]), [b, c]) as tf.Tensor2D;
      return { logits: this.model.lm_head.forward(last), present: out.pastKeyValues ?? [] };
    });
    if (useCache) {
      if (!this.kvCache) {
        this.disposeCache();
        this.cache = present;
      }
      this.pending = 0;
    }
    return logits;
  }

  append(tokens: readonly number[]): void {
    tokens.forEach((t, r) => {
      (this.tokens[r] as number[]).push(t);
      (this.mask[r] as number[]).push(1);
    });
    this.pending++;
  }

  selectRows(rows: readonly number[]): void {
    const pick = <T>(xs: T[][]) => rows.map((r) => [...(xs[r] as T[])]);
    this.tokens = pick(this.tokens);
    this.mask = pick(this.mask);
    this.kvCache?.selectRows(rows);
    if (this.cache) {
      const index = tf.tensor1d(rows as number[], 'int32');
      const old = this.cache;
      this.cache = old.map((kv) => ({ key: tf.gather(kv.key, index) as tf.Tensor4D, value: tf.gather(kv.value, index) as tf.Tensor4D }));
      index.dispose();
      disposeKeyValues(old);
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.disposeCache();
  }

  private disposeCache(): void {
    if (this.cache) disposeKeyValues(this.cache);
    this.cache = null;
    this.kvCache?.dispose();
  }
}

function disposeKeyValues(cache: LayerKeyValue[]): void {
  for (const { key, value } of cache) {
    key.dispose();
    value.dispose();
  }
}
