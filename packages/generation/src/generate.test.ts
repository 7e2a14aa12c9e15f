import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, createRegistry, Random } from '@tfkit/core-tensor';
import { expectNoLeaks } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { generate, generateStream, type TokenEvent } from './generate.js';
import type { LogitsProcessor } from './logits-processors.js';
import { registerGeneration } from './processor-registry.js';
import { BigramModel, logits } from './test-model.js';

// Greedy from 0 cycles 0 → 1 → 2 → 0; 3 → eos (5); 4 is a tie (argmax takes the first, 0).
const TABLE = [
  logits([0.1, 0.6, 0.1, 0.1, 0.05, 0.05]),
  logits([0.05, 0.05, 0.7, 0.1, 0.05, 0.05]),
  logits([0.5, 0.1, 0.1, 0.2, 0.05, 0.05]),
  logits([0.1, 0.1, 0.1, 0.1, 0.1, 0.5]),
  logits([0.2, 0.2, 0.2, 0.2, 0.1, 0.1]),
  logits([1 / 6, 1 / 6, 1 / 6, 1 / 6, 1 / 6, 1 / 6]),
];
const bigram = () => new BigramModel(TABLE);

/** One fixed distribution whatever the context: p(i) ∝ 10 − i over 10 tokens. */
const FIXED = Array.from({ length: 10 }, () => logits(Array.from({ length: 10 }, (_, i) => (10 - i) / 55)));

describe('greedy decoding', () => {
  it('follows the argmax and stops at maxNewTokens', async () => {
    const out = await generate(bigram(), [0], { maxNewTokens: 5 });
    expect(out.sequences).toEqual([[0, 1, 2, 0, 1, 2]]);
    expect(out.prefixLength).toBe(1);
    expect(out.stopReason).toBe('max-length');
  });

  it('maxLength counts the prefix (Hugging Face default 20)', async () => {
    expect((await generate(bigram(), [0, 1, 2])).sequences[0]).toHaveLength(20);
    expect((await generate(bigram(), [0, 1, 2], { maxLength: 5 })).sequences[0]).toEqual([0, 1, 2, 0, 1]);
  });

  it('a finished row is padded while the others continue; all rows finished ends generation', async () => {
    const out = await generate(bigram(), [[3], [0]], { maxNewTokens: 3, eosTokenId: 5, padTokenId: 4 });
    expect(out.sequences).toEqual([[3, 5, 4, 4], [0, 1, 2, 0]]);
    const done = await generate(bigram(), [[3]], { maxNewTokens: 10, eosTokenId: [7, 5] });
    expect(done).toMatchObject({ sequences: [[3, 5]], stopReason: 'eos' });
  });

  it('minNewTokens keeps eos out until enough tokens are generated', async () => {
    const out = await generate(bigram(), [3], { maxNewTokens: 6, eosTokenId: 5, minNewTokens: 3 });
    expect(out.sequences[0]?.slice(1, 4)).not.toContain(5);
    expect(out.sequences[0]?.slice(1, 4)).toEqual([0, 1, 2]);
  });

  it('ragged prompts are left-padded with the pad token and an attention mask', async () => {
    const model = bigram();
    const seen: number[][][] = [];
    const start = model.startDecoding.bind(model);
    model.startDecoding = (inputs) => {
      seen.push(inputs.attentionMask);
      return start(inputs);
    };
    const out = await generate(model, [[0], [3, 0]], { maxNewTokens: 2, padTokenId: 4 });
    expect(out.sequences).toEqual([[4, 0, 1, 2], [3, 0, 1, 2]]);
    expect(seen[0]).toEqual([[0, 1], [1, 1]]);
  });

  it('an empty prompt starts from bosTokenId', async () => {
    expect((await generate(bigram(), [[]], { bosTokenId: 2, maxNewTokens: 2 })).sequences).toEqual([[2, 0, 1]]);
    await expect(generate(bigram(), [[]])).rejects.toThrow(ConfigError);
  });
});

