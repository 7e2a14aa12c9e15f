import * as tf from '@tensorflow/tfjs-core';
import { FUSED_CACHED_ATTENTION, FUSED_CACHED_ATTENTION_IN_PLACE, KvCache, Random } from '@tfkit/core-tensor';
import type { DecodingSession } from '@tfkit/generation';
import { expectNoLeaks, withBackend } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import type { Gpt2DecodingSession } from './gpt2-decoding.js';
import { GPT2LMHeadModel } from './gpt2-heads.js';
import type { PastKeyValues } from './gpt2-modeling.js';

// Small enough to run 40+ steps quickly; 64 positions so the cache grows twice (16 → 34 → 64).
const CONFIG = { vocabSize: 60, nPositions: 64, nEmbd: 32, nLayer: 2, nHead: 4 };

function ids(rows: number, len: number, seed: number): number[][] {
  const rng = new Random(seed);
  return Array.from({ length: rows }, () => Array.from({ length: len }, () => rng.int(CONFIG.vocabSize)));
}

/** Runs `fn` with the in-place attention kernel unregistered on wasm (sessions made then concatenate their cache). */
function withoutInPlaceKernel<T>(fn: () => T): T {
  const config = tf.getKernel(FUSED_CACHED_ATTENTION_IN_PLACE, 'wasm');
  if (config) tf.unregisterKernel(FUSED_CACHED_ATTENTION_IN_PLACE, 'wasm');
  try {
    return fn();
  } finally {
    if (config) tf.registerKernel(config);
  }
}

function disposePast(past: PastKeyValues | undefined | null): void {
  past?.forEach(({ key, value }) => tf.dispose([key, value]));
}

describe.each(['cpu', 'wasm'])('GPT2Model.forward with a KvCache on %s', (backend) => {
  it('gives the logits and keys/values of pastKeyValues, step by step, through two growths of the cache', async () => {
    await withBackend(backend, () =>
      expectNoLeaks(() => {
        const model = new GPT2LMHeadModel(CONFIG, { seed: 11 });
        // Two rows, the first left-padded by two: the mask and positions take the padding path.
        const prompt = ids(2, 5, 1);
        const mask = [[0, 0, 1, 1, 1], [1, 1, 1, 1, 1]];
        const positions = (len: number) => [Array.from({ length: len }, (_, i) => Math.max(1, i - 2)).map((p, i) => (i < 2 ? 1 : p)), Array.from({ length: len }, (_, i) => i)];
        const cache = new KvCache({ numLayers: CONFIG.nLayer, maxLength: CONFIG.nPositions });
        const viaCache = model.transformer.forward({ inputIds: prompt, attentionMask: mask, positionIds: positions(5), kvCache: cache });
        const viaPast = model.transformer.forward({ inputIds: prompt, attentionMask: mask, positionIds: positions(5), useCache: true });
        expect(viaCache.pastKeyValues).toBeUndefined();
        expect(Array.from(viaCache.lastHiddenState.dataSync())).toEqual(Array.from(viaPast.lastHiddenState.dataSync()));
        tf.dispose([viaCache.lastHiddenState, viaPast.lastHiddenState]);
        expect([cache.length, cache.capacity]).toEqual([5, 16]);
        let past = viaPast.pastKeyValues ?? null;
        const capacities = new Set<number>();
        for (let step = 0; step < 40; step++) {
          const next = [[(step * 7) % CONFIG.vocabSize], [(step * 3 + 1) % CONFIG.vocabSize]];
          const len = cache.length + 1;
          const stepMask = mask.map((r) => [...r, ...Array.from({ length: len - 5 }, () => 1)]);
          const stepPositions = positions(len).map((r) => r.slice(-1));
          const a = model.transformer.forward({ inputIds: next, attentionMask: stepMask, positionIds: stepPositions, kvCache: cache });
          const b = model.transformer.forward({ inputIds: next, attentionMask: stepMask, positionIds: stepPositions, pastKeyValues: past, useCache: true });
          expect(Array.from(a.lastHiddenState.dataSync()), `step ${step}`).toEqual(Array.from(b.lastHiddenState.dataSync()));
          tf.dispose([a.lastHiddenState, b.lastHiddenState]);
          disposePast(past);
          past = b.pastKeyValues ?? null;
          capacities.add(cache.capacity);
        }
        expect(cache.length).toBe(45);
        expect([...capacities]).toEqual([16, 34, 64]);
        // What the cache holds is exactly the concatenated keys/values.
        for (let i = 0; i < CONFIG.nLayer; i++) {
          const held = cache.past(i)!;
          expect(Array.from(held.key.dataSync())).toEqual(Array.from(past![i]!.key.dataSync()));
          expect(Array.from(held.value.dataSync())).toEqual(Array.from(past![i]!.value.dataSync()));
          tf.dispose([held.key, held.value]);
        }
        disposePast(past);
        cache.dispose();
        expect(() => cache.layer(0)).toThrow(/disposed/);
        model.dispose();
      }, 'forward with a KvCache'),
    );
  });

  it('refuses a cache of another model, or given beside pastKeyValues, with a typed error', async () => {
    await withBackend(backend, () => {
      const model = new GPT2LMHeadModel(CONFIG, { seed: 12 });
      const wrong = new KvCache({ numLayers: 3 });
      expect(() => model.transformer.forward({ inputIds: [[1]], kvCache: wrong })).toThrow(/kvCache has 3 layers, the model 2/);
      const cache = new KvCache({ numLayers: CONFIG.nLayer });
      const first = model.transformer.forward({ inputIds: [[1, 2]], useCache: true });
      expect(() => model.transformer.forward({ inputIds: [[1]], kvCache: cache, pastKeyValues: first.pastKeyValues ?? null })).toThrow(/pastKeyValues or kvCache, not both/);
      model.transformer.forward({ inputIds: [[1, 2]], kvCache: cache }).lastHiddenState.dispose();
      expect(() => model.transformer.forward({ inputIds: [[1], [2]], kvCache: cache })).toThrow(/kvCache holds \[1,4,16,8\] buffers, expected \[2, 4, capacity, 8\]/);
      tf.dispose([first.lastHiddenState]);
      disposePast(first.pastKeyValues);
      cache.dispose();
      model.dispose();
    });
  });
});

