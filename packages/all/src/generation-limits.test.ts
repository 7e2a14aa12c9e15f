/**
 * `generate` refuses to run past a model's learned positions, for every family that has them, with
 * or without a registry: through pipeline() and directly, as a GenerationError saying what fits.
 */
import { AutoModel, createRegistry } from '@tfkit/core-tensor';
import { generate, GenerationError, type GenerationModel } from '@tfkit/generation';
import type { Tokenizer } from '@tfkit/tokenizers';
import { expectNoLeaks, fixturePath } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { pipeline } from './pipeline.js';
import { registerAll } from './register-all.js';

const registry = registerAll(createRegistry());

describe('generate and the maximum positions', () => {
  it('GPT-2 (n_positions 128): prompt + new tokens up to 128 run, one more is a GenerationError, from the model alone', async () => {
    await expectNoLeaks(async () => {
      const model = (await AutoModel.fromPretrained(fixturePath('models', 'gpt2-lm'), { registry })) as unknown as GenerationModel & { dispose(): void };
      expect(model.maxPositions).toBe(128);
      const prompt = Array.from({ length: 120 }, (_, i) => (i * 7) % 1000);
      expect((await generate(model, [prompt], { maxNewTokens: 8 })).sequences[0]).toHaveLength(128);
      const error = await generate(model, [prompt], { maxNewTokens: 9 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GenerationError);
      expect((error as Error).message).toMatch(/120 prompt tokens \+ 9 new tokens need 129 positions, but this model has 128; lower maxNewTokens to at most 8/);
      await expect(generate(model, [[...prompt, ...prompt]], { maxNewTokens: 1 })).rejects.toThrow(/the prompt is 240 tokens, but this model reads at most 128/);
      model.dispose();
    });
  });

  it('the text-generation pipeline passes the error on; the embedded model’s 128 positions', async () => {
    const generator = await pipeline('text-generation', undefined, { registry });
    const tokenizer = generator.tokenizer as Tokenizer;
    const prompt = 'Emma was very happy. '.repeat(20);
    const length = tokenizer.encode(prompt).ids.length;
    await expect(generator.call(prompt, { maxNewTokens: 129 - length })).rejects.toThrow(GenerationError);
    expect((await generator.call(prompt, { maxNewTokens: 128 - length, doSample: false }))[0]).toHaveLength(1);
    generator.dispose();
  });

  it('BART (max_position_embeddings 64): the decoder may not grow past its positions', async () => {
    const model = (await AutoModel.fromPretrained(fixturePath('models', 'bart-conditional-generation'), { registry })) as unknown as GenerationModel & { dispose(): void };
    expect(model.maxPositions).toBe(64);
    await expect(generate(model, [[0, 10, 11, 2]], { maxNewTokens: 64 })).rejects.toThrow(/1 prompt tokens \+ 64 new tokens need 65 positions, but this model has 64/);
    expect((await generate(model, [[0, 10, 11, 2]], { maxNewTokens: 3 })).sequences[0]!.length).toBeLessThanOrEqual(4);
    model.dispose();
  });
});