describe('penalties (Hugging Face semantics)', () => {
  it('repetitionPenalty steers away from tokens already in the sequence, prompt included', async () => {
    const out = await generate(bigram(), [0], { maxNewTokens: 4, repetitionPenalty: 100 });
    // From 2 the best token (0) is in the prompt, so 3 wins; from 3, eos-like token 5.
    expect(out.sequences).toEqual([[0, 1, 2, 3, 5]]);
  });

  it('noRepeatNgramSize never repeats an n-gram', async () => {
    const out = await generate(bigram(), [0], { maxNewTokens: 6, noRepeatNgramSize: 2 });
    expect(out.sequences).toEqual([[0, 1, 2, 0, 0, 2, 3]]);
    const row = out.sequences[0] as number[];
    const bigrams = row.slice(1).map((t, i) => `${row[i]},${t}`);
    expect(new Set(bigrams).size).toBe(bigrams.length);
  });
});

describe('sampling', () => {
  const uniform = () => new BigramModel(Array.from({ length: 50 }, () => new Array<number>(50).fill(0)));

  it('is reproducible with a seed, and differs with another seed', async () => {
    const a = await generate(uniform(), [0], { doSample: true, topK: 0, maxNewTokens: 20, seed: 7 });
    const b = await generate(uniform(), [0], { doSample: true, topK: 0, maxNewTokens: 20, seed: 7 });
    const c = await generate(uniform(), [0], { doSample: true, topK: 0, maxNewTokens: 20, seed: 8 });
    expect(a.sequences).toEqual(b.sequences);
    expect(a.sequences).not.toEqual(c.sequences);
    const rng = new Random(3);
    const d = await generate(uniform(), [0], { doSample: true, maxNewTokens: 20, rng });
    expect(d.sequences).toEqual((await generate(uniform(), [0], { doSample: true, maxNewTokens: 20, seed: 3 })).sequences);
  });

  it('topK restricts the support to the k most likely tokens', async () => {
    const out = await generate(new BigramModel(FIXED), [0], { doSample: true, topK: 3, maxNewTokens: 300, seed: 1 });
    expect(new Set(out.sequences[0]?.slice(1))).toEqual(new Set([0, 1, 2]));
  });

  it('topP restricts the support to the nucleus', async () => {
    // p = 10/55, 9/55, 8/55, 7/55, …: the first three hold 27/55 < 0.5, the first four 34/55.
    const out = await generate(new BigramModel(FIXED), [0], { doSample: true, topK: 0, topP: 0.5, maxNewTokens: 400, seed: 2 });
    expect(new Set(out.sequences[0]?.slice(1))).toEqual(new Set([0, 1, 2, 3]));
  });

  it('without warpers every token can be drawn; top-k 1 and near-zero temperature are greedy', async () => {
    const all = await generate(new BigramModel(FIXED), [0], { doSample: true, topK: 0, maxNewTokens: 400, seed: 4 });
    expect(new Set(all.sequences[0]).size).toBe(10);
    const greedy = await generate(bigram(), [0], { maxNewTokens: 8 });
    expect((await generate(bigram(), [0], { doSample: true, topK: 1, maxNewTokens: 8, seed: 5 })).sequences).toEqual(greedy.sequences);
    expect((await generate(bigram(), [0], { doSample: true, temperature: 0.01, maxNewTokens: 8, seed: 5 })).sequences).toEqual(greedy.sequences);
  });

  it('numReturnSequences gives several samples per prompt, grouped by prompt', async () => {
    const out = await generate(uniform(), [[1], [2]], { doSample: true, numReturnSequences: 3, maxNewTokens: 5, seed: 9 });
    expect(out.sequences.map((s) => s[0])).toEqual([1, 1, 1, 2, 2, 2]);
    expect(new Set(out.sequences.slice(0, 3).map(String)).size).toBe(3);
    await expect(generate(bigram(), [0], { numReturnSequences: 2 })).rejects.toThrow(/greedy decoding returns one sequence/);
  });
});

/** log-softmax of a table row, in float64. */
function logProbs(row: number[]): number[] {
  const max = Math.max(...row);
  const lse = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
  return row.map((x) => x - lse);
}

function randomTable(v: number, seed: number): number[][] {
  const rng = new Random(seed);
  return Array.from({ length: v }, () => Array.from({ length: v }, () => rng.normal(0, 2)));
}

