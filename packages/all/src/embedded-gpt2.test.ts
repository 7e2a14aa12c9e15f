/**
 * The embedded tiny GPT-2 (assets/tiny-gpt2, trained by tfkit on Jane Austen): the shipped file is
 * in the format and of the size its model card states, and `pipeline('text-generation')` with no
 * model gives the greedy continuation the card lists, on cpu and wasm, with no tensor left over.
 */
import path from 'node:path';
import { createRegistry } from '@tfkit/core-tensor';
import { expectWeightsAsCarded, expectNoLeaks, modelCard, withBackend } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { pipeline } from './pipeline.js';
import { DEFAULT_MODELS, registerAll } from './register-all.js';

const dir = path.resolve(import.meta.dirname, '../assets/tiny-gpt2');
const registry = registerAll(createRegistry());
const stated = /^greedy continuation of `Emma was`: (".*")$/m.exec(modelCard(dir));

describe('embedded tiny GPT-2 (tiny-gpt2)', () => {
  it('is the text-generation default; model.safetensors is in the format and of the size the card states', () => {
    expect(DEFAULT_MODELS['text-generation']).toBe('tiny-gpt2');
    const header = expectWeightsAsCarded(dir, { parameters: true });
    expect(header['transformer.wte.weight']!.shape).toEqual([4096, 128]);
  });

  it.each(['cpu', 'wasm'])('continues "Emma was" greedily as the card lists, on %s', async (backend) => {
    expect(stated, 'the card lists the checked continuation').not.toBeNull();
    const text = await withBackend(backend, () => expectNoLeaks(async () => {
      const generator = await pipeline('text-generation', undefined, { registry });
      const [out] = await generator.call('Emma was', { maxNewTokens: 12, doSample: false, returnFullText: false });
      generator.dispose();
      return out![0]!.generatedText;
    }, `tiny-gpt2 on ${backend}`));
    expect(text).toBe(JSON.parse(stated![1]!) as string);
  }, 60_000);
});