describe('GPT-2 decoding session on wasm: the in-place cache against the concatenating one', () => {
  it('writes in place (one in-place attention kernel per layer, no copy of the past) and gives the concatenating session\'s logits bit for bit, through row selection and growth', async () => {
    await withBackend('wasm', () =>
      expectNoLeaks(async () => {
        const model = new GPT2LMHeadModel(CONFIG, { seed: 13 });
        const prompt = { inputIds: [[0, 0, 0, 7, 8], [1, 2, 3, 4, 5]], attentionMask: [[0, 0, 0, 1, 1], [1, 1, 1, 1, 1]] };
        const before = tf.memory().numTensors;
        const inPlace = model.startDecoding(prompt, { useCache: true }) as Gpt2DecodingSession;
        const concat = withoutInPlaceKernel(() => model.startDecoding(prompt, { useCache: true })) as Gpt2DecodingSession;
        expect([inPlace.cacheMode, concat.cacheMode]).toEqual(['in-place', 'concat']);
        const compare = (step: number) => {
          const a = inPlace.nextTokenLogits();
          const b = concat.nextTokenLogits();
          expect(Array.from(a.dataSync()), `step ${step}`).toEqual(Array.from(b.dataSync()));
          tf.dispose([a, b]);
        };
        for (let step = 0; step < 45; step++) {
          if (step === 20) {
            // Beam search's reordering: rows repeated and swapped (2 → 3 rows).
            for (const s of [inPlace, concat]) s.selectRows([1, 0, 1]);
          }
          if (step === 6) {
            const info = await tf.profile(() => inPlace.nextTokenLogits());
            tf.dispose(info.result);
            const kernels = info.kernels.map((k) => k.name);
            expect(kernels.filter((k) => k === FUSED_CACHED_ATTENTION_IN_PLACE)).toHaveLength(CONFIG.nLayer);
            expect(kernels).not.toContain(FUSED_CACHED_ATTENTION);
            expect(kernels).not.toContain('Concat');
            expect(kernels).not.toContain('PadV2'); // no growth at this length (capacity 16)
            concat.nextTokenLogits().dispose();
          } else {
            compare(step);
          }
          const rows = step < 20 ? 2 : 3;
          const tokens = Array.from({ length: rows }, (_, r) => (step * 5 + r * 11) % CONFIG.vocabSize);
          inPlace.append(tokens);
          concat.append(tokens);
        }
        // The session owns its cache: alive, it holds tensors; disposed, none are left.
        expect(tf.memory().numTensors).toBeGreaterThan(before);
        inPlace.dispose();
        concat.dispose();
        expect(tf.memory().numTensors).toBe(before);
        model.dispose();
      }, 'decoding sessions'),
    );
  });

  it.each([
    ['greedy, two prompts of different lengths', { maxNewTokens: 50 }],
    ['sampled (seeded)', { maxNewTokens: 40, doSample: true, topK: 20, seed: 3 }],
    ['beam search, 3 beams', { maxNewTokens: 30, numBeams: 3, numReturnSequences: 2 }],
  ] as const)('generate gives the concatenating session\'s ids and leaks nothing: %s', async (_label, options) => {
    await withBackend('wasm', async () => {
      const model = new GPT2LMHeadModel(CONFIG, { seed: 14 });
      const prompts = [[5, 6, 7], [9, 10, 11, 12, 13, 14, 15]];
      const common = { eosTokenId: undefined, padTokenId: 0, minNewTokens: options.maxNewTokens, ...options };
      const modes: string[] = [];
      const start = model.startDecoding.bind(model);
      const run = (concatenate: boolean) => {
        model.startDecoding = (inputs, opts): DecodingSession => {
          const session = (concatenate ? withoutInPlaceKernel(() => start(inputs, opts)) : start(inputs, opts)) as Gpt2DecodingSession;
          modes.push(session.cacheMode);
          return session;
        };
        return expectNoLeaks(() => model.generate(prompts, common), 'generate');
      };
      const inPlace = await run(false);
      const concat = await run(true);
      expect(modes).toEqual(['in-place', 'concat']);
      expect(inPlace.sequences).toEqual(concat.sequences);
      expect((inPlace.sequences[0] as number[]).length).toBe(7 + options.maxNewTokens);
      model.dispose();
    });
  });

  it('concatenates on cpu (no in-place kernel there)', async () => {
    await withBackend('cpu', () => {
      const model = new GPT2LMHeadModel(CONFIG, { seed: 15 });
      const session = model.startDecoding({ inputIds: [[1, 2]], attentionMask: [[1, 1]] }, { useCache: true }) as Gpt2DecodingSession;
      expect(session.cacheMode).toBe('concat');
      session.dispose();
      model.dispose();
    });
  });
});