describe('beam search', () => {
  it('with enough beams it is exact: the best sequences by total log-probability, sorted', async () => {
    const table = randomTable(4, 11);
    const all: { seq: number[]; score: number }[] = [];
    for (let a = 0; a < 4; a++) for (let b = 0; b < 4; b++) for (let c = 0; c < 4; c++) {
      const seq = [0, a, b, c];
      const lp = seq.slice(1).reduce((s, t, i) => s + (logProbs(table[seq[i] as number] as number[])[t] as number), 0);
      all.push({ seq, score: lp / 3 });
    }
    all.sort((x, y) => y.score - x.score);
    const out = await generate(new BigramModel(table), [0], { numBeams: 16, numReturnSequences: 4, maxNewTokens: 3 });
    expect(out.sequences).toEqual(all.slice(0, 4).map((x) => x.seq));
    out.sequencesScores?.forEach((s, i) => expect(s).toBeCloseTo(all[i]?.score as number, 5));
  });

  it('finished hypotheses are scored by length-penalised log-probability (eos counted) and returned best first', async () => {
    const table = randomTable(6, 3);
    for (const [lengthPenalty, seed] of [[1, 1], [2, 2], [-1, 3], [0.5, 4]] as const) {
      const t = randomTable(6, seed).map((r, i) => (i === 2 ? r : r.map((x, j) => (j === 5 ? x + 1.5 : x))));
      const out = await generate(new BigramModel(t), [[0], [1]], {
        numBeams: 4, numReturnSequences: 3, maxNewTokens: 6, eosTokenId: 5, padTokenId: 2, lengthPenalty, earlyStopping: 'never',
      });
      expect(out.sequences).toHaveLength(6);
      const scores = out.sequencesScores as number[];
      for (let p = 0; p < 2; p++) {
        const mine = scores.slice(p * 3, p * 3 + 3);
        expect([...mine].sort((a, b) => b - a)).toEqual(mine);
      }
      out.sequences.forEach((seq, i) => {
        const eos = seq.indexOf(5, 1);
        const gen = eos === -1 ? seq.length - 1 : eos;
        let lp = 0;
        for (let j = 1; j <= gen; j++) lp += logProbs(t[seq[j - 1] as number] as number[])[seq[j] as number] as number;
        expect(scores[i]).toBeCloseTo(lp / gen ** lengthPenalty, 4);
        if (eos !== -1) expect(seq.slice(eos + 1).every((x) => x === 2)).toBe(true);
      });
    }
    expect(table).toHaveLength(6);
  });

  it('earlyStopping true stops once numBeams hypotheses are finished; \'never\' searches on', async () => {
    // eos (5) is likely from every token, so hypotheses finish early.
    const table = randomTable(6, 8).map((r) => r.map((x, j) => (j === 5 ? x + 3 : x)));
    const run = async (earlyStopping: boolean | 'never') => {
      const model = new BigramModel(table);
      const out = await generate(model, [0], { numBeams: 2, maxNewTokens: 12, eosTokenId: 5, padTokenId: 4, earlyStopping, lengthPenalty: 2 });
      return { out, steps: model.steps };
    };
    const early = await run(true);
    const never = await run('never');
    expect(early.out.stopReason).toBe('eos');
    expect(early.steps).toBeLessThan(12);
    expect(never.steps).toBeGreaterThanOrEqual(early.steps);
    expect(never.out.sequencesScores?.[0]).toBeGreaterThanOrEqual(early.out.sequencesScores?.[0] as number);
  });

  it('beam sampling is reproducible with a seed and returns sorted hypotheses', async () => {
    const table = randomTable(8, 5);
    const opts = { numBeams: 3, numReturnSequences: 3, maxNewTokens: 5, doSample: true, seed: 12 } as const;
    const a = await generate(new BigramModel(table), [0], opts);
    const b = await generate(new BigramModel(table), [0], opts);
    expect(a).toEqual(b);
    const s = a.sequencesScores as number[];
    expect([...s].sort((x, y) => y - x)).toEqual(s);
  });
});

