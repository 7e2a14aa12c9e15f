import { ConfigError, createRegistry, type ModelEntry } from '@tfkit/core-tensor';
import { describe, expect, it } from 'vitest';
import { GenerationError } from './errors.js';
import { generate, generateStream } from './generate.js';
import { BigramModel, logits } from './test-model.js';
import { TextStreamer } from './text-streamer.js';

/** Byte-level "tokenizer": ids 0–255 are UTF-8 bytes, 256 is a special `<eos>`. */
const bytes = {
  decode(ids: number[], options: { skipSpecialTokens?: boolean } = {}): string {
    const kept = ids.filter((id) => id < 256 || !options.skipSpecialTokens);
    const out: string[] = [];
    let run: number[] = [];
    const flush = () => {
      out.push(new TextDecoder().decode(Uint8Array.from(run)));
      run = [];
    };
    for (const id of kept) {
      if (id < 256) run.push(id);
      else {
        flush();
        out.push('<eos>');
      }
    }
    flush();
    return out.join('');
  },
};
const utf8 = (text: string) => [...new TextEncoder().encode(text)];

/** Collects what a streamer hands on. */
function collector() {
  const pieces: string[] = [];
  let ends = 0;
  return {
    pieces,
    get ends() {
      return ends;
    },
    onText: (text: string, end: boolean) => {
      if (end) ends++;
      if (text) pieces.push(text);
    },
  };
}

describe('TextStreamer', () => {
  it('holds back a character whose bytes are split across tokens, and hands it on once complete', () => {
    const seen = collector();
    const streamer = new TextStreamer(bytes, { onText: seen.onText, skipPrompt: false });
    const ids = utf8('né 日');
    for (const id of ids) streamer.put([id]);
    // "n", then "é" only after its second byte, " ", then "日" only after all three of its bytes.
    expect(seen.pieces).toEqual(['n', 'é', ' ', '日']);
    expect(seen.pieces.some((p) => p.includes('\uFFFD'))).toBe(false);
    streamer.end();
    expect(seen.ends).toBe(1);
  });

  it('end() hands on held-back bytes as they decode, and resets for the next stream', () => {
    const seen = collector();
    const streamer = new TextStreamer(bytes, { onText: seen.onText, skipPrompt: false });
    streamer.put(utf8('ok'));
    streamer.put([0xe6]); // first byte of a 3-byte character that never completes
    expect(seen.pieces).toEqual(['ok']);
    streamer.end();
    expect(seen.pieces).toEqual(['ok', '\uFFFD']);
    streamer.put(utf8('again'));
    expect(seen.pieces.at(-1)).toBe('again');
  });

  it('skips the prompt (the first put of each stream) unless told not to; special tokens are left out by default', () => {
    const seen = collector();
    const streamer = new TextStreamer(bytes, { onText: seen.onText });
    streamer.put(utf8('prompt '));
    streamer.put(utf8('answer'));
    streamer.put([256]);
    streamer.end();
    expect(seen.pieces.join('')).toBe('answer');
    streamer.put(utf8('second prompt'));
    streamer.put(utf8('!'));
    streamer.end();
    expect(seen.pieces.join('')).toBe('answer!');
    const withSpecials = collector();
    const raw = new TextStreamer(bytes, { onText: withSpecials.onText, skipPrompt: false, skipSpecialTokens: false });
    raw.put([...utf8('a'), 256]);
    raw.end();
    expect(withSpecials.pieces.join('')).toBe('a<eos>');
  });

  it('waits when a later token rewrites text already decoded, and settles at the end', () => {
    // Decoding "x" alone gives "x", but "x" followed by "y" gives "Zy": nothing after "x" is handed on until end.
    const rewriting = { decode: (ids: number[]) => ids.map((id, i) => (id === 120 && ids[i + 1] === 121 ? 'Z' : String.fromCharCode(id))).join('') };
    const seen = collector();
    const streamer = new TextStreamer(rewriting, { onText: seen.onText, skipPrompt: false });
    streamer.put([120]);
    streamer.put([121]);
    streamer.end();
    expect(seen.pieces).toEqual(['x']);
  });

  it('a finished line starts a fresh cache: each put decodes only the current line', () => {
    const calls: number[] = [];
    const counting = { decode: (ids: number[], o?: { skipSpecialTokens?: boolean }) => (calls.push(ids.length), bytes.decode(ids, o)) };
    const seen = collector();
    const streamer = new TextStreamer(counting, { onText: seen.onText, skipPrompt: false });
    for (const id of utf8('ab\ncd\n')) streamer.put([id]);
    streamer.end();
    expect(seen.pieces.join('')).toBe('ab\ncd\n');
    expect(Math.max(...calls)).toBe(3);
  });
});

