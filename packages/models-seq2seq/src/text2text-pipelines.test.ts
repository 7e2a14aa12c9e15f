/**
 * The text-to-text tasks `registerSeq2Seq` adds for both of its model types: `pipeline(task, dir)`
 * loads the checkpoint and the tokenizer beside it and gives what `generate` gives on the same ids.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AutoModel, createRegistry, pipeline, TokenizerMismatchError } from '@tfkit/core-tensor';
import { generate, type GenerationModel } from '@tfkit/generation';
import { InputError } from '@tfkit/layers';
import { expectNoLeaks, writeBartWordTokenizer } from '@tfkit/test-utils';
import { Tokenizer } from '@tfkit/tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Seq2SeqModel } from './seq2seq-model.js';
import { registerSeq2Seq } from './seq2seq-register.js';
import { TINY } from './seq2seq-test-utils.js';
import { Transformer } from './transformer-model.js';
import { TINY_TRANSFORMER } from './transformer-test-utils.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-seq2seq-text2text-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const registry = registerSeq2Seq(createRegistry());

// writeBartWordTokenizer: <s> 0, <pad> 1, </s> 2, <unk> 3, then w4 … w999; inputs get <s> … </s>.
const IDS = { padTokenId: 1, bosTokenId: 0, eosTokenId: 2, decoderStartTokenId: 2 };
const words = (ids: number[]) => ids.map((i) => `w${i}`).join(' ');

interface Case {
  modelType: string;
  make(vocab: number): { savePretrained(dir: string): Promise<void>; dispose(): void };
  /** What the pipeline may feed the encoder: the Transformer's positions (32), else the tokenizer's 64. */
  maxInputLength: number;
}

const CASES: Case[] = [
  { modelType: 'marian', make: (vocab) => new Transformer({ ...TINY_TRANSFORMER, ...IDS, vocabSize: vocab }, { seed: 3 }), maxInputLength: 32 },
  { modelType: 'rnn-seq2seq', make: (vocab) => new Seq2SeqModel({ ...TINY, ...IDS, cell: 'gru', attention: 'bahdanau', bidirectional: true, sourceVocabSize: vocab, targetVocabSize: vocab }, { seed: 3 }), maxInputLength: 64 },
];

async function checkpoint(name: string, c: Case, vocab: number): Promise<string> {
  const dir = path.join(tmp, name);
  const model = c.make(vocab);
  await model.savePretrained(dir);
  model.dispose();
  writeBartWordTokenizer(dir);
  return dir;
}

describe.each(CASES)('$modelType', (c) => {
  let dir: string;
  beforeAll(async () => {
    dir = await checkpoint(c.modelType, c, 1000);
  });

  it('is registered for translation, summarization and text2text-generation', () => {
    for (const task of ['translation', 'summarization', 'text2text-generation']) expect(registry.task.get(task)?.modelTypes).toContain(c.modelType);
  });

  it('pipeline(task, dir) gives the text generate() makes on the same ids, under each task’s key, with no tensor left', async () => {
    const texts = [words([803, 48, 188, 805, 696]), words([218, 692])];
    const model = (await AutoModel.fromPretrained(dir, { registry })) as unknown as GenerationModel & { dispose(): void };
    const tokenizer = await Tokenizer.fromPretrained(dir);
    const enc = tokenizer.encodeBatch(texts, { padding: 'longest', paddingSide: 'right' });
    const out = await generate(model, enc.map((e) => e.ids), { attentionMask: enc.map((e) => e.attentionMask), maxNewTokens: 6 });
    model.dispose();
    const expected = out.sequences.map((ids) => tokenizer.decode(ids, { skipSpecialTokens: true }));
    expect(expected.some((t) => t.length > 0)).toBe(true);
    for (const [task, key] of [['translation', 'translationText'], ['summarization', 'summaryText'], ['text2text-generation', 'generatedText']] as const) {
      const pipe = await pipeline(task, dir, { registry });
      try {
        expect(pipe.maxInputLength).toBe(c.maxInputLength);
        const results = await expectNoLeaks(() => pipe.call(texts, { maxNewTokens: 6 }), `${task} on ${c.modelType}`);
        expect(results).toEqual(expected.map((text) => [{ [key]: text }]));
      } finally {
        pipe.dispose();
      }
    }
  });

  it('inputs longer than the encoder takes are cut to it (truncation: false leaves them whole)', async () => {
    const pipe = await pipeline('translation', dir, { registry });
    try {
      const long = words(Array.from({ length: 80 }, (_, i) => 4 + i));
      const cut = words(Array.from({ length: c.maxInputLength - 2 }, (_, i) => 4 + i)); // <s> … </s> around
      const [fromLong] = await pipe.call(long, { maxNewTokens: 4 });
      const [fromCut] = await pipe.call(cut, { maxNewTokens: 4 });
      expect(fromLong).toEqual(fromCut);
      if (c.modelType === 'marian') await expect(pipe.call(long, { maxNewTokens: 4, truncation: false })).rejects.toBeInstanceOf(InputError);
      else expect(await pipe.call(long, { maxNewTokens: 4, truncation: false })).toHaveLength(1);
    } finally {
      pipe.dispose();
    }
  });

  it('a tokenizer with more ids than the encoder’s token table is a TokenizerMismatchError naming both sizes', async () => {
    const small = await checkpoint(`${c.modelType}-500`, c, 500);
    const error = await expectNoLeaks(() => pipeline('translation', small, { registry }).then(() => undefined, (e: unknown) => e), 'a refused pipeline');
    expect(error).toBeInstanceOf(TokenizerMismatchError);
    expect((error as Error).message).toMatch(/^translation: the tokenizer has 1000 ids but the model's vocabulary has 500 rows/);
  });
});