describe('streaming, abort, stop strings', () => {
  it('the streamer sees every token as it is produced; generateStream yields the same events', async () => {
    const events: TokenEvent[] = [];
    const out = await generate(bigram(), [[0], [3]], { maxNewTokens: 4, eosTokenId: 5, padTokenId: 4, streamer: (e) => void events.push(e) });
    expect(events.map((e) => e.tokens)).toEqual([[1, 5], [2, 4], [0, 4], [1, 4]]);
    expect(events[0]?.finished).toEqual([false, true]);
    const iterated: TokenEvent[] = [];
    const it = generateStream(bigram(), [[0], [3]], { maxNewTokens: 4, eosTokenId: 5, padTokenId: 4 });
    let next = await it.next();
    while (!next.done) {
      iterated.push(next.value);
      next = await it.next();
    }
    expect(iterated).toEqual(events);
    expect(next.value.sequences).toEqual(out.sequences);
    await expect(generate(bigram(), [0], { numBeams: 2, streamer: () => undefined })).rejects.toThrow(/beam search/);
  });

  it('an abort signal stops generation after the current step', async () => {
    const controller = new AbortController();
    const model = bigram();
    const out = await generate(model, [0], {
      maxNewTokens: 50,
      signal: controller.signal,
      streamer: (e) => {
        if (e.step === 2) controller.abort();
      },
    });
    expect(out).toMatchObject({ sequences: [[0, 1, 2, 0]], stopReason: 'aborted' });
    expect(model.open).toBe(0);
  });

  it('without setImmediate (browsers) steps yield through a MessageChannel, not clamped timers; a timer can still abort', async () => {
    const setImmediateBefore = globalThis.setImmediate;
    const setTimeoutBefore = globalThis.setTimeout;
    let timers = 0;
    try {
      // @ts-expect-error -- a browser has no setImmediate
      delete globalThis.setImmediate;
      // Counts generate's own timers only (the test runner may arm some of its own meanwhile).
      globalThis.setTimeout = ((f: () => void, ms?: number) => {
        if (new Error().stack?.includes('yieldToEventLoop')) timers++;
        return setTimeoutBefore(f, ms);
      }) as typeof setTimeout;
      const out = await generate(bigram(), [0], { maxNewTokens: 30 });
      expect(out.sequences[0]).toHaveLength(31);
      expect(timers).toBe(0);
      // A timer armed before generation fires between steps and aborts it.
      const controller = new AbortController();
      setTimeoutBefore(() => controller.abort(), 0);
      const aborted = await generate(bigram(), [0], { maxNewTokens: 100_000, maxLength: 100_001, signal: controller.signal });
      expect(aborted.stopReason).toBe('aborted');
      expect(aborted.sequences[0]!.length).toBeLessThan(100_001);
    } finally {
      globalThis.setImmediate = setImmediateBefore;
      globalThis.setTimeout = setTimeoutBefore;
    }
  });

  it('stop strings finish a row once its text contains one', async () => {
    const tokenizer = { decode: (ids: number[]) => ids.map((i) => 'abcdef'[i]).join('') };
    const out = await generate(bigram(), [0], { maxNewTokens: 20, stopStrings: ['ca'], tokenizer });
    expect(out).toMatchObject({ sequences: [[0, 1, 2, 0]], stopReason: 'stop-string' });
    await expect(generate(bigram(), [0], { stopStrings: 'x' })).rejects.toThrow(/tokenizer/);
  });

  it('the session is closed and nothing leaks, also when the streamer throws', async () => {
    const model = bigram();
    await expectNoLeaks(async () => {
      for (let i = 0; i < 5; i++) await generate(model, [0], { maxNewTokens: 3, numBeams: i % 2 ? 2 : 1 });
      await expect(generate(model, [0], { streamer: () => { throw new Error('boom'); } })).rejects.toThrow('boom');
    });
    expect(model.open).toBe(0);
    expect(tf.memory().numTensors).toBeGreaterThanOrEqual(0);
  });
});

