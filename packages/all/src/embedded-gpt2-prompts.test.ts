/**
 * The embedded task-prompt GPT-2 (assets/tiny-gpt2-prompts: the Austen tiny-gpt2 with `<to-fr>` and
 * `<summarize>` added and fine-tuned on prompt/answer pairs): the shipped file is the size and dtype
 * its model card says, the task tokens sit after the base vocabulary, and the held-out prompts the
 * card lists as checked give the card's outputs (greedy) through `pipeline('translation')` and
 * `generate`, on cpu and wasm, with no tensor left over.
 */
import path from 'node:path';
import { createRegistry } from '@tfkit/core-tensor';
import { generate, type GenerationModel, type PromptedTranslationPipeline } from '@tfkit/generation';
import { Tokenizer } from '@tfkit/tokenizers';
import { expectWeightsAsCarded, expectNoLeaks, modelCard, withBackend } from '@tfkit/test-utils';
import { describe, expect, it } from 'vitest';
import { pipeline } from './pipeline.js';
import { registerAll } from './register-all.js';

const dir = path.resolve(import.meta.dirname, '../assets/tiny-gpt2-prompts');
const card = modelCard(dir);
const registry = registerAll(createRegistry());

/** The held-out prompts the card lists as checked: task token, input, the model's greedy output. */
const checked = [...card.matchAll(/^\| `(<to-fr>|<summarize>)` \| (.+?) \| (.+?) \|$/gm)].map(([, token, input, output]) => ({ token: token!, input: input!, output: output! }));

describe('embedded task-prompt GPT-2 (tiny-gpt2-prompts)', () => {
  it('model.safetensors is in the format and of the size the card states; <to-fr> and <summarize> follow the base vocabulary', async () => {
    const header = expectWeightsAsCarded(dir);
    expect(header['transformer.wte.weight']!.shape).toEqual([4098, 128]);
    const tokenizer = await Tokenizer.fromPretrained(dir);
    expect([tokenizer.tokenToId('<to-fr>'), tokenizer.tokenToId('<summarize>')]).toEqual([4096, 4097]);
    expect(checked.map((c) => c.token)).toEqual(expect.arrayContaining(['<to-fr>', '<summarize>']));
  });

  it.each(['cpu', 'wasm'])('the checked prompts give the card’s outputs on %s', async (backend) => {
    await withBackend(backend, () => expectNoLeaks(async () => {
      const translate = (await pipeline('translation', dir, { registry })) as unknown as PromptedTranslationPipeline;
      expect(translate.targetLanguages).toEqual(['fr']);
      for (const c of checked.filter((x) => x.token === '<to-fr>')) {
        const [out] = await translate.call(c.input, { tgtLang: 'fr', doSample: false, maxNewTokens: 16 });
        expect(out!.translationText, c.input).toBe(c.output);
      }
      const model = translate.model as GenerationModel;
      const tokenizer = translate.tokenizer as unknown as Tokenizer;
      for (const c of checked.filter((x) => x.token === '<summarize>')) {
        const ids = tokenizer.encode(`${c.input} <summarize>`).ids;
        const out = await generate(model, [ids], { doSample: false, maxNewTokens: 128 - ids.length, eosTokenId: 0, padTokenId: 0 });
        expect(tokenizer.decode(out.sequences[0]!.slice(out.prefixLength), { skipSpecialTokens: true }).trim(), c.input).toBe(c.output);
      }
      translate.dispose();
    }, `task prompts on ${backend}`));
  });
});