// Greedy from 0 cycles 0 → 1 → 2 → 0; ids decode to letters.
const TABLE = [logits([0.1, 0.8, 0.1]), logits([0.1, 0.1, 0.8]), logits([0.8, 0.1, 0.1])];
const letters = { decode: (ids: number[]) => ids.map((id) => 'abc'[id]).join('') };

describe('generate with a Streamer', () => {
  it('puts the prompt, each new token and ends: a TextStreamer hands on the continuation', async () => {
    const seen = collector();
    const out = await generate(new BigramModel(TABLE), [0, 1], { maxNewTokens: 4, streamer: new TextStreamer(letters, { onText: seen.onText }) });
    expect(out.sequences[0]).toEqual([0, 1, 2, 0, 1, 2]);
    expect(seen.pieces).toEqual(['c', 'a', 'b', 'c']);
    expect(seen.ends).toBe(1);
    const all = collector();
    await generate(new BigramModel(TABLE), [0, 1], { maxNewTokens: 2, streamer: new TextStreamer(letters, { onText: all.onText, skipPrompt: false }) });
    expect(all.pieces.join('')).toBe('abca');
  });

  it('generateStream feeds the streamer too', async () => {
    const seen = collector();
    const stream = generateStream(new BigramModel(TABLE), [2], { maxNewTokens: 3, streamer: new TextStreamer(letters, { onText: seen.onText }) });
    let steps = 0;
    for await (const _ of stream) steps++;
    expect(steps).toBe(3);
    expect(seen.pieces.join('')).toBe('abc');
    expect(seen.ends).toBe(1);
  });

  it('a Streamer follows one sequence; beam search does not stream', async () => {
    const streamer = new TextStreamer(letters, { onText: () => undefined });
    await expect(generate(new BigramModel(TABLE), [[0], [1]], { maxNewTokens: 2, streamer })).rejects.toThrow(ConfigError);
    await expect(generate(new BigramModel(TABLE), [0], { maxNewTokens: 2, doSample: true, numReturnSequences: 2, streamer })).rejects.toThrow(/one sequence/);
    await expect(generate(new BigramModel(TABLE), [0], { maxNewTokens: 2, numBeams: 2, streamer })).rejects.toThrow(/beam search/);
  });
});

describe('generate enforces the maximum positions', () => {
  class Limited extends BigramModel {
    readonly maxPositions = 5;
  }

  it('prompt + new tokens may fill the positions, not pass them (a typed error saying what fits)', async () => {
    expect((await generate(new Limited(TABLE), [0, 1], { maxNewTokens: 3 })).sequences[0]).toHaveLength(5);
    const model = new Limited(TABLE);
    const error = await generate(model, [0, 1], { maxNewTokens: 4 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GenerationError);
    expect((error as Error).message).toMatch(/2 prompt tokens \+ 4 new tokens need 6 positions, but this model has 5; lower maxNewTokens to at most 3/);
    expect(model.open).toBe(0);
    await expect(generate(new Limited(TABLE), [0, 1], { maxLength: 6 })).rejects.toThrow(/maxLength to at most 5/);
  });

  it('a prompt longer than the positions is refused before the model runs', async () => {
    const model = new Limited(TABLE);
    await expect(generate(model, [0, 1, 2, 0, 1, 2], { maxNewTokens: 1 })).rejects.toThrow(/the prompt is 6 tokens, but this model reads at most 5/);
    expect(model.steps).toBe(0);
    expect(model.open).toBe(0);
  });

  it('without its own maxPositions, the family entry in the given registry says', async () => {
    const registry = createRegistry();
    registry.model.register('bigram', { architectures: {}, defaultArchitecture: 'Bigram', maxPositions: (c) => c['n_ctx'] as number } as ModelEntry);
    const model = Object.assign(new BigramModel(TABLE), { modelType: 'bigram', hfConfig: { n_ctx: 3 } });
    await expect(generate(model, [0], { maxNewTokens: 3, registry })).rejects.toThrow(GenerationError);
    expect((await generate(model, [0], { maxNewTokens: 2, registry })).sequences[0]).toEqual([0, 1, 2]);
    // No registry, no limit known: the model decides.
    expect((await generate(model, [0], { maxNewTokens: 3 })).sequences[0]).toHaveLength(4);
  });
});