describe('encoder-decoder models', () => {
  /** Records what generate hands the model; decodes as the bigram table from a one-token decoder prefix. */
  function seq2seq(defaultStart: number) {
    const model = bigram();
    const seen: { inputIds: number[][]; attentionMask: number[][]; decoderStartTokenId?: number }[] = [];
    const start = model.startDecoding.bind(model);
    const encoderDecoder = Object.assign(model, {
      paddingSide: 'right' as const,
      startDecoding: (inputs: { inputIds: number[][]; attentionMask: number[][] }, options: { useCache: boolean; decoderStartTokenId?: number }) => {
        seen.push({ ...inputs, ...(options.decoderStartTokenId !== undefined ? { decoderStartTokenId: options.decoderStartTokenId } : {}) });
        return start({ inputIds: inputs.inputIds.map(() => [options.decoderStartTokenId ?? defaultStart]), attentionMask: inputs.inputIds.map(() => [1]) });
      },
    });
    return { model: encoderDecoder, seen };
  }

  it('ragged prompts are right-padded for a model that asks for it; decoderStartTokenId reaches the session', async () => {
    const { model, seen } = seq2seq(3);
    const out = await generate(model, [[7, 8, 9], [6]], { maxNewTokens: 2, padTokenId: 4, decoderStartTokenId: 0 });
    expect(seen[0]).toEqual({ inputIds: [[7, 8, 9], [6, 4, 4]], attentionMask: [[1, 1, 1], [1, 0, 0]], decoderStartTokenId: 0 });
    expect(out).toMatchObject({ sequences: [[0, 1, 2], [0, 1, 2]], prefixLength: 1 });
    await generate(model, [[7]], { maxNewTokens: 1 });
    expect(seen[1]?.decoderStartTokenId).toBeUndefined();
  });

  it('forcedBosTokenId sets the first new token, forcedEosTokenId the last; both also under beam search', async () => {
    const { model } = seq2seq(0);
    expect((await generate(model, [[7]], { maxNewTokens: 4, forcedBosTokenId: 3, eosTokenId: 5 })).sequences).toEqual([[0, 3, 5]]);
    expect((await generate(model, [[7]], { maxNewTokens: 4, forcedEosTokenId: 5 })).sequences).toEqual([[0, 1, 2, 0, 5]]);
    const beam = await generate(model, [[7]], { maxNewTokens: 4, numBeams: 2, forcedBosTokenId: 3, forcedEosTokenId: 5, eosTokenId: 5 });
    expect(beam.sequences[0]?.slice(0, 2)).toEqual([0, 3]);
    expect(beam.sequences[0]).toContain(5);
    await expect(generate(model, [[7]], { forcedBosTokenId: -1 })).rejects.toThrow(/forcedBosTokenId must be a token id/);
  });
});

describe('processors from the registry', () => {
  it('a plugin registers a processor that takes part in generation', async () => {
    const registry = createRegistry();
    registerGeneration(registry);
    const banOne: LogitsProcessor = {
      name: 'ban-one',
      process: (_ids, scores) => scores.forEach((row) => (row[1] = Number.NEGATIVE_INFINITY)),
    };
    registry.ns('logitsProcessor').register('ban-one', { kind: 'processor', order: 450, create: () => banOne });
    const out = await generate(bigram(), [0], { maxNewTokens: 6, registry });
    expect(out.sequences[0]?.slice(1)).not.toContain(1);
    expect((await generate(bigram(), [0], { maxNewTokens: 6 })).sequences[0]?.slice(1)).toContain(1);
    expect(() => registerGeneration(registry)).toThrow(/already registered/);
  });

  it('options.logitsProcessors run after the built-ins', async () => {
    const seen: number[] = [];
    const spy: LogitsProcessor = { name: 'spy', process: (ids) => void seen.push((ids[0] as number[]).length) };
    await generate(bigram(), [0], { maxNewTokens: 3, logitsProcessors: [spy] });
    expect(seen).toEqual([1, 2, 3]);
  });
});

describe('arguments from plain JavaScript', () => {
  const untyped = generate as (model: unknown, ids: unknown, options?: unknown) => Promise<unknown>;

  it('a text prompt is a ConfigError saying to pass token ids, not characters taken as ids', async () => {
    await expect(untyped(bigram(), 'Emma was')).rejects.toThrow(ConfigError);
    await expect(untyped(bigram(), 'Emma was')).rejects.toThrow(/inputIds is a string; pass token ids/);
  });

  it('an unknown option name is a ConfigError that suggests the camelCase name, instead of being ignored', async () => {
    await expect(untyped(bigram(), [0], { max_new_tokens: 3 })).rejects.toThrow(/unknown option "max_new_tokens"; did you mean "maxNewTokens"\?/);
    await expect(untyped(bigram(), [0], { topk: 3 })).rejects.toThrow(/unknown option "topk"; known options: .*topK/);
    // Every documented option is accepted.
    const out = await generate(bigram(), [0], { maxNewTokens: 2, seed: 1, signal: new AbortController().signal, stopStrings: [], logitsProcessors: [] });
    expect(out.sequences).toEqual([[0, 1, 2]]);
  });
});
