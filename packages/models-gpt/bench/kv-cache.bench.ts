/**
 * KV-cache benchmark: 256 new tokens from a 16-token prompt with a GPT-2-shaped model
 * (4 layers, width 128, 4 heads, vocab 4096: the CLI's embedded model), greedy, on tfjs-backend-wasm — with the cache
 * (each step feeds one token against the stored keys/values) and without (each step recomputes
 * the whole sequence). Also reports the cached per-token time early vs late in the sequence, which
 * stays nearly flat because a step's work grows only with the attention over the cache.
 *
 *   pnpm --filter @tfkit/models-gpt bench          (TFKIT_BENCH_BACKEND=cpu to change backend)
 *
 * Target: ≥ 3× faster with the cache at 256 new tokens.
 */
import * as tf from '@tensorflow/tfjs-core';
import { generate, type TokenEvent } from '@tfkit/generation';
import { expect, it } from 'vitest';
import { GPT2LMHeadModel } from '../src/index.js';

const NEW_TOKENS = 256;
const PROMPT = Array.from({ length: 16 }, (_, i) => (i * 37) % 4096);

async function run(model: GPT2LMHeadModel, useCache: boolean) {
  const stamps: number[] = [];
  const t0 = performance.now();
  const out = await generate(model, [PROMPT], {
    maxNewTokens: NEW_TOKENS, useCache, eosTokenId: undefined, padTokenId: 0,
    streamer: (_e: TokenEvent) => void stamps.push(performance.now()),
  });
  const total = performance.now() - t0;
  const perToken = (from: number, to: number) => ((stamps[to - 1] as number) - (stamps[from - 1] as number)) / (to - from);
  return { total, out, early: perToken(16, 64), late: perToken(NEW_TOKENS - 48, NEW_TOKENS) };
}

it(`KV cache vs recomputation, ${NEW_TOKENS} new tokens`, async () => {
  const backend = process.env['TFKIT_BENCH_BACKEND'] ?? 'wasm';
  await tf.setBackend(backend);
  await tf.ready();
  const model = new GPT2LMHeadModel({ vocabSize: 4096, nPositions: 512, nEmbd: 128, nLayer: 4, nHead: 4, eosTokenId: null, bosTokenId: null }, { seed: 0 });
  await run(model, true); // warm-up: kernels and XNNPACK operators
  const cached = await run(model, true);
  const uncached = await run(model, false);
  const speedup = uncached.total / cached.total;
  const lines = [
    `backend ${backend}, ${NEW_TOKENS} new tokens after a ${PROMPT.length}-token prompt, GPT-2 4×128 (4 heads, vocab 4096)`,
    `with cache:    ${(cached.total / 1000).toFixed(2)} s  (${(cached.total / NEW_TOKENS).toFixed(1)} ms/token; tokens 16–64 ${cached.early.toFixed(1)} ms, tokens 208–256 ${cached.late.toFixed(1)} ms)`,
    `without cache: ${(uncached.total / 1000).toFixed(2)} s  (${(uncached.total / NEW_TOKENS).toFixed(1)} ms/token; tokens 16–64 ${uncached.early.toFixed(1)} ms, tokens 208–256 ${uncached.late.toFixed(1)} ms)`,
    `speedup ${speedup.toFixed(1)}×; cached late/early per-token ratio ${(cached.late / cached.early).toFixed(2)}`,
  ];
  console.log(lines.join('\n'));
  expect(uncached.out.sequences).toEqual(cached.out.sequences);
  expect(speedup).toBeGreaterThanOrEqual(3);
  model.dispose();
});
